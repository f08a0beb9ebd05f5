from sandbox.scoring import score

TRUTH = {
    "format": "tieout.truth/1",
    "deposits": {
        "plaid:1": {"payouts": ["rutter:c:p1"]},
        "plaid:2": {"payouts": ["rutter:c:p2", "rutter:c:p3"]},
        "plaid:3": {
            "inferred": {"connection": "rutter:e", "items": ["rutter:e:t1", "rutter:e:t2"]}
        },
    },
    "non_payout_deposits": ["plaid:9"],
    "fees": {"rutter:c": {"USD": "10.00"}},
}


def test_it_counts_exact_answers_and_punishes_wrong_or_extra_matches():
    export = {
        "deposits": [
            {"bank": "plaid:1", "status": "matched", "payouts": ["rutter:c:p1"]},
            {"bank": "plaid:2", "status": "matched", "payouts": ["rutter:c:p2"]},  # wrong set
            {
                "bank": "plaid:3",
                "status": "matched",
                "inferred": {"connection": "rutter:e", "items": ["rutter:e:t2", "rutter:e:t1"]},
            },
            {
                "bank": "plaid:9",
                "status": "matched",
                "payouts": ["rutter:c:p9"],
            },  # not platform money
        ],
        "payouts": [
            {"payout": "rutter:c:p1", "balanced": True},
            {"payout": "rutter:c:p2", "balanced": False},
        ],
        "expenses": [
            {
                "connection": "rutter:c",
                "category": "processing_fees",
                "currency": "USD",
                "amount": "4.00",
            },
            {
                "connection": "rutter:c",
                "category": "marketplace_fees",
                "currency": "USD",
                "amount": "6.00",
            },
        ],
    }
    s = score(export=export, truth=TRUTH)
    assert (s["true_positives"], s["false_positives"]) == (2, 2)
    assert s["precision"] == 0.5 and s["recall"] == 2 / 3
    assert s["recall_explicit"] == 0.5 and s["recall_inferred"] == 1.0
    assert s["payouts_unbalanced"] == ["rutter:c:p2"]
    assert s["fees_ok"]


def test_it_does_not_count_suggestions_as_matches_and_checks_fee_totals():
    export = {
        "deposits": [{"bank": "plaid:1", "status": "suggested", "payouts": ["rutter:c:p1"]}],
        "payouts": [],
        "expenses": [],
    }
    s = score(export=export, truth=TRUTH)
    assert (s["precision"], s["recall"], s["false_positives"]) == (1.0, 0.0, 0)
    assert not s["fees_ok"] and s["fees"]["rutter:c USD"]["export"] == "0"

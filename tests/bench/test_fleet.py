"""bench fleet's pieces that are not timing: the merged fleet world and the books comparison."""

from bench._fleet_books import compare
from bench._fleet_world import build_world
from sandbox.world import load_world


def test_fleet_world_is_one_valid_world_with_a_store_account_and_bank_per_company(tmp_path):
    out = tmp_path / "fleet.world.json"
    fleet = build_world(companies=3, seed=5, days=10, scale=0.03, out=out)
    world = load_world(out)
    assert [c.name for c in fleet] == ["Fleet 00000", "Fleet 00001", "Fleet 00002"]
    assert {c.connection_id for c in world.rutter} == {c.rutter for c in fleet}
    assert {a.account_id for a in world.stripe} == {c.stripe for c in fleet}
    assert {i.item_id for i in world.plaid} == {c.plaid for c in fleet}
    assert [e["at"] for e in world.events] == sorted(e["at"] for e in world.events)
    # Same arguments, same fleet: the files are reused and the manifest read back.
    assert build_world(companies=3, seed=5, days=10, scale=0.03, out=out) == fleet


def test_compare_names_the_companies_and_fields_that_differ():
    books = {"Fleet 00000": {"trial_balance": {"1000 USD": "5.00"}, "matches": {}, "items": 3},
             "Fleet 00001": {"trial_balance": {}, "matches": {"plaid:b": ["stripe:a:po"]}, "items": 1}}
    other = {"Fleet 00000": {**books["Fleet 00000"], "items": 2}, "Fleet 00001": books["Fleet 00001"]}
    assert compare(books, books) == {"companies": 2, "identical": 2, "differing": {}}
    assert compare(books, other)["differing"] == {"Fleet 00000": ["items"]}
    assert compare(books, {"Fleet 00001": books["Fleet 00001"]})["differing"] == {"Fleet 00000": ["missing"]}

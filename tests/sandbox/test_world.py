import io
import json
from pathlib import Path

import pytest

from sandbox.faults import parse_faults
from sandbox.world import WorldError, load_world, world_from_dict

from .conftest import build_world

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "mission-example.world.json"


def test_it_loads_the_mission_example_it_did_not_generate():
    world = load_world(EXAMPLE)
    assert [c.platform for c in world.rutter] == ["SHOPIFY", "AMAZON"]
    assert world.rutter[0].payouts[0]["transaction_ids"][0] == "shp-txn-2001"
    assert len(world.plaid[0].transactions) == 4 and world.events == []


def test_it_ignores_unknown_fields():
    raw = build_world()
    raw["extra"] = {"anything": 1}
    raw["rutter"][0]["orders"][0]["not_a_rutter_field"] = [1, 2]
    assert world_from_dict(raw).rutter[0].orders[0]["not_a_rutter_field"] == [1, 2]


@pytest.mark.parametrize("mutate, message", [
    (lambda w: w["rutter"][0]["payouts"][2].__setitem__("amount", "12.00"),
     "rutter[0].payouts[2].amount: expected a number"),
    (lambda w: w["rutter"][0]["transactions"][3].pop("created_at"),
     "rutter[0].transactions[3].created_at: required field is missing"),
    (lambda w: w["rutter"][0]["payouts"][0]["transaction_ids"].append("t-missing"),
     "rutter[0].payouts[0].transaction_ids[42]: unknown transaction 't-missing'"),
    (lambda w: w["stripe"][0]["payouts"][1].__setitem__("amount", 10.5),
     "stripe[0].payouts[1].amount: expected an integer"),
    (lambda w: w["plaid"][0]["transactions"][4].__setitem__("date", "03/05/2025"),
     "plaid[0].transactions[4].date: expected YYYY-MM-DD"),
    (lambda w: w["events"][0].__setitem__("provider", "paypal"),
     "events[0].provider"),
    (lambda w: w.__setitem__("format", "tieout.world/2"), "format: expected 'tieout.world/1'"),
])
def test_it_names_the_path_and_field_of_a_malformed_world(mutate, message):
    raw = build_world()
    mutate(raw)
    with pytest.raises(WorldError) as info:
        world_from_dict(raw)
    assert str(info.value).startswith(message)


def test_it_reports_invalid_json_without_a_traceback():
    with pytest.raises(WorldError, match="not valid JSON"):
        load_world(io.StringIO('{"format": '))


def test_it_reads_open_files(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps(build_world()))
    with open(path, "rb") as fh:
        assert load_world(fh).stripe[0].account_id == "acct_1TestConnected"


def test_it_parses_fault_specs():
    faults = parse_faults("429=0.05,5xx=0.1,slow=0.01,drop=0.1,dup=0.2,reorder=0.3")
    assert (faults.rate_429, faults.rate_5xx, faults.rate_slow) == (0.05, 0.1, 0.01)
    assert (faults.drop, faults.dup, faults.reorder) == (0.1, 0.2, 0.3)
    with pytest.raises(ValueError):
        parse_faults("teapot=0.5")
    with pytest.raises(ValueError):
        parse_faults("429=2")

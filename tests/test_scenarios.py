"""The short version of every shipped scenario runs and passes its own consistency checks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gatesim.run import run_scenario
from gatesim.scenario import load
from qrgate.errors import ConfigError

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "simulator" / "scenarios").glob("*.toml"))


def test_the_promised_scenarios_ship():
    names = {p.stem for p in SCENARIOS}
    assert {"lobby-rush", "hospital-day", "outage-day", "three-gates", "site-partition", "bad-day",
            "scanner-lane"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_short_scenario_is_consistent(path, tmp_path, mosquitto):
    out = io.StringIO()
    report_path = tmp_path / "report.json"
    code = run_scenario(path, short=True, json_path=str(report_path), out=out, live=True)
    report = json.loads(report_path.read_text())
    if path.stem == "site-partition":
        assert report["presence_model"] == "site", (
            "site-partition needs gates that share presence (site sync, GateApp.site); these gates each know "
            f"only their own movements. Not checked: {sorted(report['not_checked'])}\n" + out.getvalue()[-1500:])
    assert code == 0, out.getvalue()[-3000:]
    assert all(report["checks"].values())
    decided = sum(report["decisions_by_reason"].values())
    assert decided > 20, "a short run still has traffic worth checking"
    assert report["mqtt"]["events_received"] == report["mqtt"]["events_in_ledger"] > 0
    assert report["events"]["lost"] == 0
    site = report["site"]
    if report["presence_model"] == "site":  # every gate knows the whole site
        assert all(g["occupancy"] == site["occupancy"] for g in report["counts"].values())
    else:
        assert site["occupancy"] == sum(g["occupancy"] for g in report["counts"].values())
    assert "RESULT: ok" in out.getvalue()
    if path.stem == "outage-day":
        kinds = {f["kind"] for f in report["faults"] if "skipped" not in f}
        assert {"broker_down", "camera_unplugged", "controller_restart"} <= kinds
        assert report["alarms"].get("camera_fault") == 1
    if path.stem == "hospital-day":  # CCCD holders on the hospital's list and off it
        assert report["decisions_by_reason"].get("granted: granted_listed", 0) > 0
        assert report["decisions_by_reason"].get("denied: not_on_list", 0) > 0
    if path.stem == "three-gates":
        assert len(report["counts"]) == 3
    if path.stem == "bad-day":  # every fault of the day met, each with its own check
        kinds = [f["kind"] for f in report["faults"] if "skipped" not in f]
        assert sorted(set(kinds)) == ["client_takeover", "clock_step", "disk_full", "ledger_readonly"]
        assert {"everyone_who_pressed_the_exit_button_got_out", "storage_faults_raised_and_cleared",
                "clock_steps_logged", "no_event_purged_early", "gate_came_back_after_a_takeover",
                "alarms_as_expected", "mqtt_retained_counts_equal_ledger"} <= set(report["checks"])
        assert report["exit_button"]["presses"] > 0 and report["alarms"].get("storage_fault", 0) >= 2
        assert any(f.get("kept_in_memory") for f in report["faults"] if f["kind"] == "disk_full")
    if path.stem == "site-partition":
        assert not report["not_checked"]
        kinds = {f["kind"]: f for f in report["faults"] if "skipped" not in f}
        assert {"partition", "gate_restart_missed"} <= set(kinds)
        assert kinds["partition"]["disconnected_seen"] and kinds["partition"]["decided_alone"] > 0
        assert kinds["gate_restart_missed"]["decisions_missed"] > 0
        assert {"cap_never_exceeded", "every_partition_conflict_reported", "gates_converged_after_each_heal"} \
            <= set(report["checks"])
    if path.stem == "scanner-lane":  # people at both lanes; the scanner's lines read by the gate's serial reader
        lanes = report["lanes"]
        assert lanes["camera"]["decisions"] > 0 and lanes["scanner"]["decisions"] > 0
        assert [(r["kind"], r["codes"]) for r in report["scanner_readers"]["lobby"]] == \
            [("serial", lanes["scanner"]["decisions"])]
    if path.stem == "declaration-day":  # each path: the phone's form, the guard's desk, a refusal
        d = report["declarations"]
        assert d["phone_pass"] > 0 and d["guard_pass"] > 0 and d["phone_refused"] + d["guard_refused"] > 0
        assert d["entered_with_day_pass"]["phone"] > 0 and d["entered_with_day_pass"]["guard"] > 0
        assert d["entered_with_day_pass"]["phone"] <= d["phone_pass"]


def test_a_bad_scenario_names_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[arrivals]\nrate_per_minut = 3\n')
    with pytest.raises(ConfigError, match="arrivals.rate_per_minut: unknown key; did you mean 'rate_per_minute'"):
        load(bad)
    bad.write_text('name = "x"\n[[faults]]\nkind = "meteor"\n')
    with pytest.raises(ConfigError, match="faults\\[0\\].kind: 'meteor' is not one of"):
        load(bad)


def test_a_gate_that_decides_wrongly_makes_the_run_fail(tmp_path, mosquitto, monkeypatch):
    from gatesim import truth

    honest = truth.Truth.expect

    def stricter(self, gate, direction, holder, quality):  # an account that disagrees with the gate
        granted, reason, resolved = honest(self, gate, direction, holder, quality)
        return (False, "occupancy_full", resolved) if granted and resolved == "entry" else (granted, reason, resolved)

    monkeypatch.setattr(truth.Truth, "expect", stricter)
    out = io.StringIO()
    code = run_scenario(SCENARIOS[0], short=True, out=out, live=False)
    assert code == 1 and "[FAILED] every decision as expected" in out.getvalue()


def test_docs_list_every_scenario_key():
    from gatesim.scenario import describe_scenario

    doc = (Path(__file__).resolve().parents[1] / "docs" / "simulator.md").read_text()
    for key, _default, _meaning in describe_scenario():
        assert f"`{key}`" in doc, key

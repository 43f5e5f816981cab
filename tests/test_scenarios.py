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


def test_the_four_promised_scenarios_ship():
    names = {p.stem for p in SCENARIOS}
    assert {"lobby-rush", "hospital-day", "outage-day", "three-gates"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_short_scenario_is_consistent(path, tmp_path, mosquitto):
    out = io.StringIO()
    report_path = tmp_path / "report.json"
    code = run_scenario(path, short=True, json_path=str(report_path), out=out, live=True)
    report = json.loads(report_path.read_text())
    assert code == 0, out.getvalue()[-3000:]
    assert all(report["checks"].values())
    decided = sum(report["decisions_by_reason"].values())
    assert decided > 20, "a short run still has traffic worth checking"
    assert report["mqtt"]["events_received"] == report["mqtt"]["events_in_ledger"] > 0
    site = report["site"]
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

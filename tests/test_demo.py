"""`make demo` in short: every visitor gets the right answer and MQTT equals the ledger,
against Mosquitto and against the embedded broker with the same client code."""

from __future__ import annotations

import io
import json

import pytest

from gatesim.demo import run_demo


@pytest.mark.parametrize("broker", ["mosquitto", "amqtt"])
def test_demo_counts_match(tmp_path, broker, mosquitto):
    out = io.StringIO()
    summary_path = tmp_path / "summary.json"
    code = run_demo(6, broker=broker, out=out, json_path=str(summary_path), seed=3)
    summary = json.loads(summary_path.read_text())
    assert summary["broker"] == broker, out.getvalue()
    assert code == 0, out.getvalue()
    assert summary["mqtt_matches_ledger"] and summary["missed_visitors"] == 0
    assert sum(summary["decisions_by_reason"].values()) == summary["visitors"]
    assert "RESULT: ok" in out.getvalue()
    assert summary["declaration_desk"] == {"ready": True, "questions": 3}, out.getvalue()
    assert "health declaration form: http://127.0.0.1:" in out.getvalue()

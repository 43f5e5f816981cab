"""A gate with a serial scanner module as its entry reader: the production GateApp on
MockFactory pins, the reader on a real pty (gatesim's virtual scanner), a real ledger; and a
scenario whose gate has a scanner lane beside its cameras."""

from __future__ import annotations

import io
import json
import time

import pytest
from gpiozero.pins.mock import MockFactory

from gatesim.run import run_scenario
from gatesim.scanner import VirtualScanner
from gatesim.scenario import load
from qrgate.errors import ConfigError
from qrgate.app import GateApp
from qrgate.config import (Config, GateConfig, LedgerConfig, MqttConfig, SerialReaderConfig, SiteConfig,
                           TrustConfig)
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from waiting import wait_until as wait_for

HOUR = 3600


def test_a_scanner_module_opens_the_gate_and_its_loss_is_an_alarm(tmp_path, keys, office):
    link = tmp_path / "scanner"
    scanner = VirtualScanner(link, read_seconds=0.05)
    cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "site.secret")), gate=GateConfig(relay_seconds=0.2),
                 readers=[SerialReaderConfig(port=str(link), direction="entry")],
                 trust=TrustConfig(files=[keys["trust"]]), ledger=LedgerConfig(path=str(tmp_path / "l.db")),
                 mqtt=MqttConfig(enabled=False))
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    app = GateApp(cfg, io=io).start()
    try:
        assert wait_for(lambda: app.scanners and app.scanners[0].connected)
        now = time.time()
        scanner.show(office.issue("v1", now - HOUR, now + HOUR))
        assert wait_for(lambda: [e.type for e in app.ledger.events()] == ["entry"])
        assert any(s.state for s in pins.pin(DEFAULT_PINS["relay"]).states)
        scanner.send(b"\x00\x01garbage\xff\r\n")  # refused by the reader, never a scan
        scanner.unplug()
        assert wait_for(lambda: "reader_fault" in app.state()["alarms"])
        assert app.state()["readers"] == [{"kind": "serial", "direction": "entry", "ok": False}]
        scanner.plug()
        assert wait_for(lambda: "reader_fault" not in app.state()["alarms"], 10)
        assert [e.type for e in app.ledger.events()].count("entry") == 1
    finally:
        app.stop()
        scanner.close()


def _play(tmp_path, text: str) -> tuple[dict, str]:
    """Run a scenario written out from `text`; it must pass its checks. Its report and printout."""
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(text)
    out = io.StringIO()
    code = run_scenario(scenario, json_path=str(tmp_path / "r.json"), out=out, live=False)
    assert code == 0, out.getvalue()[-3000:]
    return json.loads((tmp_path / "r.json").read_text()), out.getvalue()


SCANNER_AT_THE_ENTRY = """
name = "scanner-entry"
duration_minutes = 12
[[gates]]
id = "gate1"
cameras = "separate"
[[gates.scanners]]
direction = "entry"
share = 1.0
read_seconds = 0.1
terminator = "cr"
[population]
app_passes = 30
[arrivals]
rate_per_minute = 3
stay_minutes = 3
[behaviours]
expired_pass = 0.1
"""


def test_a_scenario_scanner_lane_goes_through_the_gates_serial_reader(tmp_path, mosquitto):
    """Everyone enters by the scanner module and leaves by the exit camera: every entry decision
    came down the pty, through the gate's SerialReader configured as [[readers]] kind = "serial"."""
    report, out = _play(tmp_path, SCANNER_AT_THE_ENTRY)
    lanes, counts = report["lanes"], report["counts"]["gate1"]["total"]
    [reader] = report["scanner_readers"]["gate1"]
    assert reader["kind"] == "serial" and reader["reader"] == ["SerialReader"] and reader["direction"] == "entry"
    assert reader["port"].endswith("scanner-entry") and reader["refused"] == {} and reader["losses"] == 0
    # every entry and every refused entry went through the scanner, every exit through the camera
    assert lanes["scanner"]["decisions"] == reader["codes"] == counts["entries"] + counts["denials"] > 0
    assert lanes["camera"]["decisions"] == counts["exits"] > 0
    assert lanes["scanner"]["never_read"] == 0 and lanes["scanner"]["present_to_decision_ms"]["n"] == reader["codes"]
    assert report["checks"]["every_scanner_line_read_and_decided"]
    assert "Scanner reader gate1 entry: serial on" in out


def test_a_scanner_needs_a_lane_of_its_gate(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[gates]]\ncameras = "separate"\n[[gates.scanners]]\ndirection = "auto"\n')
    with pytest.raises(ConfigError, match=r"gates\[0\]\.scanners\[0\]\.direction: a gate with separate cameras "
                                          "has entry and exit lanes, not auto"):
        load(bad)
    bad.write_text('[[gates]]\ncameras = "shared"\n[[gates.scanners]]\ndirection = "auto"\n'
                   '[[gates.scanners]]\ndirection = "auto"\n')
    with pytest.raises(ConfigError, match=r"gates\[0\]\.scanners\[1\]\.direction: one scanner per lane"):
        load(bad)


CAMERA_BESIDE_A_SCANNER = """
name = "raise-the-code"
seed = 4
duration_minutes = 10
camera = "normal"
approach_seconds = {approach}
gates = [{{id = "gate1", cameras = "shared", scanners = [{{direction = "auto", share = 0.4, read_seconds = 0.15}}]}}]
population = {{app_passes = 14}}
arrivals = {{rate_per_minute = 3, stay_minutes = 3}}
"""


@pytest.mark.parametrize("approach", [0.0, 1.0])
def test_a_camera_lane_counts_from_the_visitor_raising_the_code(approach, tmp_path, mosquitto, monkeypatch):
    """With approach_seconds the visitor brings the code up from arm's length over that time: the
    camera lane's presented -> decision counts from the start of it, hundreds of ms of simulated
    time as the scanner's counts its read time; 0 keeps the code in view from the first frame. The
    simulated clock moves with the frames: each decision is made with the clock at its read's time."""
    import gatesim.world

    lags = []
    note = gatesim.world.World._note_decision

    def note_and_check(world, outcome):
        lags.append(outcome.event.at - world.clock.now)
        note(world, outcome)

    monkeypatch.setattr(gatesim.world.World, "_note_decision", note_and_check)
    report, _ = _play(tmp_path, CAMERA_BESIDE_A_SCANNER.format(approach=approach))
    camera, scanner = report["lanes"]["camera"], report["lanes"]["scanner"]
    assert camera["decisions"] >= 5 and scanner["decisions"] >= 5 and camera["never_read"] == 0
    if approach:  # still far and moving for the first frames: the code is read well into the second
        assert camera["present_to_decision_ms"]["p50"] >= 250
    else:
        assert camera["present_to_decision_ms"]["p50"] < 100
    assert 50 < scanner["present_to_decision_ms"]["p50"] < 400
    assert len(lags) == camera["decisions"] + scanner["decisions"]
    assert max(abs(lag) for lag in lags) < 1e-6, "a decision made with the simulated clock behind its read"


def test_raising_the_code_needs_a_scene_with_a_pose(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('camera = "easy"\napproach_seconds = 1.0\n')
    with pytest.raises(ConfigError, match="approach_seconds: the easy scene pastes the code flat"):
        load(bad)

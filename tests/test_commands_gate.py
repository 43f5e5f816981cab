"""The gate side of commands and latched alarms, on the production GateApp (MockFactory pins,
a real ledger file), wired the way docs/mqtt.md asks app.py to wire it."""

from __future__ import annotations

import sqlite3

import pytest
from gpiozero.pins.mock import MockFactory

from qrgate.app import GateApp
from qrgate.comms.alarm_store import AlarmStore
from qrgate.comms.commands import Command
from qrgate.comms.gate_target import GateTarget, run_command
from qrgate.config import CameraConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS


class CheckingIO(GpioGateIO):
    """Notes, at the moment the relay is pulsed, which events another connection can already read."""

    def __init__(self, db, **kw):
        super().__init__(**kw)
        self.db = db
        self.seen_at_pulse: list[list[str]] = []

    def pulse_relay(self, seconds):
        with sqlite3.connect(self.db) as conn:
            self.seen_at_pulse.append([t for (t,) in conn.execute("SELECT type FROM events ORDER BY seq")])
        super().pulse_relay(seconds)


class Rig:
    def __init__(self, tmp_path, keys):
        self.db = tmp_path / "ledger.db"
        cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "site.secret")),
                     gate=GateConfig(id="g1", relay_seconds=0.2, door_held_seconds=20),
                     cameras=[CameraConfig(source="files")], trust=TrustConfig(files=[keys["trust"]]),
                     ledger=LedgerConfig(path=str(self.db)), mqtt=MqttConfig(enabled=False))
        self.pins = MockFactory()
        self.io = CheckingIO(self.db, pin_factory=self.pins)
        self.pin("door_contact").drive_low()  # shut
        self.pin("tamper").drive_low()  # enclosure closed
        self.app = GateApp(cfg, io=self.io)
        self.app.start(cameras=False)
        self.store = AlarmStore(self.db)
        self.target = GateTarget(self.app.controller, self.store, clock=self.app.clock,
                                 unlock=self.app._unlock).attach()

    def pin(self, name):
        return self.pins.pin(DEFAULT_PINS[name])

    def rises(self) -> int:
        return sum(1 for s in self.pin("relay").states if s.state)

    def events(self) -> list[tuple[str, str]]:
        return [(e.type, e.reason) for e in self.app.ledger.events()]

    def close(self):
        self.target.close()
        self.store.close()
        self.app.stop()


@pytest.fixture
def rig(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    yield rig
    rig.close()


def test_remote_open_is_durable_before_the_relay_moves(rig):
    assert run_command(rig.target, Command("open", "r-1", "admin")) == "done"
    assert rig.io.seen_at_pulse == [["remote_open"]]
    assert rig.rises() == 1
    [event] = rig.app.ledger.events()
    assert (event.type, event.reason, event.holder) == ("remote_open", "command", None)
    assert rig.app.ledger.details(event.id) == {"by": "admin", "request_id": "r-1"}


def test_a_door_opened_after_a_remote_open_is_not_forced(rig):
    rig.target.open_gate("admin", "r-1")
    rig.pin("door_contact").drive_high()
    rig.pin("door_contact").drive_low()
    assert rig.events() == [("remote_open", "command")]
    assert not rig.target.alarms()["door_forced"]["on"]


def test_lockdown_refuses_remote_open_releases_the_relay_and_survives_a_restart(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    rig.io.pulse_relay(5)  # a grant in progress
    assert rig.target.set_lockdown(True) == "done"
    assert rig.io.is_relay_on is False and rig.io.led_color == "red"
    assert rig.target.open_gate("admin", "r-2") == "lockdown"
    assert rig.rises() == 1  # only the grant before the lockdown
    assert rig.target.state() == {"mode": "lockdown", "lockdown": True, "free_exit": False}
    rig.close()

    again = Rig(tmp_path, keys)  # a controller restart on the same file
    try:
        assert again.target.mode.lockdown and again.io.led_color == "red"
        assert again.target.set_lockdown(False) == "done"
        assert again.io.led_color == "blue"
        assert again.target.open_gate("admin", "r-3") == "done" and again.rises() == 1
        assert again.events() == [("mode", "lockdown_on"), ("mode", "lockdown_off"), ("remote_open", "command")]
    finally:
        again.close()


def test_mode_listeners_hear_the_mode_decide_takes(rig):
    heard = []
    rig.target.mode_changed.append(lambda mode: heard.append(mode.name))
    rig.target.set_free_exit(True)
    rig.target.set_lockdown(True)  # lockdown wins; free exit comes back when it ends
    rig.target.set_lockdown(False)
    assert heard == ["free_exit", "lockdown", "free_exit"]


def test_a_forced_door_latches_until_acknowledged_even_across_a_restart(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    rig.pin("door_contact").drive_high()  # opened with the lock shut: GateApp's door monitor raises it
    alarm = rig.target.alarms()["door_forced"]
    assert alarm["on"] and alarm["active"] and alarm["latched"]
    rig.pin("door_contact").drive_low()
    alarm = rig.target.alarms()["door_forced"]
    assert alarm["on"] and not alarm["active"] and alarm["latched"]
    rig.close()

    again = Rig(tmp_path, keys)
    try:
        assert again.target.alarms()["door_forced"]["latched"]
        assert again.target.acknowledge("door_forced") == "done"
        assert not again.target.alarms()["door_forced"]["on"]
        assert again.target.acknowledge("door_forced") == "not_latched"
        assert again.events() == [("alarm", "door_forced"), ("alarm_cleared", "door_forced"),
                                  ("alarm_ack", "door_forced")]
    finally:
        again.close()


def test_the_latch_is_refolded_from_the_ledger_when_the_snapshot_is_behind(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    rig.pin("tamper").drive_high()  # raised while nobody asked for alarms: no snapshot yet
    rig.close()
    again = Rig(tmp_path, keys)
    try:
        assert again.store.alarms()[1] == 0  # never folded
        assert again.target.alarms()["tamper"] == {**again.target.alarms()["tamper"], "on": True, "active": True}
    finally:
        again.close()


def test_tamper_camera_io_link_and_acknowledge_all(rig):
    rig.pin("tamper").drive_high()  # enclosure opened
    rig.app.camera_changed(0, False, "no frames")
    rig.io.when_online_changed(False)  # what a backend calls when its I/O board stops answering
    alarms = rig.target.alarms()
    assert all(alarms[a]["on"] for a in ("tamper", "camera_fault", "io_board_offline"))
    assert rig.target.acknowledge("all") == "done"
    # the acknowledgement unlatches, but a condition that lasts keeps the alarm on
    assert rig.target.alarms()["tamper"] == {**rig.target.alarms()["tamper"], "on": True, "latched": False}
    rig.pin("tamper").drive_low()
    rig.app.camera_changed(0, True)
    rig.io.when_online_changed(True)
    assert not any(a["on"] for a in rig.target.alarms().values())
    assert ("alarm_cleared", "io_board_offline") in rig.events()


def test_reset_daily_counts_keeps_the_totals(rig, now):
    ledger = rig.app.ledger
    for i in range(3):
        ledger.record(at=now, gate_id="g1", type="entry", reason="granted", holder=f"h{i}")
    ledger.record(at=now, gate_id="g1", type="denied", reason="expired")
    rig.target.clock = lambda: now
    assert rig.target.reset_daily_counts() == "done"
    counts = rig.target.counts(now)
    assert counts["today"] == {"entries": 0, "exits": 0, "denials": 0}
    assert counts["total"] == {"entries": 3, "exits": 0, "denials": 1}
    assert counts["last_denial"]["reason"] == "expired"
    ledger.record(at=now, gate_id="g1", type="exit", reason="granted", holder="h0")
    assert rig.target.counts(now)["today"]["exits"] == 1
    assert rig.target.counts(now)["occupancy"] == 2
    assert rig.target.counts(now + 86400)["today"] == {"entries": 0, "exits": 0, "denials": 0}


def test_a_command_that_fails_in_the_ledger_says_so(rig):
    rig.app.ledger.close()  # the log cannot be written: nothing may move
    assert run_command(rig.target, Command("open", "r-9", "admin")) == "failed"
    assert rig.rises() == 0

"""The gate side of actions and latched alarms, on the production GateApp (MockFactory pins,
a real ledger file), with MQTT off: the gate's state is core, not comms."""

from __future__ import annotations

import functools
import sqlite3

import pytest

from conftest import mock_gate_app
from qrgate.actions import Action
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
        self.db = tmp_path / "g1.db"
        self.app, self.pins = mock_gate_app(tmp_path, keys["trust"], door_held_seconds=20,
                                            io_class=functools.partial(CheckingIO, self.db))
        self.io = self.app.io
        self.app.start(cameras=False)

    def do(self, name, value=None, **kw):
        return self.app.perform(Action(name, kw.pop("by", "admin"), value=value, **kw))

    def pin(self, name):
        return self.pins.pin(DEFAULT_PINS[name])

    def rises(self) -> int:
        return sum(1 for s in self.pin("relay").states if s.state)

    def events(self) -> list[tuple[str, str]]:
        return [(e.type, e.reason) for e in self.app.ledger.events()]

    def close(self):
        self.app.stop()


@pytest.fixture
def rig(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    yield rig
    rig.close()


def test_remote_open_is_a_forced_decision_durable_before_the_relay_moves(rig):
    result = rig.do("open", request_id="r-1", source="mqtt")
    assert (result.ok, result.reason) == (True, "done")
    assert rig.io.seen_at_pulse == [["remote_open"]]
    assert rig.rises() == 1
    [event] = rig.app.ledger.events()
    assert (event.id, event.type, event.reason, event.holder) == (result.event_id, "remote_open", "guard_override", None)
    assert rig.app.ledger.details(event.id) == {"override_by": "admin", "override_why": "remote open", "by": "admin",
                                                "source": "mqtt", "request_id": "r-1"}


def test_an_override_needs_a_reason_and_records_the_guard(rig):
    assert rig.do("override", by="guard-7").reason == "reason_required"
    assert rig.rises() == 0 and rig.events() == []
    result = rig.do("override", by="guard-7", why="phone battery died", source="console")
    assert result.ok and rig.rises() == 1
    [event] = rig.app.ledger.events()
    detail = rig.app.ledger.details(event.id)
    assert event.type == "override" and detail["override_by"] == "guard-7" and detail["why"] == "phone battery died"


def test_a_door_opened_after_a_remote_open_is_not_forced(rig):
    rig.do("open")
    rig.pin("door_contact").drive_high()
    rig.pin("door_contact").drive_low()
    assert rig.events() == [("remote_open", "guard_override")]
    assert not rig.app.alarms()["door_forced"]["on"]


def test_lockdown_refuses_remote_open_releases_the_relay_and_survives_a_restart(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    rig.io.pulse_relay(5)  # a grant in progress
    assert rig.do("lockdown", True).ok
    assert rig.io.is_relay_on is False and rig.io.led_color == "red"
    assert rig.do("open").reason == "lockdown"
    assert rig.rises() == 1  # only the grant before the lockdown
    assert {k: rig.app.state()[k] for k in ("mode", "lockdown", "free_exit")} == \
        {"mode": "lockdown", "lockdown": True, "free_exit": False}
    rig.close()

    again = Rig(tmp_path, keys)  # a controller restart on the same file
    try:
        assert again.app.state()["mode"] == "lockdown" and again.io.led_color == "red"
        assert again.do("lockdown", False).ok
        assert again.io.led_color == "blue"
        assert again.do("open").ok and again.rises() == 1
        assert again.events() == [("mode", "lockdown_on"), ("mode", "lockdown_off"),
                                  ("remote_open", "guard_override")]
    finally:
        again.close()


def test_mode_listeners_hear_the_mode_decide_takes(rig):
    heard = []
    rig.app.gate_state.mode_changed.append(lambda mode: heard.append(mode.value))
    rig.do("free_exit", True)
    rig.do("lockdown", True)  # lockdown wins; free exit comes back when it ends
    rig.do("lockdown", False)
    assert heard == ["free_exit", "lockdown", "free_exit"]


def test_a_forced_door_latches_until_acknowledged_even_across_a_restart(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    rig.pin("door_contact").drive_high()  # opened with the lock shut: GateApp's door monitor raises it
    alarm = rig.app.alarms()["door_forced"]
    assert alarm["on"] and alarm["active"] and alarm["latched"]
    rig.pin("door_contact").drive_low()
    alarm = rig.app.alarms()["door_forced"]
    assert alarm["on"] and not alarm["active"] and alarm["latched"]
    rig.close()

    again = Rig(tmp_path, keys)
    try:
        assert again.app.alarms()["door_forced"]["latched"]
        assert again.do("ack_alarm", "door_forced").ok
        assert not again.app.alarms()["door_forced"]["on"]
        assert again.do("ack_alarm", "door_forced").reason == "not_latched"
        assert again.events() == [("alarm", "door_forced"), ("alarm_cleared", "door_forced"),
                                  ("alarm_ack", "door_forced")]
    finally:
        again.close()


def test_the_latch_is_refolded_from_the_ledger_when_the_snapshot_is_behind(tmp_path, keys):
    rig = Rig(tmp_path, keys)
    rig.pin("tamper").drive_high()
    with sqlite3.connect(rig.db) as conn:  # as if the gate lost power before saving its snapshot
        conn.execute("DELETE FROM gate_alarms")
        conn.execute("DELETE FROM gate_alarm_fold")
    rig.close()
    again = Rig(tmp_path, keys)
    try:
        assert again.app.ledger.saved_alarms() == ({}, 0)
        assert again.app.alarms()["tamper"] == {**again.app.alarms()["tamper"], "on": True, "active": True}
    finally:
        again.close()


def test_tamper_camera_io_link_and_acknowledge_all(rig):
    rig.pin("tamper").drive_high()  # enclosure opened
    rig.app.camera_changed(0, False, "no frames")
    rig.io.when_online_changed(False)  # what a backend calls when its I/O board stops answering
    alarms = rig.app.alarms()
    assert all(alarms[a]["on"] for a in ("tamper", "camera_fault", "io_board_offline"))
    assert rig.do("ack_alarm", "all").ok
    # the acknowledgement unlatches, but a condition that lasts keeps the alarm on
    assert rig.app.alarms()["tamper"] == {**rig.app.alarms()["tamper"], "on": True, "latched": False}
    rig.pin("tamper").drive_low()
    rig.app.camera_changed(0, True)
    rig.io.when_online_changed(True)
    assert not any(a["on"] for a in rig.app.alarms().values())
    assert ("alarm_cleared", "io_board_offline") in rig.events()


def test_reset_daily_counts_keeps_the_totals(rig, now):
    ledger = rig.app.ledger
    for i in range(3):
        ledger.record(at=now, gate_id="g1", type="entry", reason="granted", holder=f"h{i}")
    ledger.record(at=now, gate_id="g1", type="denied", reason="expired")
    rig.app.clock = lambda: now
    assert rig.do("reset_counts").ok
    counts = rig.app.counts(now)
    assert counts["today"] == {"entries": 0, "exits": 0, "denials": 0}
    assert counts["total"] == {"entries": 3, "exits": 0, "denials": 1}
    assert counts["last_denial"]["reason"] == "expired"
    ledger.record(at=now, gate_id="g1", type="exit", reason="granted", holder="h0")
    assert rig.app.counts(now)["today"]["exits"] == 1
    assert rig.app.counts(now)["occupancy"] == 2
    assert rig.app.counts(now + 86400)["today"] == {"entries": 0, "exits": 0, "denials": 0}


def test_a_guard_marks_a_pass_holder_as_left(rig, now):
    ledger = rig.app.ledger
    ledger.record(at=now, gate_id="g1", type="entry", reason="granted", holder="a1" * 8, pass_id="0123456789ab")
    assert rig.do("mark_left", "0123456789ab", by="guard-2").reason == "reason_required"
    result = rig.do("mark_left", "0123456789ab", by="guard-2", why="left by the exit button")
    assert result.ok and not ledger.is_inside("a1" * 8) and rig.rises() == 0
    assert rig.events()[-1] == ("exit", "marked_left")
    assert ledger.details(result.event_id)["by"] == "guard-2"
    assert rig.do("mark_left", "0123456789ab", by="guard-2", why="again").reason == "not_inside"
    assert rig.do("mark_left", "ffffffffffff", by="guard-2", why="unknown").reason == "not_inside"


def test_malformed_actions_are_refused_with_a_reason_and_change_nothing(rig):
    assert rig.do("explode").reason == "unknown_action"
    assert rig.do("open", by="Nguyễn Văn A").reason == "bad_by"  # an account id, never a name
    assert rig.do("lockdown", "yes").reason == "bad_value"
    assert rig.do("open", direction="sideways").reason == "bad_direction"
    assert rig.events() == [] and rig.rises() == 0


def test_lockdown_and_alarms_work_with_mqtt_off(rig):
    assert rig.app.reporter is None
    rig.do("lockdown", True)
    rig.pin("door_contact").drive_high()
    assert rig.app.state()["mode"] == "lockdown" and "door_forced" in rig.app.state()["alarms"]


def test_an_action_that_fails_in_the_ledger_says_so(rig):
    rig.app.ledger.close()  # the log cannot be written: nothing may move
    assert rig.do("open").reason == "failed"
    assert rig.rises() == 0


def test_every_action_reason_in_the_registry_is_produced(rig, now):
    from qrgate.policy.reasons import ACTION_TEXT

    rig.app.ledger.record(at=now, gate_id="g1", type="entry", reason="granted", holder="b2" * 8, pass_id="ab" * 6)
    produced = {
        rig.do("open").reason, rig.do("explode").reason, rig.do("open", by="a b").reason,
        rig.do("override").reason, rig.do("override", why="x" * 201).reason, rig.do("lockdown", 1).reason,
        rig.do("open", direction="up").reason, rig.do("ack_alarm", "tamper").reason, rig.do("confirm", "p1").reason,
        rig.do("mark_left", "cd" * 6, why="gone").reason,
        rig.do("mark_left", "ab" * 6, why="left by the side door").reason,
    }
    assert rig.events()[-1] == ("exit", "marked_left")
    produced.add(rig.events()[-1][1])  # the reason of the exit a guard recorded
    rig.app.ledger.close()
    produced.add(rig.do("reset_counts").reason)
    assert produced == set(ACTION_TEXT), sorted(set(ACTION_TEXT) ^ produced)

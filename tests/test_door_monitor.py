"""Door alarms, table-driven on an injected clock."""

from __future__ import annotations

from qrgate.state.door import DOOR_FORCED, DOOR_HELD_OPEN, DoorMonitor


def changes(items):
    return [(c.alarm, c.active) for c in items]


def test_opening_after_a_grant_is_no_alarm_and_closing_in_time_is_none():
    m = DoorMonitor(held_open_seconds=10)
    m.unlock(0.0, 3.0)
    assert changes(m.door_changed(True, 0.8)) == []
    assert changes(m.tick(5.0)) == []
    assert changes(m.door_changed(False, 6.0)) == []
    assert m.active == frozenset()


def test_opening_just_after_relock_is_within_grace():
    m = DoorMonitor(unlock_grace_seconds=1.5)
    m.unlock(0.0, 3.0)
    assert changes(m.door_changed(True, 4.0)) == []


def test_forced_door():
    m = DoorMonitor(unlock_grace_seconds=1.5)
    assert changes(m.door_changed(True, 0.0)) == [(DOOR_FORCED, True)]
    m.door_changed(False, 1.0)
    m.unlock(2.0, 3.0)
    assert changes(m.door_changed(True, 10.0)) == [(DOOR_FORCED, True)]
    assert changes(m.door_changed(False, 12.0)) == [(DOOR_FORCED, False)]


def test_held_open_raises_once_and_clears_on_close():
    m = DoorMonitor(held_open_seconds=10)
    m.unlock(0.0, 3.0)
    m.door_changed(True, 1.0)
    assert changes(m.tick(10.9)) == []
    assert changes(m.tick(11.0)) == [(DOOR_HELD_OPEN, True)]
    assert changes(m.tick(30.0)) == []
    assert changes(m.door_changed(False, 31.0)) == [(DOOR_HELD_OPEN, False)]


def test_repeated_door_reports_change_nothing():
    m = DoorMonitor()
    assert changes(m.door_changed(False, 1.0)) == []
    m.door_changed(True, 2.0)
    assert changes(m.door_changed(True, 2.5)) == []


def test_held_open_time_does_not_run_while_the_door_cannot_be_seen():
    m = DoorMonitor(held_open_seconds=10)
    m.unlock(0.0, 3.0)
    m.door_changed(True, 1.0)
    m.link_changed(False, 2.0)
    assert changes(m.tick(30.0)) == []
    m.link_changed(True, 31.0)
    assert changes(m.tick(40.0)) == []
    assert changes(m.tick(41.0)) == [(DOOR_HELD_OPEN, True)]

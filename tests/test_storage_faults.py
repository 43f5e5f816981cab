"""A log that cannot be written: people still get out, the fault is an alarm, nothing is lost,
and a damaged or vanished log is refused at start. Real SQLite files on real filesystems: a
small tmpfs mounted for the test fills up like an SD card; a log turned read-only while the
gate runs is SQLite's query_only on the ledger's connection (Linux will not remount a
filesystem read-only under a file open for writing); a read-only mount is used at start."""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import mock_gate_app
from gatesim.camera import VirtualCamera
from qrgate.errors import LedgerError
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.ledger import Ledger
from waiting import wait_until as wait_for

HOUR = 3600


def frame_with(payload):
    camera = VirtualCamera(1280, 720)
    camera.show(payload)
    return camera.frame()


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs of the test's own; needs root, as `make test` runs here."""
    mount = tmp_path / "sd"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode:
        pytest.fail(f"these tests mount a small tmpfs to fill it, which needs root: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_the_disk(mount) -> None:
    with open(mount / "filler", "wb", buffering=0) as fh:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError:  # ENOSPC: this size no longer fits
                pass


def free_the_disk(mount) -> None:
    (mount / "filler").unlink()


def make_read_only(ledger: Ledger, on: bool = True) -> None:
    ledger._conn.execute(f"PRAGMA query_only = {int(on)}")


@pytest.fixture
def gate(tmp_path, keys):
    app, pins = mock_gate_app(tmp_path, keys["trust"], relay_seconds=0.2, exit_button_seconds=0.2)
    app.start(cameras=False)
    yield app, pins
    app.stop()


def relay_rises(pins) -> int:
    return sum(1 for s in pins.pin(DEFAULT_PINS["relay"]).states if s.state)


def press_exit_button(pins) -> None:
    button = pins.pin(DEFAULT_PINS["exit_button"])
    button.drive_low()  # pressed (pulled up, active low)
    time.sleep(0.05)
    button.drive_high()


def test_the_exit_button_opens_the_door_on_a_full_disk_and_is_logged_later_with_its_time(small_disk, keys):
    app, pins = mock_gate_app(small_disk, keys["trust"], relay_seconds=0.2, exit_button_seconds=0.2)
    app.start(cameras=False)
    try:
        _exit_on_a_full_disk(app, pins, small_disk)
    finally:
        app.stop()


def _exit_on_a_full_disk(app, pins, mount):
    fill_the_disk(mount)
    pressed_at = time.time()
    press_exit_button(pins)
    assert wait_for(lambda: relay_rises(pins) == 1), "egress must never wait on the log"
    assert wait_for(lambda: app.state()["storage"] == "fault")
    assert "storage_fault" in app.state()["alarms"]
    assert app.ledger.queued >= 2  # the press and the alarm wait in memory
    free_the_disk(mount)
    app.tick()
    [press] = [e for e in app.ledger.events() if e.type == "exit_button"]
    assert abs(press.at - pressed_at) < 1.0  # the original time, not the time it was written
    assert app.state()["storage"] == "ok" and "storage_fault" not in app.state()["alarms"]
    types = [(e.type, e.reason) for e in app.ledger.events()]
    assert ("alarm", "storage_fault") in types and ("alarm_cleared", "storage_fault") in types


def test_a_read_only_log_refuses_entries_with_an_alarm_lets_exits_out_and_loses_nothing(gate, office):
    app, pins = gate
    lane = app.lanes[0]
    now = time.time()
    make_read_only(app.ledger)
    [denied] = lane.process_frame(frame_with(office.issue("v1", now - HOUR, now + HOUR)), now)
    assert (denied.decision.granted, denied.decision.reason) == (False, "storage_fault")
    assert relay_rises(pins) == 0
    assert app.io._idle.color == "amber"  # between indications the fault light shows, not the ready light
    assert app.state()["storage"] == "fault" and app.alarms()["storage_fault"]["on"]
    # a free-exit gate lets people out whatever the log does
    make_read_only(app.ledger, False)
    app.gate_state.set_switch("free_exit", True, now + 1, "test")
    make_read_only(app.ledger)
    out = app.controller.handle_scan(_exit_scan(app, "not a pass", now + 2))
    assert out.decision.granted and out.decision.reason == "free_exit" and relay_rises(pins) == 1
    make_read_only(app.ledger, False)
    app.tick(now + 3)
    written = [(e.type, e.reason) for e in app.ledger.events()]
    assert ("denied", "storage_fault") in written and ("exit", "free_exit") in written
    assert app.state()["storage"] == "ok" and app.io._idle.color == "blue"


def _exit_scan(app, text, at):
    from qrgate.model import Direction, Scan

    return Scan(text, app.cfg.gate.id, Direction.EXIT, at)


def test_a_forced_door_during_the_fault_stays_raised_and_is_logged_afterwards(gate):
    app, pins = gate
    make_read_only(app.ledger)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_high()  # forced while the log is read-only
    assert app.alarms()["door_forced"]["on"] and "door_forced" in app.state()["alarms"]
    make_read_only(app.ledger, False)
    app.tick()
    assert ("alarm", "door_forced") in [(e.type, e.reason) for e in app.ledger.events()]
    assert app.alarms()["door_forced"]["latched"]


def test_a_damaged_log_is_refused_at_start_with_what_to_do(tmp_path):
    path = tmp_path / "l.db"
    ledger = Ledger(path)
    for i in range(300):
        ledger.record(at=float(i), gate_id="g", type="denied", reason="expired", detail={"pad": "x" * 200})
    ledger.close()
    raw = bytearray(path.read_bytes())
    for offset in range(4096 * 3, min(len(raw), 4096 * 6)):  # scribble over interior pages
        raw[offset] = 0xA5
    path.write_bytes(bytes(raw))
    with pytest.raises(LedgerError, match="damaged.*restore a backup"):
        Ledger(path)


def test_an_emptied_log_is_refused_once_the_gate_has_written_one(tmp_path):
    path = tmp_path / "l.db"
    Ledger(path).close()
    path.write_bytes(b"")
    with pytest.raises(LedgerError, match=r"empty \(0 bytes\).*restore the log from a backup"):
        Ledger(path)
    path.unlink()
    with pytest.raises(LedgerError, match="missing"):
        Ledger(path)
    (tmp_path / "l.db.written").unlink()  # the documented way to start a new log on purpose
    Ledger(path).close()


def test_a_log_on_a_read_only_filesystem_is_refused_with_the_reason(small_disk):
    path = small_disk / "l.db"
    Ledger(path).close()
    done = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with pytest.raises(LedgerError, match="read-only or the file is not writable"):
        Ledger(path)


def test_the_log_says_whether_it_takes_writes_without_writing(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.check_writable()
    make_read_only(ledger)
    with pytest.raises(LedgerError, match="cannot write to the event log"):
        ledger.check_writable()
    make_read_only(ledger, False)
    ledger.check_writable()
    assert ledger.events() == []
    ledger.close()


def test_the_storage_alarm_stays_up_while_the_log_is_read_only_even_with_nothing_kept_back(gate):
    app, _pins = gate
    make_read_only(app.ledger)
    app.controller.when_storage_failed(LedgerError("a peer's movement could not be merged"))
    # another thread may tick between the alarm going up and its event being kept in memory
    app.ledger._queued.clear()
    app.tick()
    assert app.state()["storage"] == "fault", "a read-only log with nothing to flush must not clear the alarm"
    make_read_only(app.ledger, False)
    app.tick()
    assert app.state()["storage"] == "ok"

"""Clocks that lie: door alarms run on monotonic time, retention never acts on a clock that just
jumped, and every wall-clock step is a ledger event with its size."""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory

from qrgate.app import GateApp
from qrgate.config import CameraReaderConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
from qrgate.export import DAY, PurgeSchedule
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.state.clock import ClockWatch

WALL = 1_800_000_000.0
MONO = 5_000.0


class Clocks:
    """A wall clock that can be stepped and a monotonic clock that cannot."""

    def __init__(self):
        self.wall, self.mono = WALL, MONO

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds

    def step(self, seconds: float) -> None:
        self.wall += seconds


@pytest.fixture
def gate(tmp_path, keys):
    pins = MockFactory()
    cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "s")),
                 gate=GateConfig(relay_seconds=0.2, door_held_seconds=20, exit_button_seconds=0.2),
                 readers=[CameraReaderConfig()], trust=TrustConfig(files=[keys["trust"]]),
                 ledger=LedgerConfig(path=str(tmp_path / "l.db"), retention_days=30), mqtt=MqttConfig(enabled=False))
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    clocks = Clocks()
    app = GateApp(cfg, io=io, clock=lambda: clocks.wall, monotonic=lambda: clocks.mono)
    app.start(cameras=False)
    yield app, pins, clocks
    app.stop()


def types(app):
    return [(e.type, e.reason) for e in app.ledger.events()]


def test_a_clock_stepped_back_after_an_exit_does_not_hide_a_forced_door(gate):
    app, pins, clocks = gate
    pins.pin(DEFAULT_PINS["exit_button"]).drive_high()
    pins.pin(DEFAULT_PINS["exit_button"]).drive_low()  # the lock opens for 0.2 s
    time.sleep(0.05)
    clocks.step(-3600)  # NTP or an admin sets the clock back an hour
    clocks.advance(10)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_high()  # 10 s later the door is forced
    time.sleep(0.05)
    assert ("alarm", "door_forced") in types(app)
    forced = [e for e in app.ledger.events() if e.reason == "door_forced"][0]
    assert forced.at == pytest.approx(clocks.wall)  # the log keeps wall time


def test_a_clock_stepped_ahead_does_not_raise_held_open_early(gate):
    app, pins, clocks = gate
    pins.pin(DEFAULT_PINS["exit_button"]).drive_high()
    pins.pin(DEFAULT_PINS["exit_button"]).drive_low()
    pins.pin(DEFAULT_PINS["door_contact"]).drive_high()
    time.sleep(0.05)
    clocks.step(3600)
    app.tick()
    assert ("alarm", "door_held_open") not in types(app)
    clocks.advance(21)
    app.tick()
    assert ("alarm", "door_held_open") in types(app)


def old_and_recent_events(app, clocks, recent=70, old=5):
    for i in range(old):
        app.ledger.record(at=clocks.wall - 40 * DAY + i, gate_id="g", type="entry", reason="ok")
    for i in range(recent):
        app.ledger.record(at=clocks.wall - DAY + i, gate_id="g", type="entry", reason="ok")
    app.ledger.delivered([seq for seq, _id, _p in app.ledger.pending(1000)])  # the broker has them all


def test_a_40_day_step_ahead_purges_nothing_early(gate):
    app, _pins, clocks = gate
    old_and_recent_events(app, clocks)
    clocks.advance(601)
    app.tick()  # wall and monotonic have agreed for 10 minutes: the first purge takes the 5 old rows
    assert len([e for e in app.ledger.events() if e.type == "entry"]) == 70
    clocks.step(40 * DAY)
    app.tick()
    steps = [e for e in app.ledger.events() if e.type == "clock_step"]
    assert len(steps) == 1 and app.ledger.details(steps[0].id) == {"seconds": pytest.approx(40 * DAY)}
    for _ in range(3):  # days pass on the stepped clock; the purge runs daily
        clocks.advance(DAY)
        app.tick()
    assert len([e for e in app.ledger.events() if e.type == "entry"]) == 70


def test_no_purge_right_after_a_step(gate):
    app, _pins, clocks = gate
    old_and_recent_events(app, clocks)
    clocks.advance(300)
    app.tick()
    clocks.step(-5)
    app.tick()
    clocks.advance(400)  # 700 s since start, but only 400 s since the step
    app.tick()
    assert len([e for e in app.ledger.events() if e.type == "entry"]) == 75
    clocks.advance(201)
    app.tick()
    assert len([e for e in app.ledger.events() if e.type == "entry"]) == 70


def test_an_event_the_broker_has_not_taken_is_never_purged(gate):
    app, _pins, clocks = gate
    app.ledger.record(at=clocks.wall - 40 * DAY, gate_id="g", type="entry", reason="ok")  # still in the outbox
    clocks.advance(601)
    app.tick()
    assert [e.type for e in app.ledger.events()] == ["entry"]


def test_clock_watch_reports_steps_of_either_sign_and_ignores_drift():
    watch = ClockWatch(step_seconds=2, settle_seconds=60)
    assert watch.observe(100.0, 0.0) is None and not watch.settled(0.0)
    for i in range(1, 100):  # 10 ms of drift per second never adds up to a step
        assert watch.observe(100.0 + i * 1.01, float(i)) is None
    assert watch.settled(99.0)
    assert watch.observe(100 + 100 * 1.01 - 3600, 100.0) == pytest.approx(-3600 + 0.01)
    assert not watch.settled(159.0) and watch.settled(160.0)
    assert watch.observe(100 + 101 * 1.01 - 3600 + 90, 101.0) == pytest.approx(90, abs=0.02)


def test_the_purge_cutoff_moves_no_faster_than_monotonic_time():
    schedule = PurgeSchedule(30, every_seconds=DAY)
    assert schedule.cutoff(WALL, 0.0, clock_settled=False) is None
    assert schedule.cutoff(WALL, 0.0, clock_settled=True) == WALL - 30 * DAY
    assert schedule.cutoff(WALL + DAY, DAY / 2, clock_settled=True) is None  # not due yet
    assert schedule.cutoff(WALL + 41 * DAY, DAY, clock_settled=True) == WALL - 29 * DAY  # stepped +40 d
    assert schedule.cutoff(WALL - 90 * DAY, 2 * DAY, clock_settled=True) == WALL - 29 * DAY  # stepped back

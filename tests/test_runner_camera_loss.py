"""A camera that stops delivering is reported, reconnected with back-off, and recovers by itself."""

from __future__ import annotations

import threading
import time

import pytest
from gpiozero.pins.mock import MockFactory

from gatesim.camera import VirtualCamera
from qrgate.policy.decide import Policy
from qrgate.errors import CameraError
from qrgate.gate.gpio import GpioGateIO
from qrgate.ledger import Ledger
from qrgate.model import Direction
from qrgate.pipeline import CameraLane, GateController
from qrgate.runner import LaneRunner
from qrgate.vision.debounce import Debouncer
from qrgate.vision.decoder import Decoder
from qrgate.vision.health import Backoff, CameraHealth
from qrgate.vision.sources import ImageFiles

HOUR = 3600
FAST = dict(loss_after=1.0, backoff=(0.05, 0.2))  # a failed read is a loss at once; no watchdog race


@pytest.fixture
def lane(tmp_path, trust):
    io = GpioGateIO(pin_factory=MockFactory())
    ledger = Ledger(tmp_path / "ledger.db")
    controller = GateController(gate_id="g1", trust=trust, policy=Policy(), ledger=ledger, io=io,
                                site_secret=b"k" * 32, relay_seconds=0.05)
    yield CameraLane(controller, Direction.ENTRY, Decoder(), Debouncer(gone_after=0.3))
    io.close()
    ledger.close()


class Changes:
    """Collects (ok, reason) calls and lets a test wait for one."""

    def __init__(self):
        self.items: list[tuple[bool, str]] = []
        self._cond = threading.Condition()

    def __call__(self, ok: bool, reason: str) -> None:
        with self._cond:
            self.items.append((ok, reason))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[bool, str]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)


def wait_until(predicate, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_unplugged_camera_is_reported_reconnected_and_scans_again(lane, office, now):
    camera = VirtualCamera(640, 480, fps=60)
    changes = Changes()
    runner = LaneRunner(camera, lane, when_camera_changed=changes, **FAST).start()
    try:
        assert wait_until(lambda: runner.captured > 5)
        camera.unplug()
        [lost] = changes.wait_for(1)
        assert lost[0] is False and runner.camera_ok is False
        time.sleep(0.5)  # several refused reopen attempts while the cable is out
        assert runner.reconnects == 0 and len(changes.items) == 1  # lost is said once, not per attempt
        camera.plug()
        assert changes.wait_for(2)[1] == (True, "frames again")
        assert runner.reconnects == 1 and runner.camera_ok
        # the lane works again: a visitor's code becomes a scan
        camera.show(office.issue("v1", now - HOUR, now + HOUR))
        assert wait_until(lambda: lane.controller.ledger.events())
    finally:
        runner.stop()
    assert runner.stats()["losses"] == 1


def test_a_hung_camera_is_noticed_by_the_watchdog(lane):
    camera = VirtualCamera(320, 240, fps=60)
    changes = Changes()
    runner = LaneRunner(camera, lane, when_camera_changed=changes, loss_after=0.4, backoff=(0.05, 0.2)).start()
    try:
        assert wait_until(lambda: runner.captured > 3)
        camera.stall()
        started = time.monotonic()
        [(ok, reason)] = changes.wait_for(1)
        assert ok is False and reason.startswith("no frame for")
        assert time.monotonic() - started >= 0.35  # not before loss_after
        camera.stall(False)
        assert changes.wait_for(2)[1][0] is True
    finally:
        runner.stop()


def test_a_camera_missing_at_boot_is_a_fault_until_it_appears(lane):
    present = threading.Event()
    opened = []

    def open_camera():
        if not present.is_set():
            raise CameraError("camera 0 cannot be opened")
        opened.append(VirtualCamera(320, 240, fps=60))
        return opened[-1]

    changes = Changes()
    runner = LaneRunner(open_camera, lane, when_camera_changed=changes, loss_after=0.3, backoff=(0.05, 0.2)).start()
    try:
        ok, reason = changes.wait_for(1)[0]
        # the failed open is reported at once (on a loaded machine the watchdog may speak first)
        assert ok is False and (reason == "camera 0 cannot be opened" or reason.startswith("no frame for"))
        assert runner.is_alive
        present.set()
        assert changes.wait_for(2)[1] == (True, "frames again")
        assert runner.captured > 0 and len(opened) == 1
    finally:
        runner.stop()


def test_a_finished_replay_ends_without_a_fault(lane, tmp_path):
    from PIL import Image

    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.png")
        Image.new("L", (64, 48), 128).save(paths[-1])
    (tmp_path / "bad.png").write_text("not an image")
    changes = Changes()
    runner = LaneRunner(ImageFiles([paths[0], tmp_path / "bad.png", *paths[1:]]), lane,
                        when_camera_changed=changes, **FAST).start()
    assert wait_until(lambda: not runner.is_alive)
    time.sleep(0.4)
    runner.stop()
    assert changes.items == [] and runner.captured == 3 and runner.errors == 1


def test_stale_frames_are_dropped_and_counted(lane):
    gate = threading.Event()
    original = lane.process_frame

    def slow(frame, now):  # a decoder far slower than the camera
        gate.wait(0.05)
        return original(frame, now)

    lane.process_frame = slow
    runner = LaneRunner(VirtualCamera(320, 240, fps=200), lane, **FAST).start()
    time.sleep(0.6)
    runner.stop()
    stats = runner.stats()
    assert stats["skipped"] > 0 and stats["decoded"] < stats["captured"]
    assert stats["decoded"] + stats["skipped"] <= stats["captured"] <= stats["decoded"] + stats["skipped"] + 1


def test_health_and_backoff_follow_the_given_clock():
    health = CameraHealth(now=100.0, loss_after=1.0)
    assert health.check(100.9) is None
    change = health.check(101.0)
    assert (change.ok, change.reason) == (False, "no frame for 1.0 s")
    assert health.check(105.0) is None and health.failed(105.0, "gone") is None  # said once
    assert health.frame(106.0).ok is True and health.frame(106.1) is None
    assert health.failed(106.2, "read failed").reason == "read failed" and health.losses == 2

    backoff = Backoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_the_runner_drives_the_gates_fault_state_alarm_and_light(tmp_path, keys):
    """The wiring the app uses: when_camera_changed -> GateApp.camera_changed(lane, ok, reason)."""
    from qrgate.app import GateApp
    from qrgate.config import CameraReaderConfig, Config, LedgerConfig, MqttConfig, SiteConfig, TrustConfig

    cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "s")), readers=[CameraReaderConfig()],
                 trust=TrustConfig(files=[keys["trust"]]), ledger=LedgerConfig(path=str(tmp_path / "l.db")),
                 mqtt=MqttConfig(enabled=False))
    pins = MockFactory()
    app = GateApp(cfg, io=GpioGateIO(pin_factory=pins)).start(cameras=False)
    camera = VirtualCamera(320, 240, fps=60)
    runner = LaneRunner(camera, app.lanes[0], when_camera_changed=lambda ok, why: app.camera_changed(0, ok, why),
                        **FAST).start()
    try:
        assert wait_until(lambda: runner.captured > 3) and app.state()["camera"] == "ok"
        camera.unplug()
        # the app sets state, light and alarm one after another: wait for all three
        assert wait_until(lambda: app.state()["camera"] == "lost" and "camera_fault" in app.state()["alarms"])
        assert app.io.led_color in ("amber", "off")  # the fault pattern flashes amber
        camera.plug()
        assert wait_until(lambda: app.state()["camera"] == "ok" and not app.state()["alarms"])
        assert wait_until(lambda: app.io.led_color == "blue")
        assert [(e.type, e.reason) for e in app.ledger.events()] == [("alarm", "camera_fault"),
                                                                    ("alarm_cleared", "camera_fault")]
    finally:
        runner.stop()
        app.stop()

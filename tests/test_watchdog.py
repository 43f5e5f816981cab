"""The watchdog is petted only while the gate works: a stalled decoder thread stops the pets."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from gpiozero.pins.mock import MockFactory

from gatesim.camera import VirtualCamera
from qrgate.app import GateApp
from qrgate.config import CameraReaderConfig, Config, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.gate_health import GateSample, HealthWatch, LaneSample
from qrgate.sdnotify import Notifier
from qrgate.supervisor import Supervisor


def sample(captured, decoded, *, camera_ok=True, alive=True, ledger_ok=True, io_online=True):
    return GateSample((LaneSample(captured, decoded, camera_ok, alive),), ledger_ok, io_online)


def test_a_decoder_that_keeps_up_is_healthy():
    watch = HealthWatch(decode_stall_after=10)
    for t in range(60):
        assert watch.assess(sample(30 * t, 30 * t - 1 if t else 0), now=float(t)).healthy


def test_frames_waiting_on_a_decoder_that_does_not_move_is_a_stall():
    watch = HealthWatch(decode_stall_after=10)
    assert watch.assess(sample(100, 99), now=0.0).healthy
    assert watch.assess(sample(130, 99), now=1.0).healthy  # a frame waits from t=1
    assert watch.assess(sample(400, 99), now=10.9).healthy
    verdict = watch.assess(sample(430, 99), now=11.0)
    assert not verdict.healthy and verdict.problems == ("camera 0: decoder stuck for 10 s",)
    assert watch.assess(sample(460, 100), now=12.0).healthy  # it moved again


def test_an_idle_camera_with_nothing_to_decode_is_not_a_stall():
    watch = HealthWatch(decode_stall_after=10)
    for t in range(30):
        assert watch.assess(sample(5, 5), now=float(t)).healthy


def test_camera_and_io_link_faults_count_after_their_grace_ledger_at_once():
    watch = HealthWatch(camera_grace=60, io_grace=30)
    assert watch.assess(sample(1, 1, camera_ok=False, io_online=False), now=0.0).healthy
    assert watch.assess(sample(1, 1, camera_ok=False, io_online=False), now=29.0).healthy
    assert watch.assess(sample(1, 1, camera_ok=False, io_online=False), now=30.0).problems == (
        "I/O link: offline for 30 s",)
    assert watch.assess(sample(1, 1, camera_ok=False, io_online=True), now=60.0).problems == (
        "camera 0: no frames for 60 s",)
    assert watch.assess(sample(2, 2, camera_ok=True), now=61.0).healthy
    assert watch.assess(sample(2, 2, ledger_ok=False), now=62.0).problems == ("ledger: not answering",)
    assert watch.assess(sample(2, 2, alive=False), now=63.0).problems == (
        "camera 0: its capture and decode threads have ended",)


@pytest.fixture
def listener(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    sock.setblocking(False)
    yield path, sock
    sock.close()


def drain(sock) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(sock.recv(4096))
        except BlockingIOError:
            return got


def test_a_stalled_decoder_thread_stops_the_pets(tmp_path, keys, listener):
    path, sock = listener
    pins = MockFactory()
    cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "s")), readers=[CameraReaderConfig()],
                 trust=TrustConfig(files=[keys["trust"]]), ledger=LedgerConfig(path=str(tmp_path / "l.db")),
                 mqtt=MqttConfig(enabled=False))
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    app = GateApp(cfg, io=io, sources=[VirtualCamera(320, 240, fps=20)])
    release = threading.Event()
    real_decode = app.lanes[0].decoder.decode
    stalled = threading.Event()

    def decode(gray):
        if stalled.is_set():
            release.wait(30)  # the decode thread hangs inside a frame, as a wedged native call would
        return real_decode(gray)

    app.lanes[0].decoder.decode = decode
    app.start()
    supervisor = Supervisor(app, notifier=Notifier(environ={"NOTIFY_SOCKET": path}),
                            watch=HealthWatch(decode_stall_after=1.5), environ={"WATCHDOG_USEC": "2000000"})
    try:
        supervisor.started()
        assert drain(sock)[0].startswith(b"READY=1")
        for _ in range(8):
            time.sleep(0.1)
            assert supervisor.tick().healthy
        assert drain(sock).count(b"WATCHDOG=1") == 8

        stalled.set()
        deadline = time.monotonic() + 10
        while supervisor.tick().healthy:
            assert time.monotonic() < deadline, "the stalled decoder was never noticed"
            drain(sock)
            time.sleep(0.1)
        assert "decoder stuck" in supervisor.verdict.status
        drain(sock)
        for _ in range(5):
            time.sleep(0.1)
            assert not supervisor.tick().healthy
        after = drain(sock)
        assert b"WATCHDOG=1" not in after, "a stuck decoder must not pet the watchdog"
        assert app.runners[0].captured > app.runners[0].frames + 1  # capture went on; decoding did not
    finally:
        release.set()
        supervisor.stopping()
        app.stop()

"""libosdp's ControlPanel drives our firmware (gateio, running on the host) over a pty.

Real peers only: the CP is libosdp's C implementation, the PD is the MicroPython firmware code
running under CPython with simulated pins.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import subprocess
import sys
import time
import tty

import osdp
import pytest

from gateio.host import start_on_pty
from qrgate.gate.osdp_channel import SerialChannel
from waiting import wait_until as wait_for

ADDR = 101
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
NOTIFY = osdp.Event.Notification
COMMAND_DONE = osdp.EventNotification.Command

# ---- helpers (test_osdp_backend.py imports these too) ----------------------------------


class FdChannel(osdp.Channel):
    """libosdp channel on a file descriptor (the master side of a pty)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)

    def read(self, max_bytes: int) -> bytes:
        try:
            return os.read(self.fd, max_bytes)
        except OSError:  # nothing waiting (EAGAIN) or the other side not open yet (EIO)
            return b""

    def write(self, buf: bytes) -> int:
        try:
            return os.write(self.fd, buf)
        except OSError:
            return 0

    def flush(self) -> None:
        pass


def raw_pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def next_event(events, predicate, timeout: float = 3.0):
    """The first queued event matching predicate (others are dropped), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=max(0.01, deadline - time.monotonic()))
        except Exception:
            return None
        if predicate(event):
            return event
    return None


@contextlib.contextmanager
def cp_on_board(board_settings=None, cp_key=None, flags=()):
    path, stop = start_on_pty(address=ADDR, **(board_settings or {}))
    events: queue.Queue = queue.Queue()
    channel = SerialChannel(path)
    info = osdp.PDInfo(ADDR, channel, scbk=cp_key, flags=[osdp.LibFlag.EnableNotification, *flags])
    cp = osdp.ControlPanel([info], log_level=osdp.LogLevel.Emergency, event_handler=lambda pd, e: (events.put(e), 0)[1])
    cp.start()
    try:
        yield cp, stop.board, events
    finally:
        cp.teardown()
        channel.close()
        stop()


def _online(cp):
    assert wait_for(lambda: cp.is_online(ADDR), 5), "the board did not come online"


def _completed(events, command):
    event = next_event(events, lambda e: e["event"] == NOTIFY and e["type"] == COMMAND_DONE and e["arg0"] == command)
    assert event is not None, f"no completion for command {command}"
    return event["arg1"] == 1


def _status(cp, events, kind):
    time.sleep(0.1)  # let unsolicited reports of earlier changes arrive, then forget them
    while not events.empty():
        events.get_nowait()
    assert cp.submit_command(ADDR, {"command": osdp.Command.Status, "type": kind})
    event = next_event(events, lambda e: e["event"] == osdp.Event.Status and e["type"] == kind)
    assert event is not None, f"no status report of type {kind}"
    return bytes(event["report"])


def test_board_comes_online_with_id_and_capabilities():
    with cp_on_board() as (cp, board, _):
        _online(cp)
        pd_id = cp.get_pd_id(ADDR)
        assert pd_id.vendor_code == int.from_bytes(b"QRG", "little")
        assert pd_id.model == 1
        assert cp.check_capability(ADDR, osdp.Capability.ContactStatusMonitoring) == (1, 3)
        assert cp.check_capability(ADDR, osdp.Capability.OutputControl) == (1, 1)
        assert cp.check_capability(ADDR, osdp.Capability.LEDControl)[1] == 1
        assert cp.check_capability(ADDR, osdp.Capability.CommunicationSecurity)[0] == 0
        assert not cp.is_sc_active(ADDR)
        assert wait_for(lambda: board.device.online, 1)


def test_led_buzzer_and_timed_output_complete():
    with cp_on_board() as (cp, board, events):
        _online(cp)
        led = {"command": osdp.Command.LED, "reader": 0, "led_number": 0, "temporary": True, "control_code": 2,
               "on_count": 10, "off_count": 0, "on_color": osdp.CommandLEDColor.Green, "off_color": 0, "timer_count": 30}
        assert cp.submit_command(ADDR, led)
        assert _completed(events, osdp.Command.LED)
        assert wait_for(lambda: board.led_color == 2, 1)
        buz = {"command": osdp.Command.Buzzer, "reader": 0, "control_code": 2, "on_count": 5, "off_count": 0, "rep_count": 1}
        assert cp.submit_command(ADDR, buz)
        assert _completed(events, osdp.Command.Buzzer)
        assert wait_for(lambda: board.buzzer_on, 1)
        out = {"command": osdp.Command.Output, "output_no": 0, "control_code": 5, "timer_count": 8}
        assert cp.submit_command(ADDR, out)
        assert _completed(events, osdp.Command.Output)
        assert board.relay_on
        assert _status(cp, events, osdp.StatusReportType.Output) == b"\x01"
        assert wait_for(lambda: not board.relay_on, 1.5), "the timed output did not end"
        assert _status(cp, events, osdp.StatusReportType.Output) == b"\x00"


def test_inputs_are_reported_unasked_and_on_request():
    with cp_on_board() as (cp, board, events):
        _online(cp)
        is_input = lambda e: e["event"] == osdp.Event.Status and e["type"] == osdp.StatusReportType.Input  # noqa: E731
        board.set_door_open(True)
        event = next_event(events, lambda e: is_input(e) and e["report"][0] == 1)
        assert event is not None, "door opening was not reported"
        board.set_exit_pressed(True)
        assert next_event(events, lambda e: is_input(e) and e["report"][1] == 1) is not None
        assert board.relay_on, "the exit button must open the door locally"
        board.set_tamper(True)
        assert next_event(events, lambda e: is_input(e) and e["report"][2] == 1) is not None
        assert _status(cp, events, osdp.StatusReportType.Input) == b"\x01\x01\x01"
        assert _status(cp, events, osdp.StatusReportType.Local)[0] == 1


def test_secure_channel_commands_and_inputs():
    with cp_on_board({"scbk": KEY}, cp_key=KEY, flags=[osdp.LibFlag.EnforceSecure]) as (cp, board, events):
        _online(cp)
        assert wait_for(lambda: cp.is_sc_active(ADDR), 3), "secure channel did not come up"
        assert board.device.pd.sc.active
        out = {"command": osdp.Command.Output, "output_no": 0, "control_code": 5, "timer_count": 5}
        assert cp.submit_command(ADDR, out)
        assert _completed(events, osdp.Command.Output)
        assert board.relay_on
        board.set_door_open(True)
        event = next_event(events, lambda e: e["event"] == osdp.Event.Status and e["type"] == osdp.StatusReportType.Input
                           and e["report"][0] == 1)
        assert event is not None
        assert cp.is_sc_active(ADDR) and board.device.pd.counts["nak"] == 0


def test_wrong_key_never_gets_control():
    with cp_on_board({"scbk": KEY}, cp_key=bytes(16), flags=[osdp.LibFlag.EnforceSecure]) as (cp, board, _):
        time.sleep(1.5)
        assert not cp.is_sc_active(ADDR)
        assert not cp.is_online(ADDR)
        assert not board.relay_on


def test_install_mode_commissioning_sets_the_key():
    with cp_on_board({"install_mode": True}, cp_key=KEY) as (cp, board, _):
        _online(cp)
        assert wait_for(lambda: board.device.pd.scbk == KEY and cp.is_sc_active(ADDR), 5), "KEYSET did not commission"
        assert not board.device.pd.install_mode
        assert not board.device.pd.sc.used_default_key


def test_cp_going_away_turns_outputs_off():
    with cp_on_board() as (cp, board, events):
        _online(cp)
        assert cp.submit_command(ADDR, {"command": osdp.Command.Output, "output_no": 0, "control_code": 2, "timer_count": 0})
        assert _completed(events, osdp.Command.Output)
        assert board.relay_on
        cp.stop()  # no more polls
        assert wait_for(lambda: not board.relay_on, 2), "relay still on after the controller went away"
        assert not board.device.online
        cp.start()


def test_host_cli_serves_libosdp_over_a_pty():
    master, slave, path = raw_pty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateio.host", "--port", path, "--address", str(ADDR), "--control-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    events: queue.Queue = queue.Queue()
    cp = osdp.ControlPanel([osdp.PDInfo(ADDR, FdChannel(master), flags=[osdp.LibFlag.EnableNotification])],
                           log_level=osdp.LogLevel.Emergency, event_handler=lambda pd, e: (events.put(e), 0)[1])
    try:
        assert "OSDP PD address" in proc.stdout.readline()
        cp.start()
        _online(cp)
        proc.stdin.write("door 1\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ok"
        event = next_event(events, lambda e: e["event"] == osdp.Event.Status and e["type"] == osdp.StatusReportType.Input
                           and e["report"][0] == 1)
        assert event is not None
    finally:
        cp.teardown()
        proc.terminate()
        proc.wait(5)
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "/nonexistent/tty"], "cannot open serial port"),
        (["--port", "/dev/null", "--scbk", "xyz"], "--scbk must be 32 hex digits"),
        (["--port", "/dev/null", "--scbk", "0011"], "16 bytes"),
    ],
)
def test_host_cli_bad_input_is_a_clear_error(args, message):
    done = subprocess.run([sys.executable, "-m", "gateio.host", *args], capture_output=True, text=True, timeout=20)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_controller_backend_drives_our_board_end_to_end():
    from qrgate.gate import BeepPattern, LedPattern
    from qrgate.gate.osdp import OsdpGateIO

    path, stop = start_on_pty(address=ADDR, scbk=KEY)
    board = stop.board
    gate = OsdpGateIO(port=path, address=ADDR, scbk=KEY.hex(), max_relay_seconds=3, request_status=True)
    seen = []
    gate.when_door_changed = lambda is_open: seen.append(("door", is_open))
    gate.when_exit_pressed = lambda: seen.append(("exit",))
    try:
        assert wait_for(lambda: gate.is_online and gate.link_state["secure_channel"], 5)
        assert wait_for(lambda: gate._inputs is not None, 2), "no input state after connecting"
        gate.set_idle(LedPattern("blue"))
        assert wait_for(lambda: board.led_color == 4, 1)
        gate.indicate(LedPattern("green"), BeepPattern(300), 0.6)
        assert wait_for(lambda: board.led_color == 2 and board.buzzer_on, 1)
        assert wait_for(lambda: board.led_color == 4, 1.5), "LED did not return to the idle pattern"
        gate.pulse_relay(30)  # capped to 3 s by the backend
        assert wait_for(lambda: board.relay_on, 1)
        gate.release_relay()
        assert wait_for(lambda: not board.relay_on, 1)
        board.set_door_open(True)
        assert wait_for(lambda: ("door", True) in seen and gate.is_door_open, 2)
        board.set_exit_pressed(True)
        assert wait_for(lambda: ("exit",) in seen, 2)
        assert board.device.pd.counts["nak"] == 0
    finally:
        gate.close()
        stop()

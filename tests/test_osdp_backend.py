"""Our controller's OsdpGateIO (libosdp CP inside) drives libosdp's own PeripheralDevice over a pty."""

from __future__ import annotations

import contextlib
import os
import queue

import osdp
import pytest

from test_osdp_interop import FdChannel, raw_pty, wait_for
from qrgate.errors import GateIOError
from qrgate.gate import BeepPattern, LedPattern, open_gate_io
from qrgate.gate.osdp import OsdpGateIO

ADDR = 5
KEY = bytes(range(16))
CAPS = [
    (osdp.Capability.OutputControl, 1, 1),
    (osdp.Capability.LEDControl, 1, 1),
    (osdp.Capability.AudibleControl, 1, 1),
    (osdp.Capability.ContactStatusMonitoring, 1, 3),
]


@contextlib.contextmanager
def libosdp_pd(key=None):
    master, slave, path = raw_pty()
    commands: queue.Queue = queue.Queue()

    def on_command(command):
        commands.put(command)
        return 0, None

    pd = osdp.PeripheralDevice(
        osdp.PDInfo(ADDR, FdChannel(master), scbk=key),
        osdp.PDCapabilities(CAPS),
        log_level=osdp.LogLevel.Emergency,
        command_handler=on_command,
    )
    pd.start()
    try:
        yield pd, path, commands
    finally:
        pd.teardown()
        os.close(master)
        os.close(slave)


def _command(commands, kind, timeout=3.0):
    while True:
        command = commands.get(timeout=timeout)
        if command["command"] == kind:
            return command


def _inputs(pd, door=0, exit_button=0, tamper=0):
    assert pd.submit_event({"event": osdp.Event.Status, "type": osdp.StatusReportType.Input,
                            "report": bytes([door, exit_button, tamper])})


def test_commands_reach_the_peripheral():
    with libosdp_pd() as (pd, path, commands):
        gate = open_gate_io("osdp", port=path, address=ADDR, max_relay_seconds=4)
        online = []
        gate.when_online_changed = online.append
        try:
            assert wait_for(lambda: gate.is_online, 5)
            assert wait_for(lambda: online == [True], 1)
            assert gate.link_state["backend"] == "osdp" and gate.link_state["online"]
            assert gate.link_state["secure_channel"] is False

            gate.pulse_relay(1.5)
            assert _command(commands, osdp.Command.Output) == {
                "command": osdp.Command.Output, "output_no": 0, "control_code": 5, "timer_count": 15}
            assert gate.is_relay_on
            gate.release_relay()
            assert _command(commands, osdp.Command.Output)["control_code"] == 1
            assert not gate.is_relay_on
            gate.pulse_relay(60)  # capped at max_relay_seconds
            assert _command(commands, osdp.Command.Output)["timer_count"] == 40

            gate.indicate(LedPattern("amber", on_ms=200, off_ms=200, repeats=3), BeepPattern(300, 100, 2), 2.0)
            led = _command(commands, osdp.Command.LED)
            assert led["temporary"] and led["on_color"] == 3 and led["timer_count"] == 20
            assert (led["on_count"], led["off_count"]) == (2, 2)
            buz = _command(commands, osdp.Command.Buzzer)
            assert (buz["control_code"], buz["on_count"], buz["off_count"], buz["rep_count"]) == (2, 3, 1, 2)

            gate.set_idle(LedPattern("green"))
            idle = _command(commands, osdp.Command.LED)
            assert not idle["temporary"] and idle["control_code"] == 1 and idle["on_color"] == 2
        finally:
            gate.close()
            gate.close()  # idempotent
        assert not gate.is_online


def test_input_reports_fire_callbacks():
    with libosdp_pd() as (pd, path, commands):
        gate = OsdpGateIO(port=path, address=ADDR)
        seen = []
        gate.when_door_changed = lambda is_open: seen.append(("door", is_open))
        gate.when_exit_pressed = lambda: seen.append(("exit",))
        gate.when_tamper_changed = lambda opened: seen.append(("tamper", opened))
        try:
            assert wait_for(lambda: gate.is_online, 5)
            _inputs(pd)  # first report: the state, no callbacks
            assert wait_for(lambda: gate._inputs is not None, 2)
            _inputs(pd, door=1)
            assert wait_for(lambda: ("door", True) in seen, 2)
            assert gate.is_door_open
            _inputs(pd, door=1, exit_button=1)
            assert wait_for(lambda: ("exit",) in seen, 2)
            _inputs(pd, door=0, exit_button=0, tamper=1)
            assert wait_for(lambda: ("tamper", True) in seen and ("door", False) in seen, 2)
            assert not gate.is_door_open and gate.is_tamper_open
            assert seen.count(("exit",)) == 1
        finally:
            gate.close()


def test_secure_channel_link():
    with libosdp_pd(key=KEY) as (pd, path, commands):
        gate = OsdpGateIO(port=path, address=ADDR, scbk=KEY.hex())
        try:
            assert wait_for(lambda: gate.link_state["secure_channel"], 5), "secure channel did not come up"
            assert pd.is_sc_active()
            gate.pulse_relay(0.5)
            assert _command(commands, osdp.Command.Output)["timer_count"] == 5
        finally:
            gate.close()


def test_peripheral_going_away_and_back_is_reported():
    with libosdp_pd() as (pd, path, commands):
        gate = OsdpGateIO(port=path, address=ADDR)
        changes = []
        gate.when_online_changed = changes.append
        try:
            assert wait_for(lambda: changes == [True], 5)
            pd.stop()
            # libosdp gives up on a silent PD after its retries (about 8 s); the board itself
            # drops its outputs after 1 s without polls
            assert wait_for(lambda: changes == [True, False], 12), "going offline was not reported"
            assert not gate.is_online and not gate.is_relay_on
            pd.start()
            assert wait_for(lambda: changes == [True, False, True], 6), "no reconnect after the PD came back"
        finally:
            gate.close()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"port": "/nonexistent/tty"}, "cannot open OSDP serial port"),
        ({"port": "/dev/null", "scbk": "not hex"}, "32 hex digits"),
        ({"port": "/dev/null", "scbk": "0011"}, "16 bytes"),
        ({"port": "/dev/null", "address": 200}, "0..126"),
    ],
)
def test_bad_options_are_clear_errors(options, message):
    with pytest.raises(GateIOError, match=message):
        open_gate_io("osdp", **options)


def test_unknown_colour_is_refused():
    with libosdp_pd() as (pd, path, commands):
        gate = OsdpGateIO(port=path, address=ADDR)
        try:
            with pytest.raises(GateIOError, match="colour"):
                gate.set_idle(LedPattern("purple"))
        finally:
            gate.close()

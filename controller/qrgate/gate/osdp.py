"""Gate I/O through an OSDP I/O board: libosdp's control panel (CP) on a serial line.

The board (firmware/gateio, or any OSDP PD with an output, an LED, a buzzer and three inputs)
answers polls; this backend turns GateIO calls into osdp_OUT / osdp_LED / osdp_BUZ commands and
input status reports into the when_* callbacks. libosdp runs its own refresh thread; its event
handler only queues, and one dispatcher thread here fires the callbacks, so a callback may call
back into this object freely.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import osdp

from ..errors import GateIOError
from .base import LED_COLORS, BeepPattern, GateIO, LedPattern
from .osdp_channel import SerialChannel

log = logging.getLogger(__name__)

# OSDP colour codes; amber is OSDP 3
OSDP_COLORS = {"off": 0, "red": 1, "green": 2, "amber": 3, "blue": 4}
_OUT_OFF = 1  # permanent off, cancel a timed pulse
_OUT_TIMED_ON = 5  # on for timer_count x 100 ms, then back to permanent (off)
_LED_TEMP_SET = 2
_LED_PERM_SET = 1
_BUZ_DEFAULT_TONE = 2
_NOTIFY_SC = 1
_UNITS_PER_SECOND = 10  # OSDP timers count 100 ms
_EVENT_QUEUE = 256


def _parse_scbk(scbk: str | bytes | None) -> bytes | None:
    if scbk is None or scbk == "":
        return None
    if isinstance(scbk, (bytes, bytearray)):
        key = bytes(scbk)
    else:
        try:
            key = bytes.fromhex(scbk)
        except ValueError:
            raise GateIOError("osdp scbk must be 32 hex digits") from None
    if len(key) != 16:
        raise GateIOError(f"osdp scbk must be 16 bytes (32 hex digits), got {len(key)} bytes")
    return key


def _units(seconds: float, lowest: int = 1) -> int:
    return max(lowest, min(0xFFFF, round(seconds * _UNITS_PER_SECOND)))


def _check_color(led: LedPattern) -> int:
    if led.color not in LED_COLORS:
        raise GateIOError(f"unknown LED colour {led.color!r}; choose one of {LED_COLORS}")
    return OSDP_COLORS[led.color]


class OsdpGateIO(GateIO):
    """Relay, LED, buzzer and inputs of one gate, on an OSDP peripheral at `address`."""

    def __init__(
        self,
        *,
        port: str,
        baud: int = 115200,
        address: int = 0,
        scbk: str | bytes | None = None,
        relay_output: int = 0,
        door_input: int = 0,
        exit_input: int = 1,
        tamper_input: int = 2,
        max_relay_seconds: float = 10.0,
        commission: bool = False,
        request_status: bool = False,
        reconnect_seconds: float = 2.0,
        pin_factory=None,  # accepted for a uniform backend signature; an OSDP board has no local pins
    ) -> None:
        if not 0 <= address <= 126:
            raise GateIOError(f"osdp address must be 0..126, got {address}")
        if max_relay_seconds <= 0:
            raise GateIOError("max_relay_seconds must be positive")
        self.port = port
        self.address = address
        self.relay_output = relay_output
        self.door_input = door_input
        self.exit_input = exit_input
        self.tamper_input = tamper_input
        self.max_relay_seconds = max_relay_seconds
        # Asking for osdp_ISTAT/OSTAT on connect is off by default: a PD that NAKs them is
        # taken offline by libosdp for minutes. gateio boards report their state unasked.
        self.request_status = request_status
        # libosdp waits minutes before retrying an offline PD; a gate must not
        self.reconnect_seconds = reconnect_seconds
        self._offline_since: float | None = None
        key = _parse_scbk(scbk)
        self._closed = False
        self._lock = threading.Lock()
        self._events: queue.Queue = queue.Queue(maxsize=_EVENT_QUEUE)
        self._dropped_events = 0
        self._online = False
        self._sc_active = False
        self._inputs: bytes | None = None
        self._relay_until = 0.0
        self._idle: LedPattern | None = None
        self._channel = SerialChannel(port, baud)
        flags = [osdp.LibFlag.EnableNotification]
        if key is not None and not commission:
            # with a key, never fall back to plaintext (nor to the default key)
            flags.append(osdp.LibFlag.EnforceSecure)
        info = osdp.PDInfo(address, self._channel, scbk=key, flags=flags, name=f"gate-io-{address}")
        try:
            # a silent or cut link is reported as the io_board_offline alarm; libosdp's own
            # per-poll timeout lines would only bury it on stderr
            self._cp = osdp.ControlPanel([info], log_level=osdp.LogLevel.Critical, event_handler=self._on_event)
            self._cp.start()
        except Exception as exc:  # libosdp reports setup failures as plain exceptions
            self._channel.close()
            raise GateIOError(f"cannot start the OSDP control panel on {port!r}: {exc}") from None
        self._stop = threading.Event()
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="osdp-gate-io", daemon=True)
        self._dispatcher.start()
        log.info("OSDP gate I/O on %s address %s (secure channel %s)", port, address, "on" if key else "off")

    # ---- GateIO -------------------------------------------------------------------------

    def pulse_relay(self, seconds: float) -> None:
        if seconds <= 0:
            self.release_relay()
            return
        seconds = min(seconds, self.max_relay_seconds)
        command = {
            "command": osdp.Command.Output,
            "output_no": self.relay_output,
            "control_code": _OUT_TIMED_ON,
            "timer_count": _units(seconds),
        }
        if self._submit(command, "relay pulse"):
            self._relay_until = time.monotonic() + seconds

    def release_relay(self) -> None:
        self._relay_until = 0.0
        command = {"command": osdp.Command.Output, "output_no": self.relay_output, "control_code": _OUT_OFF, "timer_count": 0}
        self._submit(command, "relay release")

    def indicate(self, led: LedPattern, beep: BeepPattern | None, seconds: float) -> None:
        color = _check_color(led)
        on_count, off_count = self._led_times(led)
        self._submit(
            {
                "command": osdp.Command.LED,
                "reader": 0,
                "led_number": 0,
                "temporary": True,
                "control_code": _LED_TEMP_SET,
                "on_count": on_count,
                "off_count": off_count,
                "on_color": color,
                "off_color": 0,
                "timer_count": _units(seconds),
            },
            "LED",
        )
        if beep is not None:
            self._submit(
                {
                    "command": osdp.Command.Buzzer,
                    "reader": 0,
                    "control_code": _BUZ_DEFAULT_TONE,
                    "on_count": _units(beep.on_ms / 1000),
                    "off_count": _units(beep.off_ms / 1000, lowest=0),
                    "rep_count": max(1, min(255, beep.count)),
                },
                "buzzer",
            )

    def set_idle(self, led: LedPattern) -> None:
        color = _check_color(led)
        self._idle = led
        on_count, off_count = self._led_times(led)
        self._submit(
            {
                "command": osdp.Command.LED,
                "reader": 0,
                "led_number": 0,
                "temporary": False,
                "control_code": _LED_PERM_SET,
                "on_count": on_count,
                "off_count": off_count,
                "on_color": color,
                "off_color": 0,
            },
            "idle LED",
        )

    @property
    def is_relay_on(self) -> bool:
        return time.monotonic() < self._relay_until

    @property
    def is_door_open(self) -> bool:
        return self._input(self.door_input)

    @property
    def is_tamper_open(self) -> bool:
        return self._input(self.tamper_input)

    @property
    def is_online(self) -> bool:
        if self._closed:
            return False
        try:
            return bool(self._cp.is_online(self.address))
        except Exception:  # the CP is being torn down
            return False

    @property
    def link_state(self) -> dict:
        secure = False
        if not self._closed:
            try:
                secure = bool(self._cp.is_sc_active(self.address))
            except Exception:
                secure = False
        return {
            "backend": "osdp",
            "online": self.is_online,
            "secure_channel": secure,
            "address": self.address,
            "port": self.port,
            "dropped_events": self._dropped_events,
        }

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self.is_online:
                self.release_relay()
                time.sleep(0.1)  # give the release one poll cycle on the wire
            self._closed = True
        self._stop.set()
        self._dispatcher.join(2)
        try:
            self._cp.teardown()
        except Exception as exc:
            log.warning("OSDP control panel teardown: %s", exc)
        self._channel.close()

    # ---- internals ----------------------------------------------------------------------

    @staticmethod
    def _led_times(led: LedPattern) -> tuple[int, int]:
        if led.repeats == 0 or led.off_ms == 0:
            return 1, 0  # steady: on time with no off time
        return _units(led.on_ms / 1000), _units(led.off_ms / 1000)

    def _input(self, index: int) -> bool:
        inputs = self._inputs
        return bool(inputs is not None and index < len(inputs) and inputs[index])

    def _submit(self, command: dict, what: str) -> bool:
        if self._closed:
            raise GateIOError("the OSDP gate I/O is closed")
        try:
            accepted = self._cp.submit_command(self.address, command)
        except Exception as exc:
            log.warning("OSDP %s not sent: %s", what, exc)
            return False
        if not accepted:
            log.warning("OSDP %s not sent: the I/O board is offline", what)
        return bool(accepted)

    def _on_event(self, pd: int, event: dict) -> int:
        # libosdp's thread, holding the CP lock: only queue here
        try:
            self._events.put_nowait(event)
        except queue.Full:
            self._dropped_events += 1
        return 0

    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                event = self._events.get(timeout=0.05)
            except queue.Empty:
                event = None
            try:
                if event is not None:
                    self._handle(event)
                self._check_online()
            except Exception:  # a faulty callback must not stop the gate's event flow
                log.exception("OSDP gate I/O callback failed")

    def _check_online(self) -> None:
        online = self.is_online
        if not online:
            self._retry_when_due()
        if online == self._online:
            return
        self._online = online
        log.info("OSDP I/O board %s", "online" if online else "offline")
        if online:
            self._resync()
        else:
            self._relay_until = 0.0  # the board drops its outputs when it loses us
        if self.when_online_changed:
            self.when_online_changed(online)

    def _retry_when_due(self) -> None:
        now = time.monotonic()
        if self._offline_since is None:
            self._offline_since = now
            return
        if now - self._offline_since < self.reconnect_seconds:
            return
        self._offline_since = now
        try:
            # disable + enable puts libosdp's state machine back to its first step (osdp_ID)
            if self._cp.is_pd_enabled(self.address):
                self._cp.disable_pd(self.address)
            time.sleep(0.05)
            self._cp.enable_pd(self.address)
        except Exception as exc:
            log.warning("OSDP reconnect attempt failed: %s", exc)

    def _resync(self) -> None:
        self._offline_since = None
        if self.request_status:
            for report in (osdp.StatusReportType.Input, osdp.StatusReportType.Output):
                self._submit({"command": osdp.Command.Status, "type": report}, "status request")
        if self._idle is not None:
            self.set_idle(self._idle)

    def _handle(self, event: dict) -> None:
        kind = event.get("event")
        if kind == osdp.Event.Status:
            report = bytes(event.get("report", b""))
            if event.get("type") == osdp.StatusReportType.Input:
                self._on_inputs(report)
            elif event.get("type") == osdp.StatusReportType.Output and self.relay_output < len(report):
                if not report[self.relay_output]:
                    self._relay_until = 0.0
        elif kind == osdp.Event.Notification and event.get("type") == _NOTIFY_SC:
            self._sc_active = bool(event.get("arg0"))
            log.info("OSDP secure channel %s", "active" if self._sc_active else "inactive")

    def _on_inputs(self, report: bytes) -> None:
        before = self._inputs
        self._inputs = report
        if before is None:
            return  # first report after connecting: the state, not a change

        def changed(index: int) -> bool | None:
            if index >= len(report) or index >= len(before) or bool(report[index]) == bool(before[index]):
                return None
            return bool(report[index])

        door = changed(self.door_input)
        if door is not None and self.when_door_changed:
            self.when_door_changed(door)
        pressed = changed(self.exit_input)
        if pressed and self.when_exit_pressed:
            self.when_exit_pressed()
        tamper = changed(self.tamper_input)
        if tamper is not None and self.when_tamper_changed:
            self.when_tamper_changed(tamper)

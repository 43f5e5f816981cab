"""Run the real firmware on CPython against a serial device, with simulated pins.

    python -m gateio.host --port /dev/ttyUSB0 [--address N] [--scbk HEX] [--install-mode]

For tests and the simulator, start_on_pty() runs a board on a fresh pseudo-terminal in a
thread and returns (pty_path, stop_fn); HostBoard gives access to the simulated inputs.
With --control-stdin the process reads lines such as "door 1", "exit 1", "tamper 0".
"""

import argparse
import binascii
import logging
import os
import select
import sys
import threading
import time

from gateio.compat import TICKS_MASK
from gateio.config import Config
from gateio.device import GateDevice, GatePins

log = logging.getLogger(__name__)


class SimPin:
    """A pin with machine.Pin's .value() API; outputs record what the firmware drove."""

    def __init__(self, level=0):
        self.level = level

    def value(self, level=None):
        if level is None:
            return self.level
        self.level = 1 if level else 0
        return None


def host_ticks():
    return int(time.monotonic() * 1000) & TICKS_MASK


class HostBoard:
    """One simulated board: the firmware's GateDevice on SimPins, served over a byte stream."""

    def __init__(self, config=None, **settings):
        self.config = config or Config(**settings)
        # idle inputs: door shut (contact closed -> 0), exit released (pull-up -> 1), lid on (-> 0)
        self.pins = GatePins(
            relay=SimPin(),
            led_red=SimPin(),
            led_green=SimPin(),
            led_blue=SimPin(),
            buzzer=SimPin(),
            door_contact=SimPin(0),
            exit_button=SimPin(1),
            tamper=SimPin(0),
        )
        self.device = GateDevice(self.pins, self.config, os.urandom, now=host_ticks())
        self._stop = threading.Event()
        self._thread = None
        self._fds = []
        self.link_cut = False  # the simulator cuts the RS-485 pair: bytes are lost both ways

    # -- simulated world -----------------------------------------------------------------
    def set_door_open(self, is_open):
        self.pins.door_contact.value(1 if is_open else 0)

    def set_exit_pressed(self, pressed):
        self.pins.exit_button.value(0 if pressed else 1)

    def set_tamper(self, opened):
        self.pins.tamper.value(1 if opened else 0)

    @property
    def relay_on(self):
        return bool(self.pins.relay.value())

    @property
    def led_color(self):
        p = self.pins
        return p.led_red.value() | (p.led_green.value() << 1) | (p.led_blue.value() << 2)

    @property
    def buzzer_on(self):
        return bool(self.pins.buzzer.value())

    # -- serving -------------------------------------------------------------------------
    def step(self, data):
        """One loop turn: feed received bytes, tick; returns reply bytes or None."""
        now = host_ticks()
        reply = self.device.receive(data, now) if data else None
        self.device.tick(now)
        return bytes(reply) if reply is not None else None

    def serve_fd(self, fd):
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.002)
            data = b""
            if ready:
                try:
                    data = os.read(fd, 256)
                except OSError as exc:  # the peer closed its end; wait for it to come back
                    log.debug("pty read: %s", exc)
                    time.sleep(0.01)
            reply = self.step(b"" if self.link_cut else data)
            if reply and not self.link_cut:
                try:
                    os.write(fd, reply)
                except OSError:
                    pass

    def serve_serial(self, port):
        while not self._stop.is_set():
            data = port.read(256)
            reply = self.step(data)
            if reply:
                port.write(reply)
                port.flush()

    def start_on_pty(self):
        """Serve on a new pseudo-terminal in a thread; return the path a CP should open."""
        import tty

        master, slave = os.openpty()
        tty.setraw(slave)
        tty.setraw(master)
        self._fds = [master, slave]  # keep the slave open so the master never sees EIO
        path = os.ttyname(slave)
        self._thread = threading.Thread(target=self.serve_fd, args=(master,), name="gateio-host", daemon=True)
        self._thread.start()
        return path

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []


def start_on_pty(**settings):
    """Start a firmware-on-host board on a pty. Returns (pty_path, stop_fn); stop_fn.board is the HostBoard."""
    board = HostBoard(**settings)
    path = board.start_on_pty()

    def stop_fn():
        board.stop()

    stop_fn.board = board
    return path, stop_fn


def _parse_key(text):
    try:
        key = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise ValueError("--scbk must be 32 hex digits, got %r" % text) from None
    if len(key) != 16:
        raise ValueError("--scbk must be 16 bytes (32 hex digits), got %d bytes" % len(key))
    return key


def _control_from_stdin(board):
    actions = {"door": board.set_door_open, "exit": board.set_exit_pressed, "tamper": board.set_tamper}
    for line in sys.stdin:
        words = line.split()
        if len(words) == 2 and words[0] in actions and words[1] in ("0", "1"):
            actions[words[0]](words[1] == "1")
            print("ok", flush=True)
        elif words:
            print("error: expected '<door|exit|tamper> <0|1>'", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gateio.host", description=__doc__.splitlines()[0])
    parser.add_argument("--port", required=True, help="serial device or pty path")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--address", type=int, default=0, help="OSDP address 0..126")
    parser.add_argument("--scbk", help="secure channel base key, 32 hex digits")
    parser.add_argument("--install-mode", action="store_true", help="accept SCBK-D once (commissioning)")
    parser.add_argument("--max-relay-ms", type=int, default=Config.max_relay_ms)
    parser.add_argument("--control-stdin", action="store_true", help="read 'door|exit|tamper 0|1' lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        scbk = _parse_key(args.scbk) if args.scbk else None
        config = Config(address=args.address, scbk=scbk, install_mode=args.install_mode, max_relay_ms=args.max_relay_ms)
    except ValueError as exc:
        print("gateio.host: error: %s" % exc, file=sys.stderr)
        return 2
    try:
        import serial

        port = serial.Serial(args.port, args.baud, timeout=0.002)
    except Exception as exc:  # pyserial raises SerialException or OSError subclasses
        print("gateio.host: error: cannot open serial port %s: %s" % (args.port, exc), file=sys.stderr)
        return 2
    board = HostBoard(config)
    if args.control_stdin:
        threading.Thread(target=_control_from_stdin, args=(board,), daemon=True).start()
    print("gateio.host: OSDP PD address %d on %s" % (config.address, args.port), flush=True)
    try:
        board.serve_serial(port)
    except KeyboardInterrupt:
        pass
    finally:
        port.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

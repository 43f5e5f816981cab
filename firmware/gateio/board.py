"""The only module that touches `machine`: pins, UART with RS-485 direction, watchdog.

The relay pin is created first and driven low, so a boot or a watchdog reset never leaves
the lock energised.
"""

import sys

import machine

from gateio import pins as pinmaps
from gateio.device import GatePins

WATCHDOG_MS = 2000


class Board:
    def __init__(self, pinmap=None, baud=115200, watchdog_ms=WATCHDOG_MS):
        if pinmap is None:
            pinmap = pinmaps.BY_PLATFORM.get(sys.platform)
            if pinmap is None:
                raise RuntimeError("no pin map for platform %s" % sys.platform)
        Pin = machine.Pin
        self.relay = Pin(pinmap["relay"], Pin.OUT, value=0)
        self.buzzer = Pin(pinmap["buzzer"], Pin.OUT, value=0)
        self.led_red = Pin(pinmap["led_red"], Pin.OUT, value=0)
        self.led_green = Pin(pinmap["led_green"], Pin.OUT, value=0)
        self.led_blue = Pin(pinmap["led_blue"], Pin.OUT, value=0)
        self.de = Pin(pinmap["rs485_de"], Pin.OUT, value=0)  # receive unless sending
        self.door_contact = Pin(pinmap["door_contact"], Pin.IN, Pin.PULL_UP)
        self.exit_button = Pin(pinmap["exit_button"], Pin.IN, Pin.PULL_UP)
        self.tamper = Pin(pinmap["tamper"], Pin.IN, Pin.PULL_UP)
        self.uart = machine.UART(
            pinmap["uart"], baudrate=baud, tx=Pin(pinmap["uart_tx"]), rx=Pin(pinmap["uart_rx"]), timeout=0
        )
        self._rx = bytearray(128)
        self._rx_view = memoryview(self._rx)
        self.wdt = machine.WDT(timeout=watchdog_ms)
        self.reset_cause = machine.reset_cause()

    def gate_pins(self):
        return GatePins(
            self.relay,
            self.led_red,
            self.led_green,
            self.led_blue,
            self.buzzer,
            self.door_contact,
            self.exit_button,
            self.tamper,
            self.de,
        )

    def serial_number(self):
        uid = machine.unique_id()
        serial = 0
        for i in range(4):
            serial |= uid[len(uid) - 4 + i] << (8 * i)
        return serial

    def read(self):
        """Bytes waiting on the UART (a view into a preallocated buffer), or None."""
        if not self.uart.any():
            return None
        n = self.uart.readinto(self._rx)
        return self._rx_view[0:n] if n else None

    def send(self, data):
        self.de.value(1)
        self.uart.write(data)
        self.uart.flush()  # wait for the last stop bit before releasing the RS-485 bus
        self.de.value(0)

    def feed_watchdog(self):
        self.wdt.feed()

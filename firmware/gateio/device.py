"""The gate I/O board's logic: OSDP peripheral + relay, LED, buzzer and inputs, with the safety rules.

Pins are objects with .value() (machine.Pin on the board, simulated pins on a host). Time is
passed in; nothing here reads a clock. Safety rules kept here:
- every output is off at construction (boot, reset);
- the relay is never on longer than Config.max_relay_ms;
- the exit button opens the door locally, online or not;
- no valid command for Config.offline_ms: relay and buzzer off, offline LED pattern.
"""

from gateio import VERSION
from gateio.frame import FrameReader
from gateio.indicators import Buzzer, Led
from gateio.inputs import Input, InputBank
from gateio.outputs import OUT_TIMED_ON, Output
from gateio.peripheral import PdIdentity, Peripheral

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

INPUT_DOOR = const(0)
INPUT_EXIT = const(1)
INPUT_TAMPER = const(2)
OUTPUT_RELAY = const(0)


class GatePins:
    """The board's pins by role. Outputs take .value(v); inputs give .value()."""

    def __init__(self, relay, led_red, led_green, led_blue, buzzer, door_contact, exit_button, tamper, rs485_de=None):
        self.relay = relay
        self.led_red = led_red
        self.led_green = led_green
        self.led_blue = led_blue
        self.buzzer = buzzer
        self.door_contact = door_contact
        self.exit_button = exit_button
        self.tamper = tamper
        self.rs485_de = rs485_de


class GateDevice:
    def __init__(self, pins, config, random_bytes, now=0, on_keyset=None):
        self.pins = pins
        self.config = config
        self._all_off()  # first thing: nothing energised after a boot or reset
        self.relay = Output(max_on_ms=config.max_relay_ms)
        self.outputs = [self.relay]
        self.output_levels = bytearray(1)
        self.leds = [Led()]
        self.buzzers = [Buzzer(max_on_ms=config.buzzer_max_ms)]
        # door contact: pull-up, reed closed to GND while the door is shut -> high means open
        # exit button: pull-up, push to GND -> low means pressed
        # tamper: pull-up, switch closed to GND while the lid is on -> high means opened
        self.inputs = InputBank(
            [
                Input(pins.door_contact, active_level=1, debounce_ms=config.debounce_ms),
                Input(pins.exit_button, active_level=0, debounce_ms=config.debounce_ms),
                Input(pins.tamper, active_level=1, debounce_ms=config.debounce_ms),
            ]
        )
        self.outputs_changed = False
        self.local_changed = False
        identity = PdIdentity(config.vendor, config.model, config.version, config.serial, VERSION)
        self.pd = Peripheral(
            self,
            address=config.address,
            scbk=config.scbk,
            install_mode=config.install_mode,
            identity=identity,
            random_bytes=random_bytes,
            on_keyset=on_keyset,
        )
        self.reader = FrameReader()
        self._packet = bytearray(256)
        self.online = False
        self.leds[0].override = config.offline_pattern
        self.exit_openings = 0

    def _all_off(self):
        pins = self.pins
        for pin in (pins.relay, pins.buzzer, pins.led_red, pins.led_green, pins.led_blue):
            pin.value(0)

    def tamper_active(self):
        return self.inputs.inputs[INPUT_TAMPER].is_active

    def receive(self, data, now):
        """Feed received bytes; return a memoryview of the reply to send, or None."""
        self.reader.feed(data, now)
        reply = None
        while True:
            length = self.reader.pop(self._packet)
            if not length:
                return reply
            size = self.pd.process(self._packet, length, self.reader.had_mark, now)
            if size:
                reply = memoryview(self.pd.tx)[0:size]

    def tick(self, now):
        """Sample inputs, apply timers and safety rules, drive the pins. Call every few ms."""
        changed = self.inputs.update(now)
        exit_input = self.inputs.inputs[INPUT_EXIT]
        if changed & (1 << INPUT_EXIT) and exit_input.is_active and self.config.exit_opens_locally:
            self.relay.command(OUT_TIMED_ON, self.config.exit_open_ms // 100, now)
            self.exit_openings += 1
        if changed & (1 << INPUT_TAMPER):
            self.local_changed = True
        online = self.pd.is_online(now, self.config.offline_ms)
        if online != self.online:
            self.online = online
            if online:
                self.leds[0].override = None
            else:
                self.relay.force_off()
                for buzzer in self.buzzers:
                    buzzer.stop()
                self.leds[0].override = self.config.offline_pattern
        self._drive(now)

    def _drive(self, now):
        pins = self.pins
        level = 1 if self.relay.level(now) else 0
        if level != self.output_levels[OUTPUT_RELAY]:
            self.output_levels[OUTPUT_RELAY] = level
            self.outputs_changed = True
        pins.relay.value(level)
        # OSDP colour codes 1..7 are exactly the red/green/blue bit mask (amber = red + green)
        color = self.leds[0].color(now)
        pins.led_red.value(color & 1)
        pins.led_green.value((color >> 1) & 1)
        pins.led_blue.value((color >> 2) & 1)
        pins.buzzer.value(1 if self.buzzers[0].level(now) else 0)

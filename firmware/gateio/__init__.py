"""Gate I/O board firmware: an OSDP peripheral driving relay, LED and buzzer, reading door inputs.

Runs on MicroPython (RP2040 / ESP32) and, unchanged, on CPython for tests and the simulator.
Only gateio.board imports `machine`; the protocol and state machines are pure and take
time in milliseconds as an argument.
"""

VERSION = (0, 1, 0)


class GateIOFirmwareError(Exception):
    """Root of every error the firmware raises on purpose."""

"""Board entry point: `import gateio.main; gateio.main.run()` from the board's own main.py."""

import os
import time

from gateio import settings
from gateio.board import Board
from gateio.device import GateDevice


def run(path=settings.DEFAULT_PATH):
    board = Board()  # outputs are off from here on
    config = settings.load(path, serial=board.serial_number())
    device = GateDevice(
        board.gate_pins(),
        config,
        os.urandom,
        now=time.ticks_ms(),
        on_keyset=lambda key: settings.save_key(key, path),
    )
    while True:
        board.feed_watchdog()
        now = time.ticks_ms()
        data = board.read()
        if data:
            reply = device.receive(data, now)
            if reply is not None:
                board.send(reply)
        device.tick(now)
        time.sleep_ms(1)

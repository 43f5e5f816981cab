"""Keyboard-wedge scanners: key events back into text, and the evdev reader's unplug and replug.

/dev/uinput is not available on this machine (no uinput in the kernel), so these tests replay
recorded evdev events: through the key translation directly, and through HidReader with an
input device that cannot exist here (a pipe that carries real `struct input_event` records
and fails with ENODEV when unplugged, as a removed keyboard does).
"""

from __future__ import annotations

import errno
import os
import struct
import threading
import time
import types

import evdev
import pytest

from qrgate.readers.hid import HidReader
from qrgate.readers.keys import US, KeyTranslator

# "QG1:a/B" and Enter as a barcode scanner in US layout sends it (evtest order: the MSC_SCAN
# report, the key, a SYN_REPORT), shift pressed around the capitals and the colon.
RECORDED = [
    (4, 4, 0x700E1), (1, 42, 1), (0, 0, 0), (4, 4, 0x70014), (1, 16, 1), (0, 0, 0),
    (4, 4, 0x70014), (1, 16, 0), (0, 0, 0), (4, 4, 0x700E1), (1, 42, 0), (0, 0, 0),
    (1, 42, 1), (0, 0, 0), (1, 34, 1), (0, 0, 0), (1, 34, 0), (0, 0, 0), (1, 42, 0), (0, 0, 0),
    (1, 2, 1), (0, 0, 0), (1, 2, 0), (0, 0, 0),
    (1, 42, 1), (0, 0, 0), (1, 39, 1), (0, 0, 0), (1, 39, 0), (0, 0, 0), (1, 42, 0), (0, 0, 0),
    (1, 30, 1), (0, 0, 0), (1, 30, 0), (0, 0, 0),
    (1, 53, 1), (0, 0, 0), (1, 53, 0), (0, 0, 0),
    (1, 54, 1), (0, 0, 0), (1, 48, 1), (0, 0, 0), (1, 48, 0), (0, 0, 0), (1, 54, 0), (0, 0, 0),
    (4, 4, 0x70028), (1, 28, 1), (0, 0, 0), (1, 28, 0), (0, 0, 0),
]


def typed(text: str, enter: int = 28) -> list[tuple[int, int, int]]:
    """Key events for text, US layout, from evdev's own key names (not from our table)."""
    names = {**{c: (f"KEY_{c.upper()}", c.isupper()) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
             **{d: (f"KEY_{d}", False) for d in "0123456789"},
             ":": ("KEY_SEMICOLON", True), "/": ("KEY_SLASH", False), "-": ("KEY_MINUS", False),
             "$": ("KEY_4", True), "%": ("KEY_5", True), "*": ("KEY_8", True), "+": ("KEY_EQUAL", True),
             ".": ("KEY_DOT", False), " ": ("KEY_SPACE", False), "?": ("KEY_SLASH", True)}
    events = []
    for ch in text:
        name, shift = names[ch]
        code = evdev.ecodes.ecodes[name]
        events += [(1, 42, 1)] * shift + [(1, code, 1), (0, 0, 0), (1, code, 0)] + [(1, 42, 0)] * shift
    return events + [(1, enter, 1), (1, enter, 0)]


def translate(events, **kw):
    keys = KeyTranslator(**kw)
    return [line for line in (keys.feed(*e) for e in events) if line is not None]


def test_the_us_table_agrees_with_the_kernels_key_names():
    expect = {"MINUS": "-", "EQUAL": "=", "LEFTBRACE": "[", "RIGHTBRACE": "]", "SEMICOLON": ";",
              "APOSTROPHE": "'", "GRAVE": "`", "BACKSLASH": "\\", "COMMA": ",", "DOT": ".", "SLASH": "/",
              "SPACE": " ", "TAB": "\t", "KPASTERISK": "*", "KPMINUS": "-", "KPPLUS": "+", "KPSLASH": "/",
              "KPDOT": "."}
    for code, (plain, _shifted) in US.items():
        name = evdev.ecodes.KEY[code]
        name = (name[0] if isinstance(name, list) else name).removeprefix("KEY_")
        want = expect.get(name) or name.removeprefix("KP").lower()
        assert plain == want, (code, name, plain)


def test_a_recorded_scan_with_shift_and_sync_reports_is_one_line():
    assert [line.text for line in translate(RECORDED)] == ["QG1:a/B"]


def test_a_pass_shaped_code_and_the_keypad_enter():
    text = "QG1:6BF9-$%*+./ :AB?"
    assert [line.text for line in translate(typed(text, enter=96))] == [text]


def test_caps_lock_flips_letters_but_not_digits_or_symbols():
    events = [(1, 58, 1), (1, 58, 0)] + typed("ab1-") + [(1, 58, 1), (1, 58, 0)] + typed("ab")
    assert [line.text for line in translate(events)] == ["AB1-", "ab"]


def test_ctrl_held_unknown_keys_and_over_long_codes_are_refused_and_the_next_is_read():
    ctrl = [(1, 29, 1), (1, 46, 1), (1, 46, 0), (1, 29, 0), (1, 30, 1), (1, 28, 1)]
    unknown = [(1, 183, 1), (1, 183, 0), (1, 30, 1), (1, 28, 1)]  # F13
    lines = translate(ctrl + unknown + typed("x" * 40) + typed("QG1:OK"), max_length=32)
    assert [line.text for line in lines] == [None, None, None, "QG1:OK"]
    assert [line.reason.split(" ")[0] for line in lines[:3]] == ["garbage", "garbage", "over-long"]


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="layout"):
        KeyTranslator("dvorak-klingon")


class PipeKeyboard:
    """An input device node that cannot exist here: real input_event records through a pipe."""

    FORMAT = "llHHi"

    def __init__(self, path):
        self.path = path
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self.fd = self._r
        self.grabbed = False

    def grab(self):
        self.grabbed = True

    def ungrab(self):
        self.grabbed = False

    def read(self):
        try:
            data = os.read(self._r, 65536)
        except BlockingIOError:
            return
        if not data:
            raise OSError(errno.ENODEV, "No such device")
        size = struct.calcsize(self.FORMAT)
        for i in range(0, len(data) - size + 1, size):
            sec, usec, type_, code, value = struct.unpack_from(self.FORMAT, data, i)
            yield evdev.events.InputEvent(sec, usec, type_, code, value)

    def type(self, events):
        os.write(self._w, b"".join(struct.pack(self.FORMAT, 0, 0, *e) for e in events))

    def unplug(self):
        os.close(self._w)

    def close(self):
        os.close(self._r)


def test_the_reader_grabs_the_device_reads_codes_and_survives_unplug_and_replug():
    plugged: dict[str, PipeKeyboard] = {}
    opened: list[PipeKeyboard] = []

    def input_device(path):
        if path not in plugged:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        opened.append(plugged[path])
        return plugged[path]

    codes, changes, wake = [], [], threading.Event()
    path = "/dev/input/by-id/usb-scanner-event-kbd"
    reader = HidReader(path, name="south-scanner", on_code=lambda t, now: (codes.append(t), wake.set()),
                       when_changed=lambda ok, why: (changes.append((ok, why)), wake.set()), backoff=(0.05, 0.1))
    reader._evdev_module = types.SimpleNamespace(InputDevice=input_device)

    def wait_for(predicate):
        deadline = time.monotonic() + 5
        while not predicate():
            assert time.monotonic() < deadline, (codes, changes)
            wake.wait(0.05)
            wake.clear()

    reader.start()
    try:
        wait_for(lambda: changes)
        assert changes[0][0] is False and "cannot be opened" in changes[0][1]
        plugged[path] = first = PipeKeyboard(path)
        wait_for(lambda: len(changes) == 2)
        assert changes[1] == (True, f"keyboard scanner {path} open") and first.grabbed
        first.type(RECORDED + typed("QG1:TWO"))
        wait_for(lambda: len(codes) == 2)
        first.type(typed("QG1:HAL")[:-2])  # no Enter: cut off by the unplug
        time.sleep(0.1)
        del plugged[path]
        first.unplug()
        wait_for(lambda: len(changes) == 3)
        assert changes[2][0] is False and "lost" in changes[2][1]
        assert not first.grabbed
        plugged[path] = second = PipeKeyboard(path)
        wait_for(lambda: len(changes) == 4)
        second.type(typed("QG1:THREE"))
        wait_for(lambda: len(codes) == 3)
        assert codes == ["QG1:a/B", "QG1:TWO", "QG1:THREE"]
        assert second.grabbed and reader.stats()["losses"] == 1
    finally:
        reader.stop()
    assert not reader.is_alive

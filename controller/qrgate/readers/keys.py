"""Keystrokes from a keyboard-wedge scanner back into text: pure, no evdev needed.

A wedge scanner types each code as key presses (Linux input key codes, stable kernel ABI)
and ends it with Enter. The layout is the one the scanner was set to type in; US is the
scanners' factory default. Shift (either), Caps Lock and the keypad are handled; a line
typed with Ctrl or Alt held, or with a key the layout does not know, is refused.
"""

from __future__ import annotations

from .lines import MAX_LINE, Line, check

EV_KEY = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
SHIFTS = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
CTRL_ALT = {29, 97, 56, 100}  # KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT, KEY_RIGHTALT (AltGr)
CAPSLOCK = 58
ENTERS = {28, 96}  # KEY_ENTER, KEY_KPENTER
IGNORED = {1, 14, 69, 70}  # Esc, Backspace, NumLock, ScrollLock: no character

# key code -> (plain, with shift), US layout
US = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"), 7: ("6", "^"),
    8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"), 12: ("-", "_"), 13: ("=", "+"),
    15: ("\t", "\t"), 26: ("[", "{"), 27: ("]", "}"), 39: (";", ":"), 40: ("'", '"'), 41: ("`", "~"),
    43: ("\\", "|"), 51: (",", "<"), 52: (".", ">"), 53: ("/", "?"), 57: (" ", " "),
    55: ("*", "*"), 74: ("-", "-"), 78: ("+", "+"), 98: ("/", "/"), 83: (".", "."),
    71: ("7", "7"), 72: ("8", "8"), 73: ("9", "9"), 75: ("4", "4"), 76: ("5", "5"), 77: ("6", "6"),
    79: ("1", "1"), 80: ("2", "2"), 81: ("3", "3"), 82: ("0", "0"),
}
for _row, _start in (("qwertyuiop", 16), ("asdfghjkl", 30), ("zxcvbnm", 44)):
    for _i, _ch in enumerate(_row):
        US[_start + _i] = (_ch, _ch.upper())

LAYOUTS = {"us": US}


class KeyTranslator:
    """Feed it (type, code, value) input events; it returns a Line at each Enter."""

    def __init__(self, layout: str = "us", max_length: int = MAX_LINE):
        if layout not in LAYOUTS:
            raise ValueError(f"unknown keyboard layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        self.keys, self.max_length = LAYOUTS[layout], max_length
        self.reset()

    def reset(self) -> None:
        """A replug: modifiers released, half a code dropped."""
        self._chars: list[str] = []
        self._shift: set[int] = set()
        self._held: set[int] = set()  # Ctrl, Alt
        self._caps = False
        self._bad = ""  # why the line being typed will be refused

    def feed(self, type_: int, code: int, value: int) -> Line | None:
        if type_ != EV_KEY:
            return None  # sync and scan-code reports carry no key
        if code in SHIFTS:
            (self._shift.add if value else self._shift.discard)(code)
            return None
        if code in CTRL_ALT:
            (self._held.add if value else self._held.discard)(code)
            return None
        if value != KEY_DOWN:  # releases; auto-repeat is not something a scanner types
            return None
        if code == CAPSLOCK:
            self._caps = not self._caps
        elif code in ENTERS:
            return self._end()
        elif code in IGNORED:
            pass
        elif self._held:
            self._bad = self._bad or "garbage line (a key typed with Ctrl or Alt held)"
        elif code not in self.keys:
            self._bad = self._bad or f"garbage line (key code {code} is not in the layout)"
        elif len(self._chars) <= self.max_length:
            plain, shifted = self.keys[code]
            upper = bool(self._shift) != (self._caps and plain.isalpha())
            self._chars.append(shifted if upper else plain)
        return None

    def _end(self) -> Line | None:
        chars, bad = self._chars, self._bad
        self._chars, self._bad = [], ""
        if not chars and not bad:
            return None  # an Enter alone: no line
        if bad:
            return Line(None, bad)
        return check("".join(chars).encode("utf-8"), self.max_length)

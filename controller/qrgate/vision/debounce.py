"""A code held in view is one scan: pure, driven by the caller's clock."""

from __future__ import annotations


class Debouncer:
    """Accept a text once; accept it again only after it left view or `repeat_after` seconds passed.

    "Left view" means `gone_after` seconds without seeing it, so one missed frame does
    not make a held phone scan twice.
    """

    def __init__(self, gone_after: float = 0.5, repeat_after: float = 10.0):
        self.gone_after = gone_after
        self.repeat_after = repeat_after
        self._seen: dict[str, tuple[float, float]] = {}  # text -> (accepted at, last seen)

    def accept(self, text: str, now: float) -> bool:
        self._forget(now)
        entry = self._seen.get(text)
        if entry is None or now - entry[0] >= self.repeat_after:
            self._seen[text] = (now, now)
            return True
        self._seen[text] = (entry[0], now)
        return False

    def _forget(self, now: float) -> None:
        gone = [t for t, (_, last) in self._seen.items() if now - last > self.gone_after]
        for text in gone:
            del self._seen[text]

"""Times on the command line: ISO 8601, seconds since the epoch, "now", or "+8h" / "-2d" from now."""

from __future__ import annotations

import datetime as dt
import re
import time

from ..errors import QrgateError

_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(text: str, now: float | None = None) -> float:
    now = time.time() if now is None else now
    text = text.strip()
    if text == "now":
        return now
    m = _RELATIVE.match(text)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return now + sign * float(m.group(2)) * _UNIT[m.group(3)]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QrgateError(f"cannot read the time {text!r}: use ISO 8601 (2026-11-22T08:00:00+07:00), "
                          "seconds since 1970, 'now', or a span from now such as +8h or -2d") from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # a time without a zone is local time
    return parsed.timestamp()


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat().replace("+00:00", "Z")

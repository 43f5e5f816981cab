"""Opening hours and holidays, in the site's time zone. Pure: the instant comes in as an argument."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_spans(text: str) -> tuple[tuple[int, int], ...]:
    """"07:00-12:00, 13:00-18:00" -> ((420, 720), (780, 1080)); "closed" -> (); "24h" -> ((0, 1440),).

    Raises ValueError saying what is wrong. A span must not cross midnight: split it over two days.
    """
    text = text.strip().lower()
    if text == "closed":
        return ()
    if text in ("24h", "00:00-24:00"):
        return ((0, 1440),)
    spans = []
    for part in text.split(","):
        m = _SPAN.match(part.strip())
        if not m:
            raise ValueError(f"{part.strip()!r} is not HH:MM-HH:MM (or 'closed', '24h')")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise ValueError(f"{part.strip()!r} is not a time of day")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValueError(f"{part.strip()!r} ends before it starts; a span over midnight is two spans "
                             "(e.g. mon = '22:00-24:00', tue = '00:00-06:00')")
        spans.append((start, end))
    return tuple(sorted(spans))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name (e.g. 'Asia/Ho_Chi_Minh', 'UTC')") from None


@dataclass(frozen=True)
class OpeningHours:
    timezone: str = "UTC"
    week: tuple[tuple[tuple[int, int], ...], ...] = ((((0, 1440),),) * 7)  # Monday first
    holidays: frozenset[str] = frozenset()  # "YYYY-MM-DD", local dates: closed all day

    def local(self, now: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(now, zone(self.timezone))

    def closed_reason(self, now: float) -> str | None:
        """None when open at `now`; "holiday" or "closed" otherwise."""
        local = self.local(now)
        if local.date().isoformat() in self.holidays:
            return "holiday"
        minute = local.hour * 60 + local.minute
        if any(start <= minute < end for start, end in self.week[local.weekday()]):
            return None
        return "closed"


def day_start(now: float, timezone: str) -> float:
    """The instant local midnight began for the day `now` falls in (for entries-per-day)."""
    local = dt.datetime.fromtimestamp(now, zone(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

"""Exits no gate saw: when a presence expires (pure; time comes in as `now`).

A person who left by the exit button, behind a tailgater or without scanning out would
stay "inside" for ever and be refused at the next visit. The site may count them as left:
after `expiry_hours` without a movement, and/or at a daily reset time in the site's time
zone. The gate that let them in records the exit (a ledger event shared with the site),
so each expiry is recorded once.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def last_reset(now: float, reset_at: str, timezone: str) -> float:
    """The latest daily reset instant at or before `now` (reset_at is HH:MM, site local time)."""
    tz = ZoneInfo(timezone)
    local = dt.datetime.fromtimestamp(now, tz)
    at = dt.time.fromisoformat(reset_at)
    instant = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if instant > local:
        instant = (local - dt.timedelta(days=1)).replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return instant.timestamp()


def expired(inside: list[tuple[str, str, float]], gate: str, now: float, *, expiry_hours: float | None,
            reset_at: str | None, timezone: str) -> list[tuple[str, str]]:
    """(holder, reason) of the people this gate let in whose presence has run out.

    inside: (holder, gate of their stay, since) of everyone inside; reason: presence_expired or daily_reset.
    """
    cutoff_expiry = now - expiry_hours * 3600 if expiry_hours else None
    cutoff_reset = last_reset(now, reset_at, timezone) if reset_at else None
    due = []
    for holder, stay_gate, since in inside:
        if stay_gate != gate:
            continue
        if cutoff_reset is not None and since < cutoff_reset:
            due.append((holder, "daily_reset"))
        elif cutoff_expiry is not None and since < cutoff_expiry:
            due.append((holder, "presence_expired"))
    return due

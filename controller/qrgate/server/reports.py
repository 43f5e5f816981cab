"""What the managers read: counts, occupancy, denials, alarms, one holder's movements.

Days and hours are the site's own (its `tz`): the database groups events by quarter hour
(every time zone's offset is a whole number of quarter hours), and each quarter is placed in
its local day and hour here, so the query stays one GROUP BY on either engine.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from sqlalchemy import and_, func, select

from .config import ServedSiteConfig
from .db import Database, events
from .stays import occupancy_series, stays

QUARTER = 900
MOVEMENT_TYPES = ("entry", "exit")
ALARM_TYPES = ("alarm", "alarm_cleared", "alarm_ack")


def local_day_bounds(day: dt.date, tz: str) -> tuple[float, float]:
    """[start, end) of a local day in epoch seconds (23 or 25 hours on a DST change)."""
    zone = zoneinfo.ZoneInfo(tz)
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.timestamp(), end.timestamp()


def counts(db: Database, site: ServedSiteConfig, start: float, end: float, by: str = "day",
           gate: str | None = None) -> list[dict]:
    """Entries, exits and denials per gate and local day (or hour) in [start, end)."""
    quarter = func.floor(events.c.at / QUARTER)
    where = [events.c.site == site.id, events.c.at >= start, events.c.at < end,
             events.c.type.in_(("entry", "exit", "denied"))]
    if gate:
        where.append(events.c.gate == gate)
    q = (select(events.c.gate, events.c.type, quarter.label("q"), func.count().label("n"))
         .where(and_(*where)).group_by(events.c.gate, events.c.type, quarter))
    zone = zoneinfo.ZoneInfo(site.tz)
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"entries": 0, "exits": 0, "denials": 0})
    key_of = {"entry": "entries", "exit": "exits", "denied": "denials"}
    with db.engine.connect() as conn:
        for g, kind, q_index, n in conn.execute(q):
            local = dt.datetime.fromtimestamp(int(q_index) * QUARTER, zone)
            bucket = local.strftime("%Y-%m-%d") if by == "day" else local.strftime("%Y-%m-%dT%H:00")
            table[(bucket, g)][key_of[kind]] += n
    return [{"site": site.id, by: bucket, "gate": g, **c} for (bucket, g), c in sorted(table.items())]


def movements_between(db: Database, site: ServedSiteConfig, start: float, end: float,
                      pseudonym: str | None = None) -> list[tuple]:
    """(pseudonym, at, type, gate) of entries and exits at the site in [start, end]."""
    where = [events.c.site == site.id, events.c.at >= start, events.c.at <= end,
             events.c.type.in_(MOVEMENT_TYPES)]
    if pseudonym is not None:
        where.append(events.c.pseudonym == pseudonym)
    q = select(events.c.pseudonym, events.c.at, events.c.type, events.c.gate).where(and_(*where))
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


def place_function(site: ServedSiteConfig):
    if not site.zones:
        return lambda gate: site.id
    return lambda gate: site.zone_of(gate) or site.id


def occupancy(db: Database, site: ServedSiteConfig, start: float, end: float, step: float,
              now: float) -> list[dict]:
    """How many were inside (per place: the site, or each zone) at each step of [start, end]."""
    max_stay = site.max_stay_hours * 3600
    rows = movements_between(db, site, start - max_stay, min(end, now))
    found = [s for s in stays(rows, place_function(site), max_stay)]
    # a stay with no exit seen yet lasts until now at most
    found = [s if s.end <= now or s.exit_gate is not None else s.__class__(
        s.pseudonym, s.place, s.start, now, s.entry_gate, None) for s in found]
    places = sorted({s.place for s in found}) or [site.id]
    out = []
    for place in places:
        mine = [s for s in found if s.place == place]
        out.append({"place": place, "points": [{"at": t, "inside": n}
                                               for t, n in occupancy_series(mine, start, min(end, now), step)]})
    return out


def denials(db: Database, site: ServedSiteConfig, start: float, end: float) -> list[dict]:
    q = (select(events.c.gate, events.c.reason, func.count().label("n"))
         .where(events.c.site == site.id, events.c.type == "denied", events.c.at >= start, events.c.at < end)
         .group_by(events.c.gate, events.c.reason).order_by(func.count().desc()))
    with db.engine.connect() as conn:
        return [{"gate": g, "reason": r, "count": n} for g, r, n in conn.execute(q)]


def alarms(db: Database, site: ServedSiteConfig, start: float, end: float, limit: int) -> list[dict]:
    q = (select(events.c.id, events.c.gate, events.c.at, events.c.type, events.c.reason)
         .where(events.c.site == site.id, events.c.type.in_(ALARM_TYPES), events.c.at >= start, events.c.at < end)
         .order_by(events.c.at.desc()).limit(limit))
    with db.engine.connect() as conn:
        return [{"id": i, "gate": g, "at": at, "type": t, "alarm": r} for i, g, at, t, r in conn.execute(q)]


def holder_events(db: Database, pseudonym: str, start: float, end: float, sites: list[str],
                  limit: int) -> list[dict]:
    """One holder's events (entries, exits, denials) at the given sites, oldest first."""
    q = (select(events.c.id, events.c.site, events.c.gate, events.c.seq, events.c.at, events.c.type,
                events.c.reason, events.c.direction)
         .where(events.c.pseudonym == pseudonym, events.c.site.in_(sites), events.c.at >= start, events.c.at < end)
         .order_by(events.c.at).limit(limit))
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def latest_events(db: Database, site: ServedSiteConfig, after_at: float, limit: int) -> list[dict]:
    """Events received after `after_at` (for live updates of the pages), oldest first."""
    q = (select(events.c.id, events.c.gate, events.c.seq, events.c.at, events.c.type, events.c.reason,
                events.c.direction, events.c.received_at)
         .where(events.c.site == site.id, events.c.received_at > after_at)
         .order_by(events.c.received_at).limit(limit))
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def gates(db: Database, site: ServedSiteConfig) -> list[dict]:
    """Each gate heard from: its newest seq and event time, and its zone."""
    q = (select(events.c.gate, func.max(events.c.seq), func.max(events.c.at), func.count())
         .where(events.c.site == site.id).group_by(events.c.gate).order_by(events.c.gate))
    with db.engine.connect() as conn:
        return [{"gate": g, "last_seq": seq, "last_at": at, "events": n, "zone": site.zone_of(g)}
                for g, seq, at, n in conn.execute(q)]

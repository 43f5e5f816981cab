"""What the managers read: counts, occupancy, denials, alarms, one holder's movements.

Days and hours are the site's own (its `tz`): the database groups events by quarter hour
(every time zone's offset is a whole number of quarter hours), and each quarter is placed in
its local day and hour here, so the query stays one GROUP BY on either engine.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from sqlalchemy import and_, case, func, select

from .config import ServedSiteConfig
from .db import ENTRIES, Database, earlier, events
from .stays import Stay, occupancy_series

QUARTER = 900
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


def stays_select(site: ServedSiteConfig, lo: float, hi: float, pseudonym: str | None = None):
    """A SELECT of every stay at the site (per place) that overlaps [lo, hi]: columns pseudonym,
    place, start, end, entry_gate, exit_gate.

    Each entry row holds the holder's next movement in its place (pairing.py): an exit ends the
    stay there, another entry ends it there too, nothing ends it `max_stay_hours` after the entry
    (a next movement later than that does too, and gives no exit gate). So the stays are the
    entries from max_stay before lo to hi whose end is past lo: one range of one index."""
    max_stay = site.max_stay_hours * 3600
    until = events.c.at + max_stay
    end = earlier(func.coalesce(events.c.next_at, until), until)
    where = [events.c.site == site.id, ENTRIES, events.c.at >= lo - max_stay, events.c.at <= hi, end > lo]
    if pseudonym is not None:
        where.append(events.c.pseudonym == pseudonym)
    return (select(events.c.pseudonym, events.c.place, events.c.at.label("start"), end.label("end"),
                   events.c.gate.label("entry_gate"),
                   case((events.c.next_at <= until, events.c.next_exit_gate), else_=None).label("exit_gate"))
            .where(*where))


def run_stays_query(db: Database, q) -> list[tuple]:
    """The rows of a stays query as the driver's plain tuples: the columns are floats and
    strings that need no conversion, and SQLAlchemy's Row objects cost more than the rows'
    use (a trace reads ten thousand)."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            return conn.execute(q).cursor.fetchall()
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")  # the window's sort of the movements stays in memory
        # PostgreSQL's binary results: ten thousand rows of floats cost a few ms to compile the
        # statement for, against twice that to parse them from text
        sql = q.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        with conn.connection.driver_connection.cursor(binary=True) as cur:
            return cur.execute(sql.string, sql.params).fetchall()


def stays_between(db: Database, site: ServedSiteConfig, lo: float, hi: float,
                  pseudonym: str | None = None) -> list[Stay]:
    """Every stay at the site (per place) that overlaps [lo, hi] (stays_select)."""
    return [Stay(*row) for row in run_stays_query(db, stays_select(site, lo, hi, pseudonym))]


def occupancy(db: Database, site: ServedSiteConfig, start: float, end: float, step: float,
              now: float) -> list[dict]:
    """How many were inside (per place: the site, or each zone) at each step of [start, end]."""
    end = min(end, now)
    found = stays_between(db, site, start, end)
    # a stay with no exit seen yet lasts until now at most: just past it, so whoever is in now counts at `now`
    open_end = now + 1e-3
    found = [s if s.end <= now else Stay(s.pseudonym, s.place, s.start, open_end, s.entry_gate, s.exit_gate)
             for s in found]
    places = sorted({s.place for s in found}) or [site.id]
    out = []
    for place in places:
        mine = [s for s in found if s.place == place]
        out.append({"place": place, "points": [{"at": t, "inside": n}
                                               for t, n in occupancy_series(mine, start, end, step)]})
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

"""Each entry's end, kept in its row as events arrive, so a stay is read, not worked out per query.

A stay runs from a holder's entry to their next movement in the same place (reports.stays_select
reads it, stays.py says what a stay is). Every event row carries its `place` (the gate's zone, else
the site), and every entry row `next_at` and `next_exit_gate`: the time of the holder's next movement
in that place, and its gate when it is an exit (both NULL while none is held).

They are kept right whatever order events come in (the outbox, the site exchange and the gates'
histories bring them late and out of order): after a batch is inserted, in the same transaction,
each new movement becomes the `next` of the holder's movement just before it there (when that is
an entry), and each new entry takes the movement just after it. Movements are ordered by (at, id).
Both are read from the rows as they stand after the insert, so the pairs agree, and storing a
batch again changes nothing. On PostgreSQL a transaction-scoped advisory lock per site makes
the writers (the events topic, the exchange) pair one at a time; SQLite has one writer anyway.

The places follow the configured zones: when a site's zones are not those its rows were paired
with (`site_pairing`), `repair` sets every row's place again and pairs the site's movements anew.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable

from sqlalchemy import and_, case, func, literal, or_, select, union, update
from sqlalchemy.engine import Connection

from .config import ServedSiteConfig
from .db import Database, events, site_pairing

log = logging.getLogger(__name__)

MOVEMENT_TYPES = ("entry", "exit")


def place_of(site: ServedSiteConfig, gate: str) -> str:
    """Where a movement at this gate puts its holder: the gate's zone, else the site."""
    return site.zone_of(gate) or site.id


class Pairing:
    """The places and pairs of the served sites' rows, as they are stored."""

    def __init__(self, sites: Iterable[ServedSiteConfig]):
        self.sites = {site.id: site for site in sites}

    def with_places(self, rows: list[dict]) -> list[dict]:
        """The rows, each with its place (a row of a site not served keeps none)."""
        return [{**row, "place": place_of(self.sites[row["site"]], row["gate"]) if row["site"] in self.sites
                 else None} for row in rows]

    def pair(self, db: Database, conn: Connection, rows: list[dict]) -> None:
        """Pair the movements among `rows`, just inserted (or held already) on `conn`'s transaction."""
        ids = [row["id"] for row in rows if row["type"] in MOVEMENT_TYPES and row.get("pseudonym")]
        if not ids:
            return
        if not db.is_sqlite:
            for site in sorted({row["site"] for row in rows}):  # in one order: two writers never deadlock
                conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("qrgate.pairing:" + site))))
        conn.execute(_pairs_update(ids))


def _neighbour(moved, after: bool):
    """The id of the holder's movement right after (or before) `moved` in its place, in (at, id)
    order: a subquery correlated to `moved`."""
    x = events.alias("neighbour")
    if after:
        order, beyond = (x.c.at, x.c.id), and_(x.c.at >= moved.c.at, or_(x.c.at > moved.c.at, x.c.id > moved.c.id))
    else:
        order = (x.c.at.desc(), x.c.id.desc())
        beyond = and_(x.c.at <= moved.c.at, or_(x.c.at < moved.c.at, x.c.id < moved.c.id))
    return (select(x.c.id)
            .where(x.c.pseudonym == moved.c.pseudonym, x.c.site == moved.c.site, x.c.place == moved.c.place,
                   x.c.type.in_(MOVEMENT_TYPES), beyond)
            .order_by(*order).limit(1).scalar_subquery())


def _pairs_update(ids: list[str]):
    """UPDATE each entry among (or just before) the rows `ids` with its next movement."""
    moved = events.alias("moved")
    is_new = and_(moved.c.id.in_(ids), moved.c.type.in_(MOVEMENT_TYPES), moved.c.pseudonym.is_not(None))
    pairs = union(
        select(_neighbour(moved, after=False).label("entry_id"), moved.c.id.label("next_id")).where(is_new),
        select(moved.c.id.label("entry_id"), _neighbour(moved, after=True).label("next_id"))
        .where(is_new, moved.c.type == "entry"),
    ).subquery("pairs")
    following = events.alias("following")
    return (update(events)
            .where(events.c.id == pairs.c.entry_id, events.c.type == "entry", following.c.id == pairs.c.next_id)
            .values(next_at=following.c.at,
                    next_exit_gate=case((following.c.type == "exit", following.c.gate), else_=None)))


def repair(db: Database, sites: Iterable[ServedSiteConfig]) -> list[str]:
    """Set the places and pairs of every site whose zones changed since its rows were paired (or
    that was never paired: a database from before pairing); the sites done, each logged."""
    done = []
    for site in sites:
        zones = json.dumps({zone: sorted(gates) for zone, gates in sorted(site.zones.items())})
        with db.engine.begin() as conn:
            held = conn.execute(select(site_pairing.c.zones).where(site_pairing.c.site == site.id)).scalar()
            if held == zones:
                continue
            began = time.monotonic()
            rows = _repair_site(db, conn, site)
            db.insert_or_update(conn, site_pairing, [{"site": site.id, "zones": zones}], ["site"], "zones",
                                lambda held_zones, new: held_zones != new)
        log.info("site %s: %d rows placed and paired for its zones in %.1f s", site.id, rows, time.monotonic() - began)
        done.append(site.id)
    if done:
        db.refresh_statistics()  # every row of those sites changed
    return done


def _repair_site(db: Database, conn: Connection, site: ServedSiteConfig) -> int:
    """Every row of the site takes its place; every movement its pair, in one pass (each row is
    rewritten once: on PostgreSQL a rewrite leaves a dead copy behind until vacuum)."""
    places = {gate: zone for zone, gates in site.zones.items() for gate in gates}
    place = case(places, value=events.c.gate, else_=site.id) if places else literal(site.id)
    is_movement = and_(events.c.type.in_(MOVEMENT_TYPES), events.c.pseudonym.is_not(None))
    others = conn.execute(update(events).where(events.c.site == site.id, ~is_movement)
                          .values(place=place, next_at=None, next_exit_gate=None)).rowcount
    if not db.is_sqlite:
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")  # the window sorts the site's movements in memory
    window = {"partition_by": (events.c.pseudonym, place), "order_by": (events.c.at, events.c.id)}
    paired = (select(events.c.id, place.label("place"), events.c.type,
                     func.lead(events.c.at).over(**window).label("next_at"),
                     func.lead(events.c.type).over(**window).label("next_type"),
                     func.lead(events.c.gate).over(**window).label("next_gate"))
              .where(events.c.site == site.id, is_movement)
              .subquery("paired"))
    is_entry = paired.c.type == "entry"
    moves = conn.execute(update(events).where(events.c.id == paired.c.id).values(
        place=paired.c.place, next_at=case((is_entry, paired.c.next_at), else_=None),
        next_exit_gate=case((and_(is_entry, paired.c.next_type == "exit"), paired.c.next_gate), else_=None))).rowcount
    return others + moves

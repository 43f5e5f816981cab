"""A gate's event as a row of the site database, from either way it reaches the server.

An event comes on `<prefix>/<site>/<gate>/events` (the gate's outbox: it carries the gate's log
`seq`), or in a `batch` of the site exchange (qrgate.site.sync: a shared event, which carries
`origin_seq` instead). Both are checked alike, so nothing the database would refuse (a text too
long, a NUL) reaches it; BadEvent says what is wrong, never the payload.
"""

from __future__ import annotations

import json
from collections.abc import Callable

TEXT_FIELDS = {"type": 32, "reason": 64, "direction": 16, "pseudonym": 64, "format": 32}
MAX_SEQ = 2**63 - 1  # the column is a 64-bit integer on either engine
#: the seq of a row caught up through the site exchange, which does not carry the gate's log seq
UNKNOWN_SEQ = 0


class BadEvent(ValueError):
    """A message that is not a qrgate event."""


def parse_event(site: str, gate: str, payload: bytes, received_at: float) -> dict:
    """An events-topic message as a database row."""
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise BadEvent("not JSON") from None
    return event_row(site, gate, doc, received_at)


def shared_event_row(site: str, event: object, received_at: float) -> dict:
    """A shared event of a site-exchange batch as a database row: its gate is its origin, its
    pseudonym its holder, its seq unknown."""
    if not isinstance(event, dict):
        raise BadEvent("not a JSON object")
    origin = event.get("origin")
    if not isinstance(origin, str) or not 1 <= len(origin) <= 64 or "\x00" in origin:
        raise BadEvent("no origin")
    doc = {name: event.get(name) for name in ("id", "at", "type", "reason", "direction", "format")}
    return event_row(site, origin, {**doc, "seq": UNKNOWN_SEQ, "pseudonym": event.get("holder")}, received_at)


def batch_rows(batch: list, row_of: Callable[[object], dict]) -> tuple[list[dict], int]:
    """A batch of events (a gate's history answer, a site-exchange batch) as rows, one per id, and
    how many row_of refused as malformed (BadEvent)."""
    rows, bad = {}, 0
    for doc in batch:
        try:
            row = row_of(doc)
        except BadEvent:
            bad += 1
            continue
        rows[row["id"]] = row
    return list(rows.values()), bad


def event_row(site: str, gate: str, doc: object, received_at: float) -> dict:
    if not isinstance(doc, dict):
        raise BadEvent("not a JSON object")
    event_id, seq, at = doc.get("id"), doc.get("seq"), doc.get("at")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64 or "\x00" in event_id:
        raise BadEvent("no id")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
        raise BadEvent("no seq")
    if not isinstance(at, (int, float)) or isinstance(at, bool) or not 0 <= at < 1e11:
        raise BadEvent("no time")
    row = {"id": event_id, "site": site, "gate": gate, "seq": seq, "at": float(at), "received_at": received_at}
    for name, size in TEXT_FIELDS.items():
        value = doc.get(name)
        # PostgreSQL keeps no NUL in text: refused here, not by the database
        if value is not None and (not isinstance(value, str) or len(value) > size or "\x00" in value):
            raise BadEvent(f"bad {name}")
        row[name] = value
    if not row["type"]:
        raise BadEvent("no type")
    return row


def public(rows: list[dict]) -> dict[str, list[dict]]:
    """Stored rows for the live pages, by site, without pseudonyms."""
    by_site: dict[str, list[dict]] = {}
    for row in rows:
        by_site.setdefault(row["site"], []).append({k: v for k, v in row.items() if k != "pseudonym"})
    return by_site

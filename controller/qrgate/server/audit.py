"""The trace log: every trace, export, re-identification and purge, with who, when and why.

Rows hold pseudonyms and counts, never a name or a phone; managers read them through the API.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from .db import Database, audit


def record(db: Database, *, at: float, user: str, role: str, action: str, purpose: str,
           site: str | None = None, **detail) -> None:
    with db.engine.begin() as conn:
        conn.execute(audit.insert().values(at=at, user=user, role=role, action=action, site=site,
                                           purpose=purpose, detail=json.dumps(detail, sort_keys=True)))


def read(db: Database, start: float, end: float, limit: int) -> list[dict]:
    q = (select(audit).where(audit.c.at >= start, audit.c.at < end).order_by(audit.c.at.desc(), audit.c.id.desc())
         .limit(limit))
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for row in rows:
        row["detail"] = json.loads(row["detail"])
    return rows

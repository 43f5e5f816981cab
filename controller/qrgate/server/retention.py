"""Retention: events older than `retention.movement_days` and trace-log rows older than
`retention.trace_log_days` are deleted; each purge is itself a row of the trace log."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import delete

from . import audit as trace_log
from .config import RetentionConfig
from .db import Database, audit, events, sessions

log = logging.getLogger(__name__)
DAY = 86400


def purge(db: Database, cfg: RetentionConfig, now: float) -> dict:
    """Delete what is past its time; {"events": n, "trace_log": n} (logged, even when 0 rows)."""
    events_before = now - cfg.movement_days * DAY
    log_before = now - cfg.trace_log_days * DAY
    with db.engine.begin() as conn:
        n_events = conn.execute(delete(events).where(events.c.at < events_before)).rowcount
        n_log = conn.execute(delete(audit).where(audit.c.at < log_before)).rowcount
        conn.execute(delete(sessions).where(sessions.c.expires_at < now))
    done = {"events": n_events, "trace_log": n_log}
    trace_log.record(db, at=now, user="system", role="system", action="purge", purpose="retention",
                     events_before=events_before, trace_log_before=log_before, **done)
    log.info("purged %s events and %s trace-log rows", n_events, n_log)
    return done


class Purger:
    """purge() every `purge_every_minutes` on a thread of its own, from start() until stop(), then
    the database's planner statistics refreshed (Database.refresh_statistics)."""

    def __init__(self, db: Database, cfg: RetentionConfig, clock, also=()):
        """also: more purges to run each round, each taking `now` (the declarations' contact details)."""
        self.db, self.cfg, self.clock, self.also = db, cfg, clock, tuple(also)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="site-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                purge(self.db, self.cfg, self.clock())
                for more in self.also:
                    more(self.clock())
                self.db.refresh_statistics()  # the tables grew (and shrank) since the last round
            except Exception as exc:  # a database hiccup must not end the server; next round retries
                log.warning("purge failed: %s", str(exc).splitlines()[0])
            self._stop.wait(self.cfg.purge_every_minutes * 60)

"""A thread that takes what paho's thread queued and reads and writes the database, for the ways
the server asks the gates for what it missed (catchup.py, history.py).

paho's thread only queues (`_queue.put((...))`, or None after a connect); this thread loads its
state first (before taking a message, so none is lost to a database that is away), hands each
item over, and ticks at least once a second (to ask again for what is still missing). While the
database cannot be read or written it waits (0.5 s, doubling up to 10 s) and calls failed(): the
gates keep what was asked, and it is asked for again.
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


class DatabaseWorker:
    """Subclasses define what (for the log), load(), reconnected(), handle(*item), tick() and failed()."""

    what = "events"

    def __init__(self, name: str):
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def connected(self) -> None:
        """paho's thread, on every connect: what was asked before may never be answered."""
        self._queue.put(None)

    def _run(self) -> None:
        retry, loaded = 0.5, False
        while not self._stop.is_set():
            try:
                if not loaded:
                    self.load()
                    loaded = True
                try:
                    item = self._queue.get(timeout=TICK_SECONDS)
                except queue.Empty:
                    item = ()
                if item is None:
                    self.reconnected()
                elif item:
                    self.handle(*item)
                self.tick()
                retry = 0.5
            except SQLAlchemyError as exc:
                log.warning("cannot read or store %s (%s); asking again in %.1f s", self.what,
                            str(getattr(exc, "orig", None) or exc).splitlines()[0], retry)
                self.failed()
                if self._stop.wait(retry):
                    return
                retry = min(retry * 2, 10)

    def load(self) -> None: ...
    def reconnected(self) -> None: ...
    def handle(self, *item) -> None: ...
    def tick(self) -> None: ...
    def failed(self) -> None: ...

"""Threads for one camera lane: capture keeps only the newest frame, decoding runs beside it.

zxing-cpp releases the GIL, so decoding on its own thread never stalls capture; a
frame that arrives while the decoder is busy replaces the waiting one and is counted.
A watchdog notices a camera that stopped delivering (unplugged, hung driver): the
lane reports it through `when_camera_changed(False, reason)`, reconnects with back-off
and reports `when_camera_changed(True, "frames again")` once frames flow.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable, Union

from .errors import CameraError
from .pipeline import CameraLane
from .vision.health import Backoff, CameraHealth, HealthChange
from .vision.latest import LatestFrame
from .vision.sources import FrameSource

log = logging.getLogger(__name__)

SourceOrOpener = Union[FrameSource, Callable[[], FrameSource]]


class LaneRunner:
    """Runs one camera lane. `source` is a FrameSource (reconnects by its reopen()) or a
    function that opens one (called in the capture thread, again after each fault), so a
    camera missing at boot is a reported fault, not a crash."""

    def __init__(self, source: SourceOrOpener, lane: CameraLane, *, name: str = "lane",
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
                 loss_after: float = 1.0, backoff: tuple[float, float] = (0.5, 5.0),
                 when_camera_changed: Callable[[bool, str], None] | None = None):
        self._opener = None if isinstance(source, FrameSource) else source
        self.source: FrameSource | None = source if isinstance(source, FrameSource) else None
        self.lane = lane
        self.clock, self.monotonic = clock, monotonic
        self.when_camera_changed = when_camera_changed
        self.slot = LatestFrame()
        self.health = CameraHealth(monotonic(), loss_after)
        self.backoff = Backoff(*backoff)
        self.captured = 0  # frames read from the camera
        self.frames = 0  # frames decoded
        self.errors = 0
        self.reconnects = 0
        self._ended = False  # a finite source (files) has run out: nothing to watch any more
        self._health_lock = threading.Lock()
        self._changes: queue.SimpleQueue[HealthChange] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._capture_thread = threading.Thread(target=self._capture, name=f"{name}-capture", daemon=True)
        self._threads = [self._capture_thread,
                         threading.Thread(target=self._decode, name=f"{name}-decode", daemon=True),
                         threading.Thread(target=self._watch, name=f"{name}-watchdog", daemon=True)]

    def start(self) -> "LaneRunner":
        self.health.last_frame = self.monotonic()
        for t in self._threads:
            t.start()
        return self

    @property
    def is_alive(self) -> bool:
        return any(t.is_alive() for t in self._threads[:2])

    @property
    def camera_ok(self) -> bool:
        return self.health.ok

    def stats(self) -> dict:
        return {"captured": self.captured, "decoded": self.frames, "skipped": self.slot.skipped,
                "errors": self.errors, "losses": self.health.losses, "reconnects": self.reconnects,
                "camera_ok": self.health.ok}

    # -- capture -------------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            if self.source is None:
                self._connect(first=True)
            while not self._stop.is_set():
                if self.source is None:
                    self._connect(first=False)
                    continue
                frame, reason = self._read()
                if self._stop.is_set():
                    break
                if frame is None:
                    if not self.source.is_live:
                        if reason:  # one unreadable file in a replay: skip it
                            self.errors += 1
                            continue
                        self._ended = True
                        break
                    self._health(self.health.failed, reason or "the camera gave no frame")
                    self._reconnect()
                    continue
                self.captured += 1
                self.slot.put(frame, self.clock())
                self.backoff.reset()
                self._health(self.health.frame)
        finally:
            self.slot.close()

    def _read(self):
        try:
            return self.source.read(), ""
        except CameraError as exc:
            return None, str(exc)
        except Exception as exc:  # a driver's own exception: a fault to report, never a dead thread
            log.warning("camera read failed: %s: %s", type(exc).__name__, exc)
            return None, f"read failed ({type(exc).__name__})"

    def _connect(self, *, first: bool) -> None:
        """Open through the opener; on failure report it and wait the next back-off delay."""
        if not first and self._stop.wait(self.backoff.next()):
            return
        try:
            self.source = self._opener()
            if not first:
                self.reconnects += 1
        except CameraError as exc:
            log.warning("camera open failed: %s", exc)
            self._health(self.health.failed, str(exc))

    def _reconnect(self) -> None:
        if self._opener is not None:
            self._close_source()
            self._connect(first=False)
            return
        if self._stop.wait(self.backoff.next()):
            return
        try:
            self.source.reopen()
            self.reconnects += 1
            log.info("camera reopened")
        except CameraError as exc:
            log.warning("camera reopen failed: %s", exc)

    def _close_source(self) -> None:
        source, self.source = self.source, None
        if source is not None:
            try:
                source.close()
            except Exception:
                log.debug("closing a failed camera", exc_info=True)

    # -- watchdog ----------------------------------------------------------------------
    def _watch(self) -> None:
        """Declares a silent camera lost, and tells the listener of every change, in order.

        The listener (state, LED, a ledger write) runs here, never on the capture thread.
        """
        period = min(0.1, self.health.loss_after / 5)
        while not self._stop.is_set():
            self._wake.wait(period)
            self._wake.clear()
            live = not self._ended and not (self.source is not None and not self.source.is_live)
            if live:  # a replay has no frame rate to keep
                self._health(self.health.check)
            self._deliver()
            if self._ended:
                return

    def _health(self, update: Callable[..., HealthChange | None], *args) -> None:
        with self._health_lock:
            change = update(self.monotonic(), *args)
            if change is not None:
                self._changes.put(change)
                self._wake.set()

    def _deliver(self) -> None:
        while True:
            try:
                change = self._changes.get_nowait()
            except queue.Empty:
                return
            (log.info if change.ok else log.warning)("camera %s: %s", "ok" if change.ok else "lost", change.reason)
            if self.when_camera_changed is not None:
                try:
                    self.when_camera_changed(change.ok, change.reason)
                except Exception:  # the listener's failure must not stop the watchdog
                    log.exception("camera listener failed")

    # -- decode --------------------------------------------------------------------------
    def _decode(self) -> None:
        while not self._stop.is_set():
            item = self.slot.take(timeout=0.2)
            if item is None:
                if self.slot.closed:
                    return
                continue
            frame, stamp = item
            self.frames += 1
            try:
                self.lane.process_frame(frame, stamp)
            except Exception:  # one bad frame or scan must not stop the gate
                self.errors += 1
                log.exception("frame processing failed")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.slot.close()
        self._capture_thread.join(timeout=1.0)  # a read returns within the camera's timeout
        self._close_source()  # also unblocks a read that hangs
        for t in self._threads:
            t.join(timeout=2)

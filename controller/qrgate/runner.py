"""Threads for one camera lane: capture keeps only the newest frame, decoding runs beside it.

zxing-cpp releases the GIL, so decoding on its own thread never stalls capture; a
frame that arrives while the decoder is busy replaces the waiting one and is counted.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from .pipeline import CameraLane, Outcome
from .vision.latest import LatestFrame
from .vision.sources import FrameSource

log = logging.getLogger(__name__)


class LaneRunner:
    def __init__(self, source: FrameSource, lane: CameraLane, *, name: str = "lane",
                 clock: Callable[[], float] = time.time):
        self.source = source
        self.lane = lane
        self.clock = clock
        self.slot = LatestFrame()
        self.frames = 0
        self.errors = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._capture, name=f"{name}-capture", daemon=True),
                         threading.Thread(target=self._decode, name=f"{name}-decode", daemon=True)]

    def start(self) -> "LaneRunner":
        for t in self._threads:
            t.start()
        return self

    @property
    def is_alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _capture(self) -> None:
        while not self._stop.is_set():
            frame = self.source.read()
            if frame is None:
                break
            self.slot.put(frame, self.clock())
        self.slot.close()

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
        self.slot.close()
        self.source.close()
        for t in self._threads:
            t.join(timeout=2)


def outcome_collector() -> tuple[list[Outcome], Callable[[Outcome], None]]:
    items: list[Outcome] = []
    return items, items.append

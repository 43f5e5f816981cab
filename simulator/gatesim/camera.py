"""The virtual gate camera: a scene, sensor noise, and whatever code a visitor holds up.

difficulty "easy" is a flat grey scene with the code pasted straight on (fast, the
demo's default); "normal" and "hard" draw each visitor's phone or card with its own
pose, blur, glare and compression over a cluttered background (gatesim.scenes).
Frames are a function of the seed and the frame count, never of the wall clock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np

from qrgate.errors import CameraError
from qrgate.vision.sources import FrameSource

from .qrimage import render_qr
from .scenes import SCENES, Shot, approach, render, sample_shot

__all__ = ["VirtualCamera", "render_qr"]

BACKGROUNDS = 4  # cycled, so per-frame cost stays low while neighbouring frames differ


class VirtualCamera(FrameSource):
    """Frames at `fps`; show(text) puts a phone or card with that code in view, show(None) takes it away."""

    def __init__(self, width: int = 1280, height: int = 720, *, fps: float = 30.0, module_px: int = 4,
                 noise: float = 6.0, seed: int = 0, difficulty: str = "easy"):
        if difficulty not in SCENES:
            raise ValueError(f"unknown scene difficulty {difficulty!r}; choose one of {', '.join(SCENES)}")
        self._rng = np.random.default_rng(seed)  # frames: capture thread only
        self._pose_rng = np.random.default_rng([seed, 1])  # visitors' poses: under the lock in show()
        self.width, self.height, self.module_px = width, height, module_px
        self.noise, self.difficulty, self.fps = noise, difficulty, fps
        self._scenes = self._backgrounds(self._rng)
        self._period = 1.0 / fps
        self._next = time.monotonic()
        self._count = 0
        self._lock = threading.Lock()
        self._code: np.ndarray | None = None  # easy: the pasted pixels
        self._text: str | None = None
        self._shot: Shot | None = None
        self._shown_at = 0  # frame count when the current code appeared
        self._approach_frames = 0
        self._closed = False
        self._plugged = threading.Event()  # cleared: unplugged, reads fail and reopen is refused
        self._plugged.set()
        self._flowing = threading.Event()  # cleared: the driver hangs, read() blocks
        self._flowing.set()

    # -- faults, for the simulator and tests ----------------------------------------------
    def unplug(self) -> None:
        """The USB cable is pulled: reads fail (after a frame time, as V4L2 does) until plug() and reopen()."""
        self._plugged.clear()

    def plug(self) -> None:
        self._plugged.set()

    def stall(self, stalled: bool = True) -> None:
        """The driver hangs: read() blocks, without an error, until stall(False)."""
        (self._flowing.clear if stalled else self._flowing.set)()

    def reopen(self) -> None:
        if not self._plugged.is_set():
            raise CameraError("virtual camera is unplugged")
        self._closed = False
        self._next = time.monotonic()

    def _backgrounds(self, rng: np.random.Generator) -> list[np.ndarray]:
        if self.difficulty == "easy":
            gradient = np.linspace(90, 150, self.width, dtype=np.float32)[None, :].repeat(self.height, 0)
            return [np.clip(gradient + rng.normal(0, self.noise, gradient.shape), 0, 255).astype(np.uint8)
                    for _ in range(BACKGROUNDS)]
        from .clutter import cluttered_background

        return [cluttered_background(self.width, self.height, rng) for _ in range(BACKGROUNDS)]

    def show(self, text: str | None, *, approach_seconds: float = 0.0) -> None:
        """A visitor holds `text` up (None: steps away); approach_seconds > 0 brings it up from afar."""
        with self._lock:
            self._text = text or None
            self._shown_at = self._count
            self._approach_frames = int(round(approach_seconds * self.fps))
            if self.difficulty == "easy":
                self._code = render_qr(text, self.module_px) if text else None
            elif text:
                self._shot = sample_shot(self._pose_rng, self.difficulty)

    def frame(self) -> np.ndarray:
        """The next frame, without waiting for the frame period."""
        self._count += 1
        background = self._scenes[self._count % len(self._scenes)]
        with self._lock:
            text, code, shot = self._text, self._code, self._shot
            since = self._count - self._shown_at
            approach_frames = self._approach_frames
        if self.difficulty == "easy":
            frame = background.copy()
            if code is not None:
                h, w = code.shape
                y, x = (self.height - h) // 2, (self.width - w) // 2
                frame[y:y + h, x:x + w] = code
            return frame
        if text is None:
            shot = Shot(noise=self.noise, jpeg_quality=85, ambient=0.3 if self.difficulty == "bright_screen" else 1.0)
        else:
            if approach_frames and since < approach_frames:
                shot = approach(shot, since / approach_frames)
            shot = self._shake(shot)
        return render(text, shot, background, self._rng)

    def _shake(self, shot: Shot) -> Shot:
        """A held hand is never still: a pixel or two of drift between frames."""
        dx, dy = self._rng.normal(0, 1.5, 2)
        return replace(shot, centre=(shot.centre[0] + dx / self.width, shot.centre[1] + dy / self.height),
                       roll_deg=shot.roll_deg + float(self._rng.normal(0, 0.5)))

    def read(self) -> np.ndarray | None:
        while not self._flowing.wait(0.05):
            if self._closed:
                return None
        if not self._plugged.is_set():
            self._closed = True  # the device node is gone: only reopen() brings it back
            time.sleep(self._period)
            return None
        if self._closed:
            return None
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + self._period, time.monotonic())
        return self.frame()

    def close(self) -> None:
        self._closed = True

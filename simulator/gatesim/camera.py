"""The virtual gate camera: a grey scene, sensor noise, and whatever code a visitor holds up."""

from __future__ import annotations

import threading
import time

import numpy as np
import segno

from qrgate.vision.sources import FrameSource


def render_qr(text: str, module_px: int = 4, border: int = 4, error: str = "m") -> np.ndarray:
    """The code as dark-on-white pixels, `module_px` pixels per module."""
    qr = segno.make(text, error=error, micro=False, boost_error=False)
    modules = np.array(qr.matrix, dtype=bool)
    modules = np.pad(modules, border)
    img = np.where(modules, 20, 235).astype(np.uint8)
    return np.kron(img, np.ones((module_px, module_px), dtype=np.uint8))


class VirtualCamera(FrameSource):
    """Frames at `fps`; show(text) puts a phone screen with that code in view, show(None) takes it away."""

    def __init__(self, width: int = 1280, height: int = 720, *, fps: float = 30.0, module_px: int = 4,
                 noise: float = 6.0, seed: int = 0):
        rng = np.random.default_rng(seed)
        gradient = np.linspace(90, 150, width, dtype=np.float32)[None, :].repeat(height, 0)
        # a few noise frames, cycled, keep per-frame cost low while no two neighbours are equal
        self._scenes = [np.clip(gradient + rng.normal(0, noise, gradient.shape), 0, 255).astype(np.uint8)
                        for _ in range(4)]
        self.width, self.height, self.module_px = width, height, module_px
        self._period = 1.0 / fps
        self._next = time.monotonic()
        self._count = 0
        self._lock = threading.Lock()
        self._code: np.ndarray | None = None
        self._closed = False

    def show(self, text: str | None) -> None:
        code = render_qr(text, self.module_px) if text else None
        with self._lock:
            self._code = code

    def frame(self) -> np.ndarray:
        self._count += 1
        frame = self._scenes[self._count % len(self._scenes)].copy()
        with self._lock:
            code = self._code
        if code is not None:
            h, w = code.shape
            y, x = (self.height - h) // 2, (self.width - w) // 2
            frame[y:y + h, x:x + w] = code
        return frame

    def read(self) -> np.ndarray | None:
        if self._closed:
            return None
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + self._period, time.monotonic())
        return self.frame()

    def close(self) -> None:
        self._closed = True

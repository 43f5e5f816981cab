"""QR codes as module matrices and as pixels, the way a pass office prints them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import segno


@lru_cache(maxsize=256)
def _matrix(text: str, error: str) -> np.ndarray:
    qr = segno.make(text, error=error, micro=False, boost_error=False)
    return np.array(qr.matrix, dtype=bool)


def qr_modules(text: str, error: str = "m") -> np.ndarray:
    """The code's dark modules (True) without a quiet zone."""
    return _matrix(text, error)


def render_qr(text: str, module_px: int = 4, border: int = 4, error: str = "m") -> np.ndarray:
    """The code as dark-on-white pixels, `module_px` pixels per module."""
    modules = np.pad(qr_modules(text, error), border)
    img = np.where(modules, 20, 235).astype(np.uint8)
    return np.kron(img, np.ones((module_px, module_px), dtype=np.uint8))

"""Backgrounds a gate camera sees when nobody holds a code up: walls, posters, signs, people."""

from __future__ import annotations

import string

import numpy as np

from .optics import need_cv2


def cluttered_background(width: int, height: int, rng: np.random.Generator, *, busy: float = 1.0) -> np.ndarray:
    """A float32 gray scene with shapes, text, stripes and checkered patches (QR-ish but no code)."""
    cv2 = need_cv2()
    scene = np.full((height, width), int(rng.uniform(70, 160)), np.uint8)  # OpenCV draws text on 8 bits
    for _ in range(int(rng.integers(4, 12) * busy)):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(20, width // 3)), int(rng.integers(20, height // 3))
        cv2.rectangle(scene, (x, y), (x + w, y + h), int(rng.uniform(10, 245)), -1)
    for _ in range(int(rng.integers(3, 10) * busy)):
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p2 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(scene, p1, p2, int(rng.uniform(0, 255)), int(rng.integers(1, 6)))
    for _ in range(int(rng.integers(2, 6) * busy)):
        words = "".join(rng.choice(list(string.ascii_uppercase + string.digits + " "), int(rng.integers(4, 16))))
        cv2.putText(scene, words, (int(rng.integers(0, width - 50)), int(rng.integers(20, height))),
                    cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.5, 2.0)), int(rng.uniform(0, 255)),
                    int(rng.integers(1, 4)))
    for _ in range(int(rng.integers(0, 3) * busy)):
        _paste(scene, _pattern(rng), rng)
    tilt = np.linspace(-20, 20, width, dtype=np.float32)[None, :] * rng.uniform(-1, 1)
    return scene.astype(np.float32) + tilt


def _pattern(rng: np.random.Generator) -> np.ndarray:
    """Checkerboards, nested squares (finder-pattern look-alikes), random dots and barcode stripes."""
    kind = int(rng.integers(0, 5))
    cell = int(rng.integers(2, 9))
    n = int(rng.integers(5, 30))
    if kind == 0:
        grid = (np.indices((n, n)).sum(axis=0) % 2).astype(bool)
    elif kind == 1:
        ring = np.maximum(*np.abs(np.indices((7, 7)) - 3))
        grid = np.isin(ring, (0, 1, 3))  # one finder pattern (1:1:3:1:1), alone
    elif kind == 2:
        grid = rng.random((n, n)) < 0.5  # random modules without any finder pattern
    elif kind == 3:
        grid = np.repeat(rng.random((1, n * 3)) < 0.5, n, axis=0)
    else:
        grid = _decoy_qr(rng)
    img = np.where(grid, 20, 230).astype(np.uint8)
    return np.kron(img, np.ones((cell, cell), np.uint8))


def _decoy_qr(rng: np.random.Generator) -> np.ndarray:
    """Three finder patterns around random modules: a detector finds it, no decoder may read it."""
    size = 21 + 4 * int(rng.integers(0, 4))
    grid = rng.random((size, size)) < 0.5
    ring = np.maximum(*np.abs(np.indices((7, 7)) - 3))
    finder = np.isin(ring, (0, 1, 3))
    for y, x in ((0, 0), (0, size - 7), (size - 7, 0)):
        grid[y:y + 7, x:x + 7] = finder
    return np.pad(grid, 2)


def _paste(scene: np.ndarray, patch: np.ndarray, rng: np.random.Generator) -> None:
    h, w = scene.shape
    ph, pw = min(patch.shape[0], h), min(patch.shape[1], w)
    y, x = int(rng.integers(0, h - ph + 1)), int(rng.integers(0, w - pw + 1))
    scene[y:y + ph, x:x + pw] = patch[:ph, :pw]

"""Labelled frame sets for benchmarks and tests: (frame, the text in it or None), seeded."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import numpy as np

from .clutter import cluttered_background
from .qrimage import qr_modules
from .scenes import Shot, render, sample_shot

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def pass_like_text(rng: np.random.Generator, length: int = 148) -> str:
    """A payload shaped like a qrgate pass: 'QG1:' and base45 characters (a version-6 code)."""
    return "QG1:" + "".join(rng.choice(list(ALPHABET), length - 4))


def labelled_frames(count: int, *, difficulty: str = "normal", width: int = 1280, height: int = 720,
                    module_px: float | None = None, seed: int = 0, backgrounds: int = 4,
                    ) -> Iterator[tuple[np.ndarray, str, Shot]]:
    """`count` frames, each with a different visitor's code, posed for the difficulty."""
    rng = np.random.default_rng(seed)
    scenes = [cluttered_background(width, height, rng) for _ in range(backgrounds)]
    for i in range(count):
        shot = sample_shot(rng, difficulty, module_px)
        text = pass_like_text(rng)
        yield render(text, shot, scenes[i % backgrounds], rng), text, shot


def ruined_code(rng: np.random.Generator) -> np.ndarray:
    """A real QR code's modules with a third of its data flipped: finder, timing and format
    patterns intact, so a detector finds it, but far past what error correction can repair."""
    modules = qr_modules(pass_like_text(rng, int(rng.integers(20, 160)))).copy()
    n = modules.shape[0]
    data = np.ones((n, n), bool)
    for y, x in ((0, 0), (0, n - 9), (n - 9, 0)):  # finder patterns, separators and format bits
        data[y:y + 9, x:x + 9] = False
    data[6, :] = data[:, 6] = False  # timing patterns
    flips = data & (rng.random((n, n)) < 0.33)
    modules[flips] = ~modules[flips]
    return modules


def code_free_frames(count: int, *, width: int = 640, height: int = 480, seed: int = 0,
                     backgrounds: int = 16) -> Iterator[np.ndarray]:
    """Frames with clutter and a camera's flaws but no readable code; every other one shows a
    ruined code on a phone or card, the worst look-alike there is."""
    rng = np.random.default_rng(seed)
    scenes = [cluttered_background(width, height, rng, busy=1.5) for _ in range(backgrounds)]
    for i in range(count):
        difficulty = ("normal", "hard")[(i // 2) % 2]
        shot = replace(sample_shot(rng, difficulty), module_px=float(rng.uniform(2.5, 5.0)))
        yield render(ruined_code(rng) if i % 2 else None, shot, scenes[i % backgrounds], rng)

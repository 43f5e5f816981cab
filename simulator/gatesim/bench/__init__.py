"""`qrgate bench`: every benchmark section of this package, merged into one JSON object.

A section is a module here with run(frames) -> dict; its keys join the result.
"""

from __future__ import annotations

import importlib
import pkgutil

NOT_SECTIONS = {"stats"}


def sections() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_SECTIONS)


def run_all(frames: int = 200, only: list[str] | None = None) -> dict:
    result: dict = {}
    for name in sections():
        if only and name not in only:
            continue
        result.update(importlib.import_module(f"{__name__}.{name}").run(frames=frames))
    return result

"""How a config field is declared: its default, its meaning and the values it may take.

Kept apart from config.py so every module that declares config tables (the gate's,
the policy's, the simulator's scenarios) can use it without import cycles.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def setting(default: Any, doc: str, *, choices: tuple = (), minimum: float | None = None):
    """A config field; build() enforces `choices` and `minimum`, describe() prints `doc`."""
    meta = {"doc": doc, "choices": choices, "minimum": minimum}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    if dataclasses.is_dataclass(default):
        return dataclasses.field(default_factory=lambda: dataclasses.replace(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)

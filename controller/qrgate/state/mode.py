"""The gate's mode: set by a guard, a dashboard command or the site, read by decide()."""

from __future__ import annotations

import enum


class GateMode(str, enum.Enum):
    NORMAL = "normal"
    LOCKDOWN = "lockdown"  # entries denied, exits allowed
    FREE_EXIT = "free_exit"  # exits open to anyone, with or without a valid pass

"""Plain data that flows along the gate's one data path."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Direction(str, enum.Enum):
    ENTRY = "entry"
    EXIT = "exit"
    AUTO = "auto"  # one camera for both ways: inside -> exit, outside -> entry


@dataclass(frozen=True)
class Scan:
    """One debounced reading of a code at a gate camera."""

    text: str
    gate_id: str
    direction: Direction
    at: float  # seconds since the epoch, from the caller's clock
    corners: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Credential:
    """What a verified code says about its holder; never a name or an ID number.

    `holder` is a pseudonym: stable for one person or pass, meaningless outside the site.
    """

    format: str
    holder: str
    kind: str = "visitor"
    pass_id: str | None = None
    key_id: str | None = None
    valid_from: float | None = None
    valid_until: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    #: formats whose holders are the same people share a scope (a CCCD scan and a PC-Covid code
    #: of one ID number): the log's pseudonym is keyed on it instead of the format
    holder_scope: str | None = None


@dataclass(frozen=True)
class Verification:
    """The result of checking a code: every check made, and the credential if all passed.

    checks maps a step name to True (passed), False (failed) or None (not reached).
    """

    format: str
    valid: bool
    reason: str
    checks: dict[str, bool | None]
    credential: Credential | None = None

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "valid": self.valid, "reason": self.reason,
                "checks": dict(self.checks)}


@dataclass(frozen=True)
class Decision:
    """What the gate does with one scan, and why (a code from qrgate.policy.reasons)."""

    granted: bool
    reason: str
    direction: Direction
    holder: str | None = None
    flags: tuple[str, ...] = ()
    #: neither a grant nor a refusal yet: the guard must confirm (policy.identity guard_confirm)
    pending: bool = False


@dataclass(frozen=True)
class Event:
    """One row of the durable log, as published on MQTT."""

    id: str
    seq: int
    at: float
    gate_id: str
    type: str
    reason: str
    direction: str | None = None
    holder: str | None = None
    format: str | None = None
    pass_id: str | None = None  # a pass's random id (no personal data); None for other credentials

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "at": self.at, "gate": self.gate_id,
                "type": self.type, "reason": self.reason, "direction": self.direction,
                "pseudonym": self.holder, "format": self.format, "pass_id": self.pass_id}

"""The entry policy as one pure function: no clock, no pins, no sockets.

decide() gets everything it needs as arguments, so the same call gives the same
answer in the gate, in the simulator and in a table-driven test.
"""

from __future__ import annotations

from dataclasses import dataclass

from .credentials.validity import window_reason
from .model import Decision, Direction, Verification

ANTI_PASSBACK_MODES = ("off", "hard")


@dataclass(frozen=True)
class Policy:
    anti_passback: str = "hard"
    occupancy_cap: int | None = None  # None: no cap


@dataclass(frozen=True)
class Presence:
    """What the ledger knows when the scan arrives."""

    holder_inside: bool
    occupancy: int


def decide(verification: Verification, direction: Direction, presence: Presence,
           policy: Policy, now: float) -> Decision:
    credential = verification.credential
    if not verification.valid or credential is None:
        return Decision(False, verification.reason, direction)
    holder = credential.holder
    expired = window_reason(credential.valid_from, credential.valid_until, now)
    if expired:
        return Decision(False, expired, direction, holder)
    if direction is Direction.EXIT:
        # leaving is never refused for want of an entry record: people must be able to get out
        reason = "granted" if presence.holder_inside else "granted_not_inside"
        return Decision(True, reason, direction, holder)
    if policy.anti_passback == "hard" and presence.holder_inside:
        return Decision(False, "already_inside", direction, holder)
    if policy.occupancy_cap is not None and presence.occupancy >= policy.occupancy_cap:
        return Decision(False, "occupancy_full", direction, holder)
    return Decision(True, "granted", direction, holder)

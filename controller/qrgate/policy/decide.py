"""The entry policy as one pure function: no clock, no pins, no sockets.

decide() gets everything it needs as arguments, so the same call gives the same
answer in the gate, in the simulator and in a table-driven test. docs/policy.md
gives the order of the checks; every reason is in qrgate.policy.reasons.
"""

from __future__ import annotations

from .health import evaluate as evaluate_health
from .identity import PENDING_REASON, judge as judge_identity
from ..credentials.validity import window_reason
from ..model import Decision, Direction, Verification
from ..state.mode import GateMode
from .rules import ANTI_PASSBACK_MODES, GuardOverride, Policy, Presence

__all__ = ["ANTI_PASSBACK_MODES", "GateMode", "GuardOverride", "Policy", "Presence", "decide",
           "ALARM_CLOCK", "REENTRY_REASONS"]

TIME_REASONS = ("expired", "not_yet_valid")
ALARM_CLOCK = "alarm:clock_unsynced"
FLAG_PASSBACK = "passback"
FLAG_OVERRIDE = "override"
#: granted entries of a holder already inside: they change no occupancy
REENTRY_REASONS = ("granted_reentry", "passback_flagged")


def decide(verification: Verification | None, direction: Direction, presence: Presence, policy: Policy,
           now: float, *, mode: GateMode | str = GateMode.NORMAL, clock_synced: bool = True,
           override: GuardOverride | None = None, listed: bool | None = None, confirmed: bool = False) -> Decision:
    """Whether the gate opens for this scan, and the reason code.

    mode: normal, lockdown or free_exit (remote command). clock_synced: False when the
    gate's clock is not known to be right; time-bound passes then fail closed on entry
    and the decision carries ALARM_CLOCK. override: a guard opens the gate whatever
    the pass says (verification may then be None). listed: whether the holder is on a site
    list (policy.identity "listed"; None: unknown). confirmed: a guard confirmed this identity
    scan (policy.identity "guard_confirm"); without it such a scan gives a pending Decision.
    """
    mode = GateMode(mode)
    credential = verification.credential if verification is not None else None
    holder = credential.holder if credential is not None else None
    if override is not None:
        return Decision(True, "guard_override", direction, holder, (FLAG_OVERRIDE,))
    if verification is None:
        return Decision(False, "empty", direction)
    if direction is Direction.EXIT:
        return _exit(verification, presence, policy, now, mode, clock_synced)
    return _entry(verification, presence, policy, now, mode, clock_synced, listed, confirmed)


def _time_bound(credential) -> bool:
    return credential is not None and (credential.valid_from is not None or credential.valid_until is not None)


def _exit(verification: Verification, presence: Presence, policy: Policy, now: float, mode: GateMode,
          clock_synced: bool) -> Decision:
    credential = verification.credential
    holder = credential.holder if credential is not None else None
    flags: tuple[str, ...] = ()
    ok = verification.valid and credential is not None
    if not clock_synced and _time_bound(credential):
        # leaving does not wait for the clock: a pass whose signature held may go out; the alarm sounds
        flags = (ALARM_CLOCK,)
        ok = ok or (credential is not None and verification.reason in TIME_REASONS)
    elif ok:
        reason = window_reason(credential.valid_from, credential.valid_until, now)
        if reason:
            ok, verification = False, Verification(verification.format, False, reason, verification.checks, credential)
    if not ok:
        if mode is GateMode.FREE_EXIT or policy.free_exit:
            return Decision(True, "free_exit", Direction.EXIT, holder, flags)
        return Decision(False, verification.reason, Direction.EXIT, holder, flags)
    # leaving is never refused for want of an entry record: people must be able to get out
    reason = "granted" if presence.holder_inside else "granted_not_inside"
    return Decision(True, reason, Direction.EXIT, holder, flags)


def _entry(verification: Verification, presence: Presence, policy: Policy, now: float, mode: GateMode,
           clock_synced: bool, listed: bool | None = None, confirmed: bool = False) -> Decision:
    credential = verification.credential
    holder = credential.holder if credential is not None else None

    def deny(reason: str, *flags: str) -> Decision:
        return Decision(False, reason, Direction.ENTRY, holder, flags)

    if not clock_synced and _time_bound(credential):
        if verification.valid or verification.reason in TIME_REASONS:
            return deny("clock_unsynced", ALARM_CLOCK)
    if not verification.valid or credential is None:
        return deny(verification.reason)
    expired = window_reason(credential.valid_from, credential.valid_until, now)
    if expired:
        return deny(expired)
    binding = _binding_reason(credential.attributes, policy)
    if binding:
        return deny(binding)
    refused, identity_grant, waits = judge_identity(credential, policy.identity, listed, confirmed)
    if refused:
        return deny(refused)
    if credential.format == "dcc":
        unfit = evaluate_health(credential, policy.health, now)
        if unfit:
            return deny(unfit)
    if (credential.kind == "health_declaration" and policy.health_declaration_hours is not None
            and credential.valid_from is not None
            and now - credential.valid_from > policy.health_declaration_hours * 3600):
        return deny("declaration_too_old")
    if mode is GateMode.LOCKDOWN:
        return deny("lockdown")
    if presence.partitioned and policy.on_partition == "deny_entry":
        return deny("site_partitioned")
    if policy.hours is not None and credential.kind not in policy.hours_exempt_kinds:
        closed = policy.hours.closed_reason(now)
        if closed:
            return deny(closed)
    passback = _passback(presence, policy, now)
    if passback is not None and not passback[0]:
        return deny(passback[1])
    limit = _daily_limit(credential.attributes.get("entries_per_day", 0), policy.entries_per_day)
    if limit and presence.entries_today >= limit:
        return deny("daily_limit_reached")
    if not presence.holder_inside:  # a re-entry adds nobody, so caps do not apply to it
        if policy.occupancy_cap is not None and presence.occupancy >= policy.occupancy_cap:
            return deny("occupancy_full")
        if policy.occupancy_cap is not None and presence.cap_room is not None and presence.cap_room <= 0:
            return deny("occupancy_full")  # the places left are held by other gates (escrow)
        if policy.zone_cap is not None and presence.zone_occupancy >= policy.zone_cap:
            return deny("zone_full")
        if policy.zone_cap is not None and presence.zone_room is not None and presence.zone_room <= 0:
            return deny("zone_full")
    if waits:  # every other rule admits: the guard's word decides
        return Decision(False, PENDING_REASON, Direction.ENTRY, holder, pending=True)
    if passback is not None:
        reason = passback[1]
        return Decision(True, reason, Direction.ENTRY, holder, (FLAG_PASSBACK,) if reason == "passback_flagged" else ())
    return Decision(True, identity_grant or "granted", Direction.ENTRY, holder)


def _binding_reason(attributes: dict, policy: Policy) -> str | None:
    site = attributes.get("site", 0)
    if site and site != policy.site_number:
        return "wrong_site"
    gates = attributes.get("gates", 0)
    if gates and not (policy.gate_number and gates >> (policy.gate_number - 1) & 1):
        return "wrong_gate"
    zones = attributes.get("zones", 0)
    if zones and not (policy.zone_number and zones >> (policy.zone_number - 1) & 1):
        return "wrong_zone"
    return None


def _passback(presence: Presence, policy: Policy, now: float) -> tuple[bool, str] | None:
    """None: no anti-passback question; else (admit?, reason)."""
    mode = policy.anti_passback
    if presence.partitioned and policy.on_partition == "soft" and mode == "hard":
        mode = "soft"  # cut off, the gate may not know of an exit at another gate: admit and flag
    if mode == "timed":
        last = presence.last_entry_at
        # a clock stepped back (now < last) is also "too soon": fail closed
        if last is not None and now - last < policy.passback_seconds:
            return False, "passback_too_soon"
        return (True, "granted_reentry") if presence.holder_inside else None
    if not presence.holder_inside:
        return None
    if mode == "hard":
        return False, "already_inside"
    if mode == "soft":
        return True, "passback_flagged"
    return True, "granted_reentry"


def _daily_limit(pass_limit: int, site_limit: int) -> int:
    limits = [n for n in (pass_limit, site_limit) if n]
    return min(limits) if limits else 0

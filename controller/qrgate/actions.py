"""What a person can ask of a gate, from any entry point: the guard's console, an MQTT
command, the CLI. Each entry point turns its input into an Action and calls
`GateApp.perform(action)`, so every opening and every change of state takes one path:
the ledger row first (with who and why), then the relay, light and screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: every action, with what `value` holds for it
ACTION_NAMES = (
    "open",          # a remote open: one pulse of the relay, a forced decision
    "override",      # a guard lets someone through once: a forced decision with a reason
    "lockdown",      # value: True / False
    "free_exit",     # value: True / False
    "ack_alarm",     # value: an alarm name, or "all"
    "reset_counts",  # today's counts start again from zero
    "mark_left",     # value: a pass id (12 hex digits) or a holder pseudonym; a reason is required
    "confirm",       # value: a pending decision's id; allow: admit or refuse
)
NEEDS_REASON = frozenset({"override", "mark_left"})
SOURCES = ("console", "mqtt", "cli")
_BY = re.compile(r"^[A-Za-z0-9_.:@-]{1,48}$")  # an account or role id, never a person's name


@dataclass(frozen=True)
class Action:
    name: str
    by: str
    why: str = ""
    value: object = None
    allow: bool = True
    direction: str = "entry"
    request_id: str = ""
    source: str = "console"

    def problem(self) -> str | None:
        """A reason code when the action is malformed, else None."""
        if self.name not in ACTION_NAMES:
            return "unknown_action"
        if not isinstance(self.by, str) or not _BY.match(self.by):
            return "bad_by"
        if self.name in NEEDS_REASON and not (isinstance(self.why, str) and self.why.strip()):
            return "reason_required"
        if not isinstance(self.why, str) or len(self.why) > 200:
            return "bad_reason"
        if self.direction not in ("entry", "exit"):
            return "bad_direction"
        if self.name in ("lockdown", "free_exit") and not isinstance(self.value, bool):
            return "bad_value"
        return None

    def detail(self) -> dict[str, str]:
        """Who asked, why and through what: kept in the ledger, never published."""
        detail = {"by": self.by, "source": self.source}
        if self.why:
            detail["why"] = self.why
        if self.request_id:
            detail["request_id"] = self.request_id
        return detail


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    reason: str  # "done", or a code saying why not ("lockdown", "not_latched", "unknown_pass", ...)
    event_id: str | None = None


DONE = ActionResult(True, "done")

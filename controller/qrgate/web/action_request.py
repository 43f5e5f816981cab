"""A console or CLI request turned into the gate's one Action, or one clear line saying what is wrong."""

from __future__ import annotations

import re

from ..errors import WebError

ACTIONS = ("open", "override", "lockdown", "free_exit", "ack_alarm", "reset_counts", "mark_left", "confirm")
NEEDS_WHY = frozenset({"override", "mark_left"})
ON_OFF = frozenset({"lockdown", "free_exit"})
WHY_MAX = 200
PASS_ID = re.compile(r"^[0-9a-f]{12}$")


def action_from(body: object, *, by: str, source: str, why_required: bool):
    """Checks the fields a pair of hands can get wrong; the gate checks the rest (a mode, an alarm)."""
    from ..actions import Action  # the gate's one action path

    if not isinstance(body, dict):
        raise WebError("the request must be a JSON object")
    name = body.get("name")
    if name not in ACTIONS:
        raise WebError(f"action {name!r} is not one of {', '.join(ACTIONS)}")
    why = str(body.get("why") or "").strip()
    if len(why) > WHY_MAX:
        raise WebError(f"why: at most {WHY_MAX} characters")
    if not why and (why_required or name in NEEDS_WHY):
        raise WebError(f"{name}: give a reason (why)")
    value = body.get("value")
    if name in ON_OFF:
        if not isinstance(value, bool):
            raise WebError(f"{name}: value must be true or false")
    elif name == "ack_alarm":
        if not isinstance(value, str) or not value.strip():
            raise WebError("ack_alarm: value must name an alarm, or all")
        value = value.strip()
    elif name == "mark_left":
        value = str(value or "").strip().lower()
        if not PASS_ID.match(value):
            raise WebError("mark_left: value must be a pass id, 12 hex digits")
    elif name == "confirm":
        if not isinstance(value, str) or not value.strip():
            raise WebError("confirm: value must be a pending id")
        value = value.strip()
    else:
        value = None
    allow = body.get("allow", True)
    if not isinstance(allow, bool):
        raise WebError("allow must be true or false")
    direction = body.get("direction", "entry")
    if direction not in ("entry", "exit"):
        raise WebError("direction must be entry or exit")
    request_id = str(body.get("request_id") or "")[:64]
    return Action(name=name, by=by, why=why, value=value, allow=allow, direction=direction,
                  request_id=request_id, source=source)

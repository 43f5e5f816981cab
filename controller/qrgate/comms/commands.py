"""Commands from dashboards: parse and validate, nothing else (pure; `now` is an argument).

A command arrives on `<gate base>/cmd/<name>`. Its payload is either a JSON object

    {"request_id": "r-42", "by": "admin", "value": true, "at": 1700000000.0, "sig": "<hex>"}

`override` (a guard lets someone through once) and `mark_left` (a guard records that a
pass holder left unseen) also take "why", the reason kept in the log; `open` and
`override` may take "direction" ("entry" or "exit").

or, for Home Assistant's fixed button, switch and lock payloads, a bare word ("PRESS", "ON",
"OFF", "OPEN", "UNLOCK", or an alarm name for ack_alarm); a bare word gets a request id made
from the time. The lock's "LOCK" is refused: the door locks by itself.
Anything else is refused with a reason code, so the result message says what was wrong.

Authorisation has two layers: the broker's ACL (only the admin identity may publish on
cmd topics; hardware/mosquitto/acl) and, here, the gate's own list of allowed commands
and, when a command secret is configured, an HMAC-SHA256 signature over every field of
the command (sign()). Numbers must be finite: NaN or Infinity never reach a time check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass, field

from ..state.alarms import ALARM_NAMES
from .topics import COMMAND_NAMES

MAX_PAYLOAD = 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_BY = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")  # a role or account id, never a person's name
_SWITCHES = ("lockdown", "free_exit")
_KEYS = {"request_id", "by", "value", "at", "sig", "why", "direction"}
_HOLDER = re.compile(r"^[0-9a-f]{12,64}$")  # a pass id or a holder pseudonym, never a name

REFUSALS = {
    "unknown_command": "no such command",
    "too_large": f"payload longer than {MAX_PAYLOAD} bytes",
    "malformed": "payload is neither a JSON object nor a known bare word",
    "unknown_key": "payload has a key commands do not take",
    "bad_request_id": "request_id must be 1-64 of A-Z a-z 0-9 _ . : -",
    "bad_by": "by must be 1-32 of A-Z a-z 0-9 _ . -",
    "bad_value": "value is wrong for this command",
    "bad_time": "at must be seconds since the epoch",
    "bad_reason": "why must be text of at most 200 characters",
    "bad_direction": "direction must be entry or exit",
    "bad_number": "numbers must be finite (no NaN or Infinity)",
    "stale": "command is older than the allowed age",
    "from_future": "command is dated ahead of the gate's clock",
    "retained": "a retained command is never acted on",
    "not_allowed": "this gate does not take this command",
    "unauthorised": "missing or wrong signature",
    "locks_itself": "the door locks by itself after each opening; there is nothing to lock",
}


@dataclass(frozen=True)
class CommandPolicy:
    allowed: frozenset[str] = frozenset(COMMAND_NAMES)
    secret: bytes | None = None  # when set, every command must be signed (JSON with at and sig)
    max_age: float = 30.0  # seconds; only checked when the command carries `at`
    max_skew: float = 5.0


@dataclass(frozen=True)
class Command:
    name: str
    request_id: str
    by: str
    value: object = None  # bool for lockdown/free_exit, an alarm name (or "all") for ack_alarm, a pass id for mark_left
    why: str = ""
    direction: str = "entry"


@dataclass(frozen=True)
class Refusal:
    reason: str
    request_id: str | None = None
    command: str | None = None
    detail: str = field(default="")

    def __post_init__(self):
        if not self.detail:
            object.__setattr__(self, "detail", REFUSALS[self.reason])


def sign(secret: bytes, gate: str, name: str, body: dict) -> str:
    """HMAC-SHA256 over the gate, the command and every field of the body but `sig`; a sender
    computes the same (JSON, sorted keys, no spaces), so no field can be changed or added."""
    fields = {k: v for k, v in body.items() if k != "sig"}
    message = json.dumps([gate, name, fields], separators=(",", ":"), sort_keys=True, allow_nan=False)
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def parse(name: str | None, payload: bytes, *, gate: str, retained: bool, now: float,
          policy: CommandPolicy = CommandPolicy()) -> Command | Refusal:
    """A valid Command, or a Refusal naming what was wrong (with the request id if one was readable)."""
    if len(payload) > MAX_PAYLOAD:
        return Refusal("too_large", command=name)
    text = payload.decode("utf-8", "replace").strip()
    try:
        body, non_finite = _json_object(text), False
    except _NonFinite:
        body, non_finite = None, True
    request_id = body.get("request_id") if body is not None else None
    if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
        request_id = None
    if name not in COMMAND_NAMES:
        return Refusal("unknown_command", request_id, name)
    if non_finite:
        return Refusal("bad_number", command=name)
    if body is None:
        if name == "open" and text.upper() == "LOCK":  # Home Assistant's lock entity asks to lock
            return Refusal("locks_itself", command=name)
        found = _bare_word(name, text, now)
        if found is None:
            return Refusal("malformed", command=name)
        body, signed = found, False
        request_id = body["request_id"]
    else:
        signed = "sig" in body
    if request_id is None:
        return Refusal("bad_request_id", command=name)
    refuse = lambda reason: Refusal(reason, request_id, name)  # noqa: E731
    if retained:
        return refuse("retained")
    if set(body) - _KEYS:
        return refuse("unknown_key")
    by = body.get("by", "unknown")
    if not isinstance(by, str) or not _BY.match(by):
        return refuse("bad_by")
    value = body.get("value")
    if not _value_ok(name, value):
        return refuse("bad_value")
    why = body.get("why", "")
    if not isinstance(why, str) or len(why) > 200:
        return refuse("bad_reason")
    direction = body.get("direction", "entry")
    if direction not in ("entry", "exit"):
        return refuse("bad_direction")
    at = body.get("at")
    if at is not None:
        at = _finite_time(at)
        if at is None:
            return refuse("bad_time")
        if now - at > policy.max_age:
            return refuse("stale")
        if at - now > policy.max_skew:
            return refuse("from_future")
    if name not in policy.allowed:
        return refuse("not_allowed")
    if policy.secret is not None:
        if not signed or at is None or not isinstance(body.get("sig"), str):
            return refuse("unauthorised")
        expected = sign(policy.secret, gate, name, body)
        # as bytes: compare_digest refuses str with non-ASCII characters (TypeError)
        if not hmac.compare_digest(expected.encode(), body["sig"].encode("utf-8", "surrogatepass")):
            return refuse("unauthorised")
    return Command(name, request_id, by, value, why, direction)


class _NonFinite(ValueError):
    pass


def _refuse_constant(word: str):
    raise _NonFinite(word)  # Python's json reads NaN, Infinity and -Infinity unless told not to


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as infinity
        raise _NonFinite(text)
    return value


def _json_object(text: str) -> dict | None:
    """The payload as a JSON object, None if it is not one; _NonFinite for NaN or an infinity."""
    if not text.startswith("{"):
        return None
    try:
        body = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite:
        raise
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _finite_time(at: object) -> float | None:
    """Seconds since the epoch as a finite float, or None (a bool, a string, a huge integer)."""
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        return None
    try:
        at = float(at)
    except OverflowError:
        return None
    return at if math.isfinite(at) else None


def _bare_word(name: str, text: str, now: float) -> dict | None:
    """Home Assistant's fixed payloads, turned into the JSON form."""
    word = text.upper()
    if (name, word) in (("open", "PRESS"), ("open", "OPEN"), ("open", "UNLOCK"), ("reset_counts", "PRESS")):
        value = None  # a button press, or the lock entity's open / unlock: one pulse
    elif name in _SWITCHES and word in ("ON", "OFF"):
        value = word == "ON"
    elif name == "ack_alarm" and text in ALARM_NAMES + ("all",):
        value = text
    else:
        return None
    return {"request_id": f"auto-{int(now * 1000)}", "by": "dashboard", "value": value}


def _value_ok(name: str, value: object) -> bool:
    if name in _SWITCHES:
        return isinstance(value, bool)
    if name == "ack_alarm":
        return value in ALARM_NAMES + ("all",)
    if name == "mark_left":
        return isinstance(value, str) and bool(_HOLDER.match(value))
    return value is None

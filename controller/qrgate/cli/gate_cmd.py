"""qrgate gate ACTION: act on the running gate, through its local API and so through the same
GateApp.perform as the guard's console. The gate must run with [web] enabled."""

from __future__ import annotations

import argparse
import getpass
import json
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import WebError
from .output import emit

TIMEOUT = 10.0


def add_parser(sub) -> None:
    gate = sub.add_parser("gate", help="act on the running gate (open, override, lockdown, ...)")
    gate.add_argument("--state-dir", default="/var/lib/qrgate",
                      help="the gate's state folder, holding gate-api.json (default /var/lib/qrgate)")
    gate.add_argument("--json", action="store_true")
    acts = gate.add_subparsers(dest="gate_command", required=True)

    def action(name: str, help_text: str, why_required: bool = False):
        p = acts.add_parser(name, help=help_text)
        p.add_argument("--why", required=why_required, default="", help="the reason, logged with the action")
        # SUPPRESS: a --json given before the action is kept when none follows it
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
        return p

    opened = action("open", "release the lock once (a remote open)")
    opened.add_argument("--direction", choices=("entry", "exit"), default="entry")
    override = action("override", "grant once, a forced decision logged with who and why", why_required=True)
    override.add_argument("--direction", choices=("entry", "exit"), default="entry")
    for name in ("lockdown", "free-exit"):
        p = action(name, f"turn {name} on or off")
        p.add_argument("state", choices=("on", "off"))
    ack = action("ack", "acknowledge a latched alarm")
    ack.add_argument("alarm", help="the alarm's name, or all")
    action("reset-counts", "start today's counts again")
    left = action("mark-left", "record that the holder of a pass has left", why_required=True)
    left.add_argument("pass_id", help="the pass id, 12 hex digits")
    confirm = action("confirm", "admit or refuse a credential waiting for a guard")
    confirm.add_argument("pending_id")
    answer = confirm.add_mutually_exclusive_group(required=True)
    answer.add_argument("--allow", action="store_true")
    answer.add_argument("--deny", action="store_true")
    status = acts.add_parser("status", help="the gate's mode, door, alarms and occupancy")
    status.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    gate.set_defaults(handler=run)


def _body(args) -> dict:
    command = args.gate_command
    body: dict = {"user": getpass.getuser(), "why": args.why}
    if command in ("open", "override"):
        body.update(name=command, direction=args.direction)
    elif command in ("lockdown", "free-exit"):
        body.update(name=command.replace("-", "_"), value=args.state == "on")
    elif command == "ack":
        body.update(name="ack_alarm", value=args.alarm)
    elif command == "reset-counts":
        body.update(name="reset_counts")
    elif command == "mark-left":
        body.update(name="mark_left", value=args.pass_id)
    elif command == "confirm":
        body.update(name="confirm", value=args.pending_id, allow=bool(args.allow))
    return body


def _call(api: dict, path: str, body: dict | None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api["url"] + path, data=data, method="POST" if body is not None else "GET",
                                     headers={"Authorization": f"Bearer {api['token']}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read())
        except ValueError:
            raise WebError(f"the gate at {api['url']} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebError(f"the gate at {api['url']} does not answer ({reason}); is it running?") from None
    except ValueError:
        raise WebError(f"the gate at {api['url']} gave an answer that is not JSON") from None


def run(args) -> int:
    from ..web.config import API_FILE_NAME
    from ..web.local_api import read_api_file

    api = read_api_file(Path(args.state_dir) / API_FILE_NAME)
    if args.gate_command == "status":
        _code, answer = _call(api, "/api/status", None)
        if "error" in answer:
            raise WebError(answer["error"])
        state = answer.get("state", {})
        emit(args, answer, f"mode {state.get('mode')}, door {state.get('door')}, camera {state.get('camera')}, "
                           f"I/O {state.get('io_link')}, inside {answer.get('occupancy')}, alarms: "
                           f"{', '.join(state.get('alarms') or []) or 'none'}")
        return 0
    _code, answer = _call(api, "/api/action", _body(args))
    if "error" in answer:
        raise WebError(answer["error"])
    text = answer.get("text", {}).get("en", answer.get("reason"))
    emit(args, answer, f"{'done' if answer['ok'] else 'refused'}: {answer['reason']}"
                       + (f" ({text})" if text and text != answer["reason"] else "")
                       + (f", event {answer['event_id']}" if answer.get("event_id") else ""))
    return 0 if answer["ok"] else 1

"""The local action API that `qrgate gate ...` uses, so the CLI and the console share one path.

The gate writes its address and a fresh random token to `gate-api.json` in its state folder,
readable only by the gate's user; a request must come from the loopback interface and carry the
token. The acting person is named by the CLI (`cli:<user>`); the token proves only that they may
act as the gate's user on this machine.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import WebError
from .action_request import action_from
from .console import action_answer, json_body, refuse

log = logging.getLogger(__name__)

USER_MAX = 32


def write_api_file(path: Path, url: str, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"url": url, "token": token, "pid": os.getpid()}, fh)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WebError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.replace(tmp, path)


def read_api_file(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise WebError(f"{path} does not exist: is the gate running, with [web] enabled, and is this "
                       "its state folder?") from None
    except PermissionError:
        raise WebError(f"{path}: permission denied (run as the gate's user)") from None
    except (OSError, ValueError) as exc:
        raise WebError(f"{path}: cannot read ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("url"), str) or not isinstance(doc.get("token"), str):
        raise WebError(f"{path}: not a qrgate gate-api file")
    return doc


class LocalApi:
    def __init__(self, app, hub):
        self.app, self.hub = app, hub
        self.token = secrets.token_urlsafe(32)

    def _refusal(self, request: Request) -> Response | None:
        host = request.client.host if request.client else ""
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = False
        if not local:
            return refuse(403, "the gate's local API answers only on this machine")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            return refuse(401, "wrong or missing token (read it from gate-api.json)")
        return None

    async def action(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal:
            return refusal
        try:
            body = await json_body(request)
            user = str(body.get("user") or "").strip() if isinstance(body, dict) else ""
            if not user or len(user) > USER_MAX or not user.isprintable():
                raise WebError(f"user: the acting person's login name, 1-{USER_MAX} characters")
            action = action_from(body, by=f"cli:{user}", source="cli", why_required=False)
        except WebError as exc:
            return refuse(400, str(exc))
        result = await run_in_threadpool(self.app.perform, action)
        log.info("cli:%s: %s -> %s", user, action.name, result.reason)
        return JSONResponse(action_answer(result))

    async def status(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal:
            return refusal
        message = self.hub.status_message()
        message.pop("type", None)
        return JSONResponse(message)

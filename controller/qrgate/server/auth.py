"""Users, roles, sessions, CSRF and the login rate limit of the site server.

Roles: `manager` reads reports and the trace log; `tracer` traces contacts and re-identifies;
`admin` manages users and reads everything but names. Passwords are argon2 hashes
(argon2-cffi, as the gate's console). A session is a random cookie whose sha256 is kept in the
database, with a CSRF token that every action (POST, DELETE) must send back, as the header
`X-CSRF-Token` or a form field `csrf`. Sessions end after `auth.session_minutes`, or
`auth.idle_minutes` unused.

For route code (the API, the pages, the declaration form):
    user: User = Depends(require("manager", "admin"))      # a read: 401 without login, 403 role
    user: User = Depends(require_action("tracer"))          # an action: also checks the CSRF token
    user = current_user(request)                            # the same without role check
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import HTTPException, Request
from sqlalchemy import delete, select, update

from . import ServerError
from .config import AuthConfig
from .db import Database, sessions, users

log = logging.getLogger(__name__)

ROLES = ("manager", "tracer", "admin")
COOKIE = "qrgate_site"
CSRF_HEADER = "X-CSRF-Token"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not anyone's password")  # a wrong name costs as long as a wrong password


@dataclass(frozen=True)
class User:
    name: str
    role: str
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_user(name: str, role: str) -> None:
    if not NAME_PATTERN.match(name or ""):
        raise ServerError(f"user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise ServerError(f"role {role!r}: one of {', '.join(ROLES)}")


class RateLimit:
    """At most `attempts` failures per key within `window` seconds (in this process)."""

    def __init__(self, attempts: int, window: float):
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, key: str, now: float) -> bool:
        with self._lock:
            q = self._failures[key]
            while q and q[0] <= now - self.window:
                q.popleft()
            return len(q) >= self.attempts

    def fail(self, key: str, now: float) -> None:
        with self._lock:
            self._failures[key].append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class Auth:
    """Users and sessions in the site database."""

    def __init__(self, db: Database, cfg: AuthConfig):
        self.db, self.cfg = db, cfg
        self.limit = RateLimit(cfg.login_attempts, cfg.login_window_seconds)

    def add_user(self, name: str, role: str, password: str, now: float) -> bool:
        """Add a user or set a new role and password; True when the user is new."""
        check_user(name, role)
        if len(password) < MIN_PASSWORD:
            raise ServerError(f"the password must have at least {MIN_PASSWORD} characters")
        row = {"role": role, "password_hash": _hasher.hash(password)}
        with self.db.engine.begin() as conn:
            known = conn.execute(select(users.c.name).where(users.c.name == name)).first()
            if known:
                conn.execute(update(users).where(users.c.name == name).values(**row))
                conn.execute(delete(sessions).where(sessions.c.name == name))  # a new password ends old logins
            else:
                conn.execute(users.insert().values(name=name, created_at=now, **row))
        return not known

    def remove_user(self, name: str) -> bool:
        with self.db.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.name == name))
            return conn.execute(delete(users).where(users.c.name == name)).rowcount > 0

    def list_users(self) -> list[dict]:
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(users.c.name, users.c.role, users.c.created_at).order_by(users.c.name))]

    def login(self, name: str, password: str, address: str, now: float) -> tuple[str, User] | None:
        """A new session (cookie token, user) for a right password; None otherwise.
        Raises ServerError when the name and address are over the rate limit."""
        key = f"{name}|{address}"
        if self.limit.blocked(key, now):
            raise ServerError("too many failed logins; wait and try again")
        if not NAME_PATTERN.match(name or ""):  # no such user can exist; nor does a NUL reach PostgreSQL
            row = None
        else:
            with self.db.engine.connect() as conn:
                row = conn.execute(select(users).where(users.c.name == name)).first()
        try:
            ok = _hasher.verify(row.password_hash if row else _DUMMY_HASH, password) and row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            self.limit.fail(key, now)
            log.warning("failed login for %s from %s", name if row else "an unknown name", address)
            return None
        self.limit.clear(key)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        with self.db.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(sessions.insert().values(
                token_hash=_digest(token), name=row.name, role=row.role, csrf=csrf, created_at=now,
                last_seen=now, expires_at=now + self.cfg.session_minutes * 60))
        log.info("login: %s (%s)", row.name, row.role)
        return token, User(row.name, row.role, csrf)

    def session(self, token: str | None, now: float) -> User | None:
        """The user of a live session; touches it (idle timeout); None when absent or expired."""
        if not token:
            return None
        digest = _digest(token)
        with self.db.engine.begin() as conn:
            row = conn.execute(select(sessions).where(sessions.c.token_hash == digest)).first()
            if row is None:
                return None
            if row.expires_at <= now or row.last_seen + self.cfg.idle_minutes * 60 <= now:
                conn.execute(delete(sessions).where(sessions.c.token_hash == digest))
                return None
            if now - row.last_seen > 30:  # one write per half minute, not per request
                conn.execute(update(sessions).where(sessions.c.token_hash == digest).values(last_seen=now))
        return User(row.name, row.role, row.csrf)

    def logout(self, token: str | None) -> None:
        if token:
            with self.db.engine.begin() as conn:
                conn.execute(delete(sessions).where(sessions.c.token_hash == _digest(token)))


def current_user(request: Request) -> User:
    """The logged-in user of this request (FastAPI dependency); 401 without a live session."""
    user = request.app.state.auth.session(request.cookies.get(COOKIE), time.time())
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    return user


def require(*roles: str):
    """A dependency: the current user, who must have one of `roles` (403 otherwise)."""
    def dependency(request: Request) -> User:
        user = current_user(request)
        if user.role not in roles:
            raise HTTPException(status_code=403, detail=f"needs the role {' or '.join(roles)}")
        return user
    return dependency


async def csrf_token_of(request: Request) -> str | None:
    """The CSRF token a request sent: the header, or a form field `csrf` of a form post."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf")
    return sent if isinstance(sent, str) else None


def require_action(*roles: str):
    """A dependency for actions: role as require(), and the session's CSRF token sent back."""
    check_role = require(*roles)

    async def dependency(request: Request) -> User:
        user = check_role(request)
        sent = await csrf_token_of(request)
        if not sent or not secrets.compare_digest(sent, user.csrf):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
        return user
    return dependency

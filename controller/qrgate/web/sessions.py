"""Console sessions and the login rate limit: pure, each call takes `now`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


@dataclass
class Session:
    guard: str
    csrf: str
    expires: float


class Sessions:
    """Random session ids held in memory; a session ends `minutes` after its last use (a gate
    restart ends them all, which is what a guard expects of a kiosk)."""

    def __init__(self, minutes: float):
        self.seconds = minutes * 60
        self._by_id: dict[str, Session] = {}

    def open(self, guard: str, now: float) -> tuple[str, Session]:
        self._forget_expired(now)
        sid = secrets.token_urlsafe(32)
        session = Session(guard, secrets.token_urlsafe(32), now + self.seconds)
        self._by_id[sid] = session
        return sid, session

    def get(self, sid: str | None, now: float) -> Session | None:
        session = self._by_id.get(sid or "")
        if session is None:
            return None
        if now >= session.expires:
            del self._by_id[sid]
            return None
        session.expires = now + self.seconds
        return session

    def close(self, sid: str | None) -> None:
        self._by_id.pop(sid or "", None)

    def _forget_expired(self, now: float) -> None:
        for sid in [s for s, session in self._by_id.items() if now >= session.expires]:
            del self._by_id[sid]


@dataclass
class LoginLimiter:
    """At most `attempts` failed logins per key (a client address, a guard name) within `window`
    seconds; then that key waits until the oldest failure leaves the window."""

    attempts: int = 5
    window: float = 300.0
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def wait_seconds(self, keys: list[str], now: float) -> float:
        wait = 0.0
        for key in keys:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            self._failures[key] = recent
            if not recent:
                del self._failures[key]
            if len(recent) >= self.attempts:
                wait = max(wait, recent[0] + self.window - now)
        return wait

    def failed(self, keys: list[str], now: float) -> None:
        for key in keys:
            self._failures.setdefault(key, []).append(now)

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)

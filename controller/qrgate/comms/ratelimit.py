"""How much a flood of bad commands may make the gate write: a token bucket (pure; `now` is an argument).

Every refused command costs a ledger row, a log line and a result message. The bucket lets a
burst through, then one a second; what it drops is counted, and the count is reported once
per `summary_seconds` as a single log line and a single ledger row. The gate cannot tell who
published a message (MQTT does not say), so the bucket is the gate's command topic's, shared by
every sender: the broker's ACL already lets only the admin identity publish there.
"""

from __future__ import annotations


class TokenBucket:
    def __init__(self, *, rate: float = 1.0, burst: float = 20.0):
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at: float | None = None

    def take(self, now: float) -> bool:
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class RefusalLimiter:
    """A bucket for refused commands and the count of those it dropped since the last summary."""

    def __init__(self, *, rate: float = 1.0, burst: float = 20.0, summary_seconds: float = 60.0):
        self.bucket = TokenBucket(rate=rate, burst=burst)
        self.summary_seconds = summary_seconds
        self.dropped = 0
        self._first_drop: float | None = None

    def allow(self, now: float) -> bool:
        if self.bucket.take(now):
            return True
        if not self.dropped:
            self._first_drop = now
        self.dropped += 1
        return False

    def summary(self, now: float) -> tuple[int, float] | None:
        """(commands dropped, over how many seconds) once summary_seconds have passed since the
        first drop, else None; the count then starts again."""
        if not self.dropped or now - self._first_drop < self.summary_seconds:
            return None
        report = (self.dropped, now - self._first_drop)
        self.dropped, self._first_drop = 0, None
        return report

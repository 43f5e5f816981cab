"""A gate's own events, read back from its ledger for whoever missed them (the site server).

The events topic is fed from the outbox, which forgets an event once the broker has it; a
subscriber whose broker session was lost (a new client id, a broker restarted without
persistence) never gets what was published while it was away. It asks the gate instead:

  `<gate>/history/req/<requester>`  {"after": N, "have": K, "upto": M, "limit": L}
  `<gate>/history/ans/<requester>`  {"after": N, "through": T, "more": bool, "oldest": O,
                                     "newest": S, "events": [...]}

The answer holds the gate's own events (every type, as its events topic carries them) with
seq > N, oldest first, at most a page; `through` is the seq up to which it covers the log
(merged peers' events hold seqs too, so own seqs have gaps), `more` says a next page waits,
`oldest` is the oldest own seq still held (older ones were purged past retention and never
come back), `newest` the log's newest seq. "have"/"upto" (optional, together) say the requester
already holds K of the gate's events with N < seq <= M: when the gate counts as many, it
answers from M on, so a requester that missed nothing gets an empty page.

Bounded: at most a page (PAGE events) per answer; one request waiting per requester (a newer
one replaces it), at most MAX_REQUESTERS requesters waiting, and PAGES_PER_SECOND answers a
second per requester. A malformed request gets one log line (those past a burst are counted
and summed up once a minute) and no answer. A reporter extension (comms.mqtt.Extension):
every gate has it, whether or not site sync is on.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Callable

from ..errors import LedgerError
from ..ledger import Ledger
from .ratelimit import RefusalLimiter, TokenBucket
from .topics import GateTopics, check_level

log = logging.getLogger(__name__)

PAGE = 500  # events per answer, at most (~150 kB)
MAX_REQUESTERS = 16  # requesters with a request waiting at once
PAGES_PER_SECOND = 10.0  # answers a second per requester, after a burst of as many
MAX_REQUEST_BYTES = 1024
MAX_SEQ = 2**63 - 1


class BadRequest(ValueError):
    """A history request the gate does not answer; says what is wrong, never echoes the payload."""


def parse_request(payload: bytes, retained: bool) -> dict:
    """A request's fields, checked: after, and have/upto (both or neither), and limit (1..PAGE)."""
    if retained:
        raise BadRequest("retained (a request is answered once, never replayed)")
    if len(payload) > MAX_REQUEST_BYTES:
        raise BadRequest(f"{len(payload)} bytes, more than {MAX_REQUEST_BYTES}")
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("not a JSON object")

    def seq(name: str, low: int = 0, high: int = MAX_SEQ) -> int | None:
        value = body.get(name)
        if value is not None and (type(value) is not int or not low <= value <= high):
            raise BadRequest(f"{name} must be a whole number from {low} to {high}")
        return value

    after, have, upto, limit = seq("after"), seq("have"), seq("upto"), seq("limit", 1, PAGE)
    if after is None:
        raise BadRequest("no after")
    if (have is None) != (upto is None):
        raise BadRequest("have and upto go together")
    if upto is not None and upto < after:
        raise BadRequest("upto is below after")
    return {"after": after, "have": have, "upto": upto, "limit": limit or PAGE}


def answer(ledger: Ledger, gate: str, request: dict) -> dict:
    """The page of `gate`'s own events that answers a parsed request."""
    after, upto = request["after"], request["upto"]
    start = after
    if upto is not None and upto > after and ledger.count_own(gate, after, upto) == request["have"]:
        start = upto  # the requester holds all of them: skip to what it cannot have
    events, newest, oldest = ledger.own_events(gate, start, request["limit"])
    more = len(events) == request["limit"]
    through = events[-1]["seq"] if more else max(start, newest)
    return {"after": after, "through": through, "more": more, "oldest": oldest, "newest": newest, "events": events}


class HistoryResponder:
    """Answers history requests from the gate's ledger (a comms.mqtt.Extension)."""

    def __init__(self, ledger: Ledger, topics: GateTopics, clock: Callable[[], float] = time.monotonic):
        self.ledger, self.topics, self.clock = ledger, topics, clock
        self.waiting: dict[str, dict] = {}  # requester -> its newest request
        self._buckets: dict[str, TokenBucket] = {}
        self.refusals = RefusalLimiter(summary_seconds=60.0)
        self.answered = 0

    def subscriptions(self) -> list[tuple[str, int]]:
        return [(self.topics.history_requests, 1)]

    def connected(self, publish: Callable[..., bool]) -> None:
        pass

    def disconnected(self) -> None:
        self.waiting.clear()  # the requester asks again when no answer comes

    def handle(self, topic: str, payload: bytes, retained: bool, publish: Callable[..., bool]) -> bool:
        requester = self.topics.history_requester(topic)
        if requester is None:
            return False
        try:
            check_level("requester", requester)
            request = parse_request(payload, retained)
            if requester not in self.waiting and len(self.waiting) >= MAX_REQUESTERS:
                raise BadRequest(f"{MAX_REQUESTERS} requesters are already waiting")
        except (BadRequest, ValueError) as exc:
            self._refuse(topic, str(exc))
            return True
        self.waiting[requester] = request
        return True

    def pump(self, publish: Callable[..., bool]) -> None:
        now = self.clock()
        summary = self.refusals.summary(now)
        if summary is not None:
            log.warning("ignored %d more malformed history requests in %.0f s", *summary)
        for requester, request in list(self.waiting.items()):
            if len(self._buckets) > 4 * MAX_REQUESTERS:
                self._buckets.clear()  # forget requesters long gone; each starts with a full bucket
            bucket = self._buckets.setdefault(requester, TokenBucket(rate=PAGES_PER_SECOND, burst=PAGES_PER_SECOND))
            if not bucket.take(now):
                continue  # it waits for the next pump (at least once a second)
            try:
                body = answer(self.ledger, self.topics.gate, request)
            except LedgerError as exc:
                del self.waiting[requester]  # unanswered: the requester asks again
                log.warning("cannot answer a history request from %s: %s", requester, exc)
                continue
            if not publish(self.topics.history_answer(requester), json.dumps(body, separators=(",", ":"))):
                return  # not connected: the requests wait (and are dropped on disconnect)
            del self.waiting[requester]
            self.answered += 1

    def _refuse(self, topic: str, why: str) -> None:
        if self.refusals.allow(self.clock()):
            log.warning("ignored a history request on %s: %s", topic[:200], why)

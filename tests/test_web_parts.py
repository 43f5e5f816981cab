"""The web server's pure parts: sessions, the login limit, the feed that never blocks, what pages show."""

from __future__ import annotations

import asyncio
import threading
import time

from qrgate.model import Credential, Decision, Direction, Event, Verification
from qrgate.web.feed import Feed
from qrgate.web.sessions import LoginLimiter, Sessions
from qrgate.web.views import console_row, credential_text, screen_message


def test_a_session_ends_after_its_minutes_without_use():
    sessions = Sessions(minutes=10)
    sid, session = sessions.open("an", now=1000.0)
    assert sessions.get(sid, 1000.0 + 599).guard == "an"  # use extends it
    assert sessions.get(sid, 1000.0 + 599 + 599) is session
    assert sessions.get(sid, 1000.0 + 599 + 599 + 600) is None
    assert sessions.get(sid, 1000.0) is None  # gone for good
    assert sessions.get("made-up", 1000.0) is None


def test_the_login_limit_counts_failures_per_key_within_the_window():
    limiter = LoginLimiter(attempts=3, window=60)
    keys = ["addr:127.0.0.1", "name:an"]
    for t in (0, 1, 2):
        assert limiter.wait_seconds(keys, t) == 0
        limiter.failed(keys, t)
    assert limiter.wait_seconds(keys, 3) == 57
    assert limiter.wait_seconds(["addr:127.0.0.1", "name:binh"], 3) == 57  # same address, other name
    assert limiter.wait_seconds(["addr:10.0.0.9", "name:binh"], 3) == 0
    assert limiter.wait_seconds(keys, 60.5) == 0  # the first failure left the window


def test_the_feed_drops_the_oldest_and_never_blocks_the_gate():
    feed = Feed(maxlen=3)
    for i in range(5):
        feed.put(i)
    assert feed.drain() == [2, 3, 4] and feed.dropped == 2


def test_the_feed_wakes_the_loop_from_another_thread():
    feed = Feed()

    async def main():
        feed.bind(asyncio.get_running_loop())
        threading.Timer(0.05, feed.put, args=("x",)).start()
        return await asyncio.wait_for(feed.get(), 2)

    started = time.monotonic()
    results = []  # a loop of its own, on a thread: the browser tests' Playwright may own this thread's loop
    runner = threading.Thread(target=lambda: results.append(asyncio.run(main())))
    runner.start()
    runner.join(5)
    assert results == [["x"]]
    assert time.monotonic() - started < 1


def _dcc(attributes):
    credential = Credential(format="dcc", holder="f" * 32, kind="vaccination", attributes=attributes)
    return Verification("dcc", True, "ok", {}, credential)


def test_credential_text_says_what_kind_of_credential_without_personal_data():
    text = credential_text(_dcc({"dn": 3, "sd": 3, "dt": "2022-01-10", "iss": "VN"}))
    assert text["en"] == "Vaccine certificate (VN): vaccinated, dose 3 of 3, last 2022-01-10"
    assert text["vi"] == "Chứng nhận tiêm chủng (VN): đã tiêm, mũi 3/3, mũi cuối 2022-01-10"
    native = Verification("qrgate-pass", True, "ok", {}, Credential("qrgate-pass", "ab" * 8, "staff",
                                                                     pass_id="0123456789ab"))
    assert credential_text(native)["en"] == "Pass: staff"
    assert credential_text(native, {"0123456789ab"})["en"] == "Paper pass: staff"
    assert credential_text(Verification("unknown", False, "unknown_format", {})) is None


def test_a_full_site_is_amber_with_its_occupancy_and_the_console_row_has_no_pseudonym():
    verification = _dcc({"iss": "VN"})
    decision = Decision(False, "occupancy_full", Direction.ENTRY, holder="f" * 32)
    message = screen_message(verification, decision, decided_at=5.0, occupancy=200, cap=200)
    assert message["verdict"] == "amber" and message["occupancy"] == {"inside": 200, "cap": 200}
    assert message["text"] == {"vi": "Đã đủ người", "en": "Site full"}
    event = Event("e1", 1, 5.0, "gate1", "denied", "occupancy_full", "entry", "f" * 32, "dcc")
    row = console_row(verification, decision, event, reader="entry")
    assert "f" * 32 not in repr(row) and "f" * 32 not in repr(message)

"""The site's pure parts and the ledger's side of them: merge by id and event time, heads and
gaps, capacity shares, conflicts, presence expiry, the exit button as an exit, the secret CLI."""

from __future__ import annotations

import datetime as dt
import stat
from zoneinfo import ZoneInfo

import pytest

from conftest import mock_gate_app
from qrgate.actions import Action
from qrgate.cli.main import main
from qrgate.config import validate
from qrgate.ledger import Ledger
from qrgate.policy.config import PolicyConfig
from qrgate.site import conflicts, escrow, expiry
from qrgate.site.secret import fingerprint

T = 1_800_000_000.0


def shared(ledger: Ledger, origin: str, after: int = 0) -> list[dict]:
    return ledger.events_of(origin, after)


def test_merge_is_idempotent_and_an_older_movement_never_overrides_a_newer_one(tmp_path):
    a, b = Ledger(tmp_path / "a.db"), Ledger(tmp_path / "b.db")
    a.record(at=T, gate_id="a", type="entry", reason="granted", direction="entry", holder="h")
    a.record(at=T + 1, gate_id="a", type="denied", reason="expired", direction="entry", holder="h")  # not shared
    b.record(at=T + 10, gate_id="b", type="exit", reason="granted", direction="exit", holder="h")
    events = shared(a, "a")
    assert [e["origin_seq"] for e in events] == [1] and events[0]["origin"] == "a"
    assert len(b.merge(events)) == 1
    assert b.merge(events) == []  # the same event again: nothing
    assert not b.is_inside("h")  # the older entry came late: the newer exit stands
    assert b.counts(T)["total"] == {"entries": 0, "exits": 1, "denials": 0}  # own counts only
    a.merge(shared(b, "b"))
    assert a.presence_rows() == b.presence_rows()
    assert a.last_seq_from("b") == b.last_seq_from("b") == 1


def test_heads_advance_only_over_contiguous_seqs(tmp_path):
    a, b = Ledger(tmp_path / "a.db"), Ledger(tmp_path / "b.db")
    for i in range(5):
        a.record(at=T + i, gate_id="a", type="entry", reason="granted", holder=f"h{i}")
    events = shared(a, "a")
    b.merge([events[0], events[1], events[3]])
    assert b.last_seq_from("a") == 2  # 3 is missing
    assert [e["origin_seq"] for e in shared(a, "a", b.last_seq_from("a"))] == [3, 4, 5]
    b.merge(events)
    assert b.last_seq_from("a") == 5
    b.hold_through("a", 9)  # a peer purged 6..9: never asked for again
    assert b.last_seq_from("a") == 9


def test_rotating_steps_are_shared(tmp_path):
    a, b = Ledger(tmp_path / "a.db"), Ledger(tmp_path / "b.db")
    a.record(at=T, gate_id="a", type="denied", reason="occupancy_full", holder="h", pass_id="p1", code_step=7)
    b.merge(shared(a, "a"))
    assert b.last_code_step("p1") == 7 and b.last_code_step("p2") is None


def test_shares_split_the_free_places_and_a_cut_off_gate_stays_within_its_own():
    assert escrow.split(10, ["c", "a", "b"]) == {"a": 4, "b": 3, "c": 3}
    assert escrow.split(-2, ["a", "b"]) == {"a": 0, "b": 0}
    pool = escrow.Pool(10, ("a", "b", "c"))
    assert pool.share("b", 4) == 2
    assert pool.room_connected(4, []) == 6
    assert pool.room_connected(4, [2, 2]) == 2  # two gates unheard: their shares stay free
    assert pool.room_cut_off(4, 2, 0) == 2
    assert pool.room_cut_off(4, 2, 2) == 0
    assert pool.room_cut_off(9, 2, 0) == 1  # never above the cap it sees
    # every gate cut off at once, each within its share: never above the cap
    shares = escrow.split(10 - 4, pool.gates)
    assert 4 + sum(shares.values()) == 10


def test_conflicts_have_one_id_whoever_finds_them():
    rows = [("h", T, "e1", "a", "entry", "granted"), ("h", T + 5, "e2", "b", "entry", "granted"),
            ("h", T + 9, "e3", "b", "exit", "granted"), ("k", T, "e4", "a", "entry", "granted"),
            ("k", T + 1, "e5", "b", "entry", "passback_flagged")]
    found = conflicts.double_entries(rows)
    assert [(c.kind, c.gates, c.events) for c in found] == [("double_entry", ("a", "b"), ("e1", "e2"))]
    assert found[0].id == conflicts.conflict_id("double_entry", ["e2", "e1"])
    moves = [(T, "e1", "a", "entry", "h1"), (T + 1, "e2", "b", "entry", "h2"), (T + 2, "e3", "b", "entry", "h3"),
             (T + 3, "e4", "a", "exit", "h1"), (T + 4, "e5", "a", "entry", "h4")]
    over = conflicts.cap_exceeded(moves, cap=2)
    assert [(c.events, c.gates) for c in over] == [(("e3",), ("b", "a")), (("e5",), ("a", "b"))]
    assert [c.events for c in conflicts.cap_exceeded(moves, cap=3)] == []
    assert [c.events for c in conflicts.cap_exceeded(moves, cap=3, inside_before=["h0"])] == [("e3",), ("e5",)]


def test_expiry_after_hours_and_at_the_daily_reset():
    tz = "Asia/Ho_Chi_Minh"
    now = dt.datetime(2027, 3, 1, 7, 0, tzinfo=ZoneInfo(tz)).timestamp()
    assert expiry.last_reset(now, "03:00", tz) == now - 4 * 3600
    assert expiry.last_reset(now, "08:00", tz) == now - 23 * 3600
    inside = [("old", "a", now - 5 * 3600), ("recent", "a", now - 3600), ("elsewhere", "b", now - 9 * 3600)]
    assert expiry.expired(inside, "a", now, expiry_hours=2, reset_at=None, timezone=tz) == [("old", "presence_expired")]
    assert expiry.expired(inside, "a", now, expiry_hours=None, reset_at="03:00", timezone=tz) == [
        ("old", "daily_reset")]
    assert expiry.expired(inside, "a", now, expiry_hours=None, reset_at=None, timezone=tz) == []


def test_the_gate_expires_presence_and_counts_the_exit_button_as_the_last_entrants_exit(tmp_path, keys):
    app, pins = mock_gate_app(tmp_path, keys["trust"], gate="a")
    try:
        app.cfg = app.cfg.model_copy(update={"policy": validate(
            PolicyConfig, {"presence_expiry_hours": 2, "exit_button_as_exit": True}, "policy")})
        now = app.clock()
        app.ledger.record(at=now - 3 * 3600, gate_id="a", type="entry", reason="granted", holder="stale")
        app.ledger.record(at=now - 60, gate_id="a", type="entry", reason="granted", holder="first")
        app.ledger.record(at=now - 30, gate_id="a", type="entry", reason="granted", holder="last")
        app.tick(now - 600, mono=1000.0)  # the first look at the clock
        assert app.ledger.is_inside("stale")  # a clock not yet seen steady for 10 minutes expires nobody
        app.tick(now, mono=1600.0)  # wall and monotonic time agreed for 10 minutes
        assert not app.ledger.is_inside("stale")
        assert [e.reason for e in app.ledger.events() if e.holder == "stale"][-1] == "presence_expired"
        app._on_exit_button()
        assert not app.ledger.is_inside("last") and app.ledger.is_inside("first")
        exits = [e for e in app.ledger.events() if e.type == "exit" and e.reason == "exit_button"]
        assert [e.holder for e in exits] == ["last"]
        # a guard marks the other one as left: a shared exit event too
        result = app.perform(Action("mark_left", "guard1", why="left by the side door", value="first"))
        assert result.ok and app.ledger.occupancy() == 0
        assert [e["reason"] for e in app.ledger.events_of("a", 0)][-1] == "marked_left"
    finally:
        app.stop()


def test_bad_expiry_settings_name_their_key():
    from qrgate.errors import ConfigError

    with pytest.raises(ConfigError, match="policy.daily_reset_at"):
        validate(PolicyConfig, {"daily_reset_at": "25:99"}, "policy")
    with pytest.raises(ConfigError, match="policy.on_partition"):
        validate(PolicyConfig, {"on_partition": "maybe"}, "policy")


def test_secret_export_import_keeps_the_fingerprint_and_never_prints_the_secret_by_default(tmp_path, capsys,
                                                                                          monkeypatch):
    import io

    source = tmp_path / "a.secret"
    source.write_bytes(bytes(range(32)))
    assert main(["site", "secret", "export", "--secret-file", str(source)]) == 0
    text = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    target = tmp_path / "new" / "b.secret"
    assert main(["site", "secret", "import", "--secret-file", str(target)]) == 0
    out = capsys.readouterr().out
    assert fingerprint(bytes(range(32))) in out and bytes(range(32)).hex() not in out
    assert target.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # a different secret already there is kept unless forced
    monkeypatch.setattr("sys.stdin", io.StringIO("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
    assert main(["site", "secret", "import", "--secret-file", str(target)]) == 2
    assert "already holds another site secret" in capsys.readouterr().err
    assert target.read_bytes() == source.read_bytes()


def test_the_sync_reserves_the_shares_of_unheard_gates_and_freezes_its_own_when_cut(tmp_path):
    import json

    from qrgate.policy.rules import Policy
    from qrgate.site.sync import SiteSync
    from qrgate.site.topics import SyncTopics

    sent = []

    def publish(topic, payload, qos=1, retain=False):
        sent.append((topic, json.loads(payload)))
        return True

    ledger = Ledger(tmp_path / "a.db")
    secret = bytes(range(32))
    topics = SyncTopics("qrgate", "s")
    policy = Policy(occupancy_cap=10, zone_cap=4, zone_gates=frozenset({"a", "b"}))
    now = [T]
    sync = SiteSync(ledger=ledger, topics=topics, gate_id="a", secret=secret, policy=policy,
                    gates=["a", "b", "c"], clock=lambda: now[0])
    assert sync.partitioned and sync.rooms(0, 0) == (True, 0, 0)  # never talked to the site: no share yet
    sync.connected(publish)
    sync.pump(publish)
    assert sync.status()["shares"] == {"site": 4, "zone": 2}
    hello = {"gate": "b", "fingerprint": fingerprint(secret), "head": 0, "shares": {"site": 3, "zone": 2}}
    sync.handle(topics.of("b", "hello"), json.dumps(hello).encode(), True, publish)
    sync.handle("qrgate/s/b/availability", b"online", True, publish)
    assert sync.rooms(0, 0) == (False, 10, 4)  # everyone heard: the whole cap
    sync.handle("qrgate/s/b/availability", b"offline", True, publish)
    assert sync.rooms(0, 0) == (False, 7, 2)  # b is away: its shares stay free for it
    # the gate itself is cut off: its own shares, less what it admits meanwhile
    sync.disconnected()
    now[0] = T + 60
    assert sync.rooms(0, 0) == (True, 4, 2)
    ledger.record(at=T + 61, gate_id="a", type="entry", reason="granted", holder="h1")
    ledger.record(at=T + 62, gate_id="a", type="entry", reason="granted", holder="h2")
    ledger.record(at=T + 63, gate_id="a", type="exit", reason="granted_not_inside", holder="h9")
    assert sync.rooms(2, 2) == (True, 2, 0)
    # a peer with another site secret is named, and its events are never merged
    other = {**hello, "gate": "c", "fingerprint": "0" * 16}
    sync.handle(topics.of("c", "hello"), json.dumps(other).encode(), True, publish)
    assert sync.mismatched == {"c": "0" * 16}
    event = {"id": "e1", "origin": "c", "origin_seq": 1, "at": T, "gate": "c", "type": "entry", "reason": "granted",
             "direction": "entry", "holder": "hc", "format": None, "pass_id": None, "code_step": None}
    sync.handle(topics.of("c", "events"), json.dumps(event).encode(), False, publish)
    assert not ledger.is_inside("hc")


def test_a_gate_may_not_be_called_sync_while_it_shares_presence():
    from qrgate.config import Config
    from qrgate.errors import ConfigError

    table = {"gate": {"id": "sync"}, "readers": [{"kind": "camera"}]}
    with pytest.raises(ConfigError, match="gate.id: 'sync' names the site's sync topics"):
        validate(Config, table)
    assert validate(Config, {**table, "site": {"sync": {"enabled": False}}}).gate.id == "sync"
    with pytest.raises(ConfigError, match=r"site.sync.gates\[1\]: 'a' is listed twice"):
        validate(Config, {"readers": [{"kind": "camera"}], "site": {"sync": {"gates": ["a", "a"]}}})


def test_every_site_reason_in_the_registry_is_produced(tmp_path, keys):
    from qrgate.policy.reasons import SITE_TEXT

    now = T
    inside = [("a1", "a", now - 5 * 3600), ("a2", "a", now - 1)]
    produced = {r for _h, r in expiry.expired(inside, "a", now, expiry_hours=2, reset_at=None, timezone="UTC")}
    produced |= {r for _h, r in expiry.expired(inside, "a", now, expiry_hours=None, reset_at="07:59",
                                                 timezone="UTC")}
    produced |= {c.kind for c in conflicts.double_entries([("h", T, "e1", "a", "entry", "granted"),
                                                           ("h", T + 1, "e2", "b", "entry", "granted")])}
    produced |= {c.kind for c in conflicts.cap_exceeded([(T, "e1", "a", "entry", "h1")], cap=0)}
    app, _pins = mock_gate_app(tmp_path, keys["trust"], gate="a")
    try:
        app.cfg = app.cfg.model_copy(update={"policy": validate(PolicyConfig, {"exit_button_as_exit": True})})
        app.ledger.record(at=app.clock(), gate_id="a", type="entry", reason="granted", holder="h")
        app._on_exit_button()
        produced.add(app.ledger.events()[-1].reason)
    finally:
        app.stop()
    assert produced == set(SITE_TEXT), sorted(produced ^ set(SITE_TEXT))

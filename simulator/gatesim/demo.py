"""`qrgate sim`: a simulated gate with a stream of visitors, a live view and a checked summary."""

from __future__ import annotations

import collections
import json
import secrets
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from qrgate.policy.reasons import guard_text
from qrgate.pseudonym import load_or_create_secret

from .broker import start_broker
from .observer import MqttObserver
from .rig import SimGate, open_pass_office
from .visitors import Visit, demo_script

HOLD_SECONDS = 0.45  # how long a visitor holds the code up
GAP_SECONDS = 0.45  # time between visitors: longer than the debouncer's "left view"
DEMO_WEB_PORT = 8080
DEMO_GUARD = "demo"
DEMO_SITE_PORT = 8470  # the site server's own default port
DEMO_MANAGER = "manager"
DEMO_SITE = "demo-site"


def run_demo(duration: float = 20.0, *, broker: str = "mosquitto", out: TextIO = sys.stdout,
             json_path: str | None = None, seed: int = 7, web_port: int | None = DEMO_WEB_PORT,
             site_port: int | None = DEMO_SITE_PORT, before_walk=lambda: None) -> int:
    """Run the demo; 0 when every visitor got the expected answer, MQTT matched the ledger and the
    site server (on SQLite, unless site_port is None) stored every event of the ledger.
    before_walk() runs once the addresses are printed, before the first visitor (a test opens a page)."""
    with tempfile.TemporaryDirectory(prefix="qrgate-sim-") as workdir:
        mqtt = start_broker(broker)
        site = None
        try:
            office, trust_file = open_pass_office(Path(workdir) / "keys")
            if site_port is not None:  # first: the gate's declaration desk is on the server's database
                site = _demo_site_server(Path(workdir), mqtt, DEMO_SITE, site_port, office.key_path)
            gate = _demo_gate(Path(workdir), mqtt, trust_file, web_port, site, office.key_path)
            observer = MqttObserver(mqtt.host, mqtt.port, f"qrgate/{gate.site_id}/#")
            try:
                visits = demo_script(office, time.time(), int(duration / (HOLD_SECONDS + GAP_SECONDS)), seed)
                print(f"qrgate simulator: {len(visits)} visitors at {gate.site_id}/{gate.gate_id}, "
                      f"broker {mqtt.kind} on port {mqtt.port}", file=out)
                gate.start()
                if gate.app.web is not None:
                    print(f"gate screen: {gate.app.web.url}/   (console: {gate.app.web.url}/console, "
                          f"guard {gate.demo_login[0]}, password {gate.demo_login[1]})", file=out)
                if site is not None:
                    print(f"managers' page: {site.url}/manage   (site server on SQLite; log in as {DEMO_MANAGER}, "
                          f"password {site.demo_password})", file=out)
                    print(f"health declaration form: {site.url}/declare/", file=out)
                    if gate.app.web is not None:
                        print(f"guard's declaration desk: {gate.app.web.url}/console/declare", file=out)
                before_walk()
                answered = _walk(gate, visits, out)
                summary = _summarise(gate, observer, answered, mqtt.kind)
                if site is not None:
                    summary["site_server"] = _site_summary(site, gate)
                    summary["ok"] = summary["ok"] and summary["site_server"]["matches_ledger"]
                    if gate.app.web is not None:
                        summary["declaration_desk"] = _desk_summary(gate)
                        summary["ok"] = summary["ok"] and summary["declaration_desk"]["ready"]
            finally:
                gate.stop()
                observer.close()
                if site is not None:
                    site.stop()
        finally:
            mqtt.close()
    _print_summary(summary, out)
    if json_path:
        Path(json_path).write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["ok"] else 1


def _demo_gate(workdir: Path, mqtt, trust_file: str, web_port: int | None, site, pass_key: str) -> SimGate:
    """The demo's gate, serving its screen on web_port (any free port when that one is taken), with
    the declaration desk on the site server's database when there is one."""
    if web_port is None:
        return SimGate(workdir, mqtt.host, mqtt.port, trust_files=[trust_file], site_id=DEMO_SITE)
    from qrgate.web.config import WebConfig

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", web_port))
        except OSError:
            web_port = 0
    from qrgate.web.guards import GuardBook

    desk = {} if site is None else {"declaration_database": site.cfg.database.url}
    web = WebConfig(enabled=True, port=web_port, guards_file=str(workdir / "state" / "guards.json"),
                    pass_key=pass_key, **desk)
    gate = SimGate(workdir, mqtt.host, mqtt.port, trust_files=[trust_file], web=web, site_id=DEMO_SITE)
    gate.demo_login = (DEMO_GUARD, secrets.token_urlsafe(9))  # a throwaway login, for this run only
    GuardBook(web.guards_file).add(*gate.demo_login)
    return gate


def _demo_site_server(workdir: Path, mqtt, site_id: str, port: int, pass_key: str):
    """The site server beside the gate, on SQLite in the demo's folder (any free port when `port` is
    taken), with the declaration form: it shares the gate's site secret and signing key."""
    from .site_server import SimSiteServer

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            port = 0
    password = secrets.token_urlsafe(9)  # a throwaway login, for this run only
    secret = workdir / "site.secret"  # where the gate's config (rig.sim_config) reads it
    load_or_create_secret(secret)
    site = SimSiteServer(workdir / "site", mqtt.host, mqtt.port, [site_id], http_port=port,
                         users={DEMO_MANAGER: ("manager", password)}, secret_file=str(secret), pass_key=pass_key)
    site.demo_password = password
    (workdir / "site").mkdir()
    return site.start()


def _site_summary(site, gate: SimGate, timeout: float = 10.0) -> dict:
    """Whether the site database came to hold exactly the gate's ledger events (by id)."""
    from sqlalchemy import select

    from qrgate.server.db import events

    expected = {e.id for e in gate.ledger.events()}
    deadline = time.monotonic() + timeout
    while True:
        with site.app.state.db.engine.connect() as conn:
            stored = {row.id for row in conn.execute(select(events.c.id).where(events.c.site == gate.site_id))}
        if stored == expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return {"url": site.url + "/manage", "events_stored": len(stored), "matches_ledger": stored == expected}


def _desk_summary(gate: SimGate) -> dict:
    """Whether the gate's declaration desk reads the questions the site server published."""
    from qrgate.server.declaration.guard_desk import DeskUnavailable

    try:
        questions = gate.app.web.desk.service.settings.questions
    except DeskUnavailable as exc:
        return {"ready": False, "reason": str(exc)}
    return {"ready": True, "questions": len(questions)}


def _walk(gate: SimGate, visits: list[Visit], out: TextIO) -> list[tuple[Visit, object]]:
    """Each visitor holds the code up, then steps away; returns each visit with its outcome (or None)."""
    seen = 0
    answered = []
    for visit in visits:
        camera = gate.cameras[visit.camera]
        camera.show(visit.payload)
        deadline = time.monotonic() + HOLD_SECONDS
        while time.monotonic() < deadline and len(gate.outcomes) == seen:
            time.sleep(0.005)
        outcome = gate.outcomes[seen] if len(gate.outcomes) > seen else None
        answered.append((visit, outcome))
        if outcome is not None:
            _live_line(gate, visit, outcome, out)
        time.sleep(max(0.0, deadline - time.monotonic()))
        camera.show(None)
        time.sleep(GAP_SECONDS)
        seen = len(gate.outcomes)
    return answered


def _live_line(gate: SimGate, visit: Visit, outcome, out: TextIO) -> None:
    decision = outcome.decision
    verdict = "OPEN " if decision.granted else "DENY "
    print(f"  {time.strftime('%H:%M:%S')}  {visit.camera:5}  {visit.who:11} {visit.behaviour:19} "
          f"{verdict} {decision.reason:15} LED {gate.io.led_color:6} relay {'ON ' if gate.io.is_relay_on else 'off'}"
          f"  inside {gate.ledger.occupancy():2d}  | {guard_text(decision.reason, 'en')}", file=out)


def _summarise(gate: SimGate, observer: MqttObserver, answered: list, broker_kind: str) -> dict:
    wrong = [{"who": v.who, "behaviour": v.behaviour, "expected": v.expect_reason, "got": o.decision.reason}
             for v, o in answered
             if o is not None and (o.decision.reason, o.decision.granted) != (v.expect_reason, v.expect_granted)]
    missed = sum(1 for _v, o in answered if o is None)
    extra = len(gate.outcomes) - (len(answered) - missed)  # scans nobody made: a debounce failure
    ledger_events = gate.ledger.events()
    counts = gate.ledger.counts(time.time())
    topic = gate.topics.counts

    def caught_up(obs: MqttObserver) -> bool:
        retained = obs.latest(topic)
        return (len(obs.events) == len(ledger_events) and isinstance(retained, dict)
                and retained.get("total") == counts["total"])

    observer.wait_for(caught_up, timeout=10)
    received = observer.event_counts()
    retained = observer.latest(topic) or {}
    ledger_by_type = collections.Counter(e.type for e in ledger_events)
    mqtt_matches = (received == dict(ledger_by_type) and retained.get("total") == counts["total"]
                    and retained.get("occupancy") == counts["occupancy"])
    reasons = collections.Counter(f"{'granted' if o.decision.granted else 'denied'}: {o.decision.reason}"
                                  for o in gate.outcomes)
    relay_moves = sum(1 for s in gate.relay_pin.states if s.state)  # rising edges of the relay pin
    return {
        "broker": broker_kind,
        "visitors": len(answered),
        "decisions_by_reason": dict(sorted(reasons.items())),
        "ledger_counts": counts,
        "mqtt_events_by_type": received,
        "mqtt_retained_counts": {k: retained.get(k) for k in ("total", "today", "occupancy")},
        "mqtt_duplicates": observer.duplicates,
        "mqtt_matches_ledger": mqtt_matches,
        "relay_pulses": relay_moves,
        "unexpected_decisions": wrong,
        "missed_visitors": missed,
        "extra_scans": extra,
        "ok": mqtt_matches and not wrong and missed == 0 and extra == 0 and relay_moves == counts["total"]["entries"]
        + counts["total"]["exits"],
    }


def _print_summary(summary: dict, out: TextIO) -> None:
    total = summary["ledger_counts"]["total"]
    retained = summary["mqtt_retained_counts"].get("total") or {}
    print("\nDecisions by reason:", file=out)
    for reason, n in summary["decisions_by_reason"].items():
        print(f"  {n:4d}  {reason}", file=out)
    print("\nCounts          ledger   MQTT (retained)   MQTT (events received)", file=out)
    events = summary["mqtt_events_by_type"]
    for name, etype in (("entries", "entry"), ("exits", "exit"), ("denials", "denied")):
        print(f"  {name:12} {total[name]:7d}   {retained.get(name, '-')!s:>15}   {events.get(etype, 0):>22}", file=out)
    print(f"  {'inside':12} {summary['ledger_counts']['occupancy']:7d}   "
          f"{summary['mqtt_retained_counts'].get('occupancy')!s:>15}", file=out)
    print(f"\nRelay pulses: {summary['relay_pulses']}   missed visitors: {summary['missed_visitors']}   "
          f"extra scans: {summary['extra_scans']}   unexpected decisions: {len(summary['unexpected_decisions'])}",
          file=out)
    for w in summary["unexpected_decisions"]:
        print(f"  ! {w['who']} ({w['behaviour']}): expected {w['expected']}, got {w['got']}", file=out)
    print(f"MQTT matches the ledger: {'yes' if summary['mqtt_matches_ledger'] else 'NO'}", file=out)
    if "site_server" in summary:
        site = summary["site_server"]
        print(f"Site server stored {site['events_stored']} events: "
              f"{'the ledger, each once' if site['matches_ledger'] else 'NOT the ledger'}", file=out)
    if "declaration_desk" in summary:
        desk = summary["declaration_desk"]
        print("Guard's declaration desk: " + (f"asks the site server's {desk['questions']} questions" if desk["ready"]
                                              else f"NOT ready ({desk['reason']})"), file=out)
    print("RESULT: " + ("ok" if summary["ok"] else "FAILED"), file=out)

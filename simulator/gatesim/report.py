"""What a scenario run found: decisions, counts, alarms, latency, faults, and whether the
ledger, an MQTT subscriber and the simulator's own account of the day agree."""

from __future__ import annotations

import collections
import time
from typing import TextIO

from .bench.stats import percentiles


def build_report(world, observer, scenario) -> dict:
    gates = world.gates
    ledgers = {gid: place.sim.ledger for gid, place in gates.items()}
    now = world.clock.now
    all_events = {gid: ledger.events() for gid, ledger in ledgers.items()}
    counts = {gid: ledger.counts(now) for gid, ledger in ledgers.items()}

    def caught_up(obs) -> bool:
        ids = {e.id for events in all_events.values() for e in events}
        return ids <= set(obs.events) and all(
            (obs.latest(place.sim.topics.counts) or {}).get("total") == counts[gid]["total"]
            for gid, place in gates.items())

    observer.wait_for(caught_up, timeout=30)
    ledger_ids = {e.id for events in all_events.values() for e in events}
    missing = sorted(ledger_ids - set(observer.events))
    retained_ok = {gid: (observer.latest(place.sim.topics.counts) or {}).get("total") == counts[gid]["total"]
                   for gid, place in gates.items()}
    truth = world.truth
    by_id = {e.id: e for events in all_events.values() for e in events}  # peers' events merged: count each once
    occupancy = {gid: counts[gid]["occupancy"] for gid in gates}
    presence = _presence(world, ledgers, counts)
    alarms = collections.Counter(e.reason for e in by_id.values() if e.type == "alarm")
    expected_alarms, uncertain_alarms = truth.expected_alarms.copy(), truth.uncertain_alarms.copy()
    if truth.expected_conflicts:  # each gate that finds a conflict raises the guard's alarm (latched)
        expected_alarms["site_conflict"] += 1
        uncertain_alarms["site_conflict"] += len(truth.expected_conflicts) * len(gates) - 1
    alarm_ok = all(
        expected_alarms[k] <= alarms[k] <= expected_alarms[k] + uncertain_alarms[k]
        for k in set(alarms) | set(expected_alarms))
    physical_named = len(truth.physical)
    # every holder the logs have inside is really inside, or left by the exit button without scanning out;
    # and everyone really inside is in the logs (but for a pass let in twice by gates that could not talk)
    recorded = truth.site_inside() if truth.shared else set().union(set(), *(truth.inside(g) for g in gates))
    carried = set(truth.physical.values())
    twice = {c["holder"] for c in truth.expected_conflicts}
    presence_explained = recorded <= carried | truth.forgot_scan_out and carried - twice <= recorded
    decided_at = world.measured.decided_at
    to_mqtt = [(observer.received_at[eid] - decided_at[eid]) * 1000
               for eid in decided_at if eid in getattr(observer, "received_at", {})]
    conflicts = _conflicts(world, by_id)
    checks = {
        "every_decision_as_expected": not truth.mismatches,
        "mqtt_received_every_event": not missing,
        "mqtt_retained_counts_equal_ledger": all(retained_ok.values()),
        "ledger_presence_equals_truth": all(presence["ok"].values()),
        "physical_presence_explained": presence_explained,
        "alarms_as_expected": alarm_ok,
        "no_decision_lost": not (set(decided_at) - ledger_ids),
    }
    not_checked = {}
    if scenario.site.occupancy_cap is not None:
        checks["cap_never_exceeded"] = truth.most_inside <= scenario.site.occupancy_cap
    done = [f for f in world.measured.faults if "skipped" not in f]
    if world.measured.exit_presses:
        checks["everyone_who_pressed_the_exit_button_got_out"] = \
            world.measured.exit_opened == world.measured.exit_presses
    storage = [f for f in done if f["kind"] in ("disk_full", "ledger_readonly")]
    if storage:
        checks["storage_faults_raised_and_cleared"] = all(f.get("cleared") for f in storage) and all(
            f.get("raised") for f in storage if f["kind"] == "disk_full")
    steps = [f for f in done if f["kind"] == "clock_step"]
    if steps:  # a jump and the jump back, each a ledger event; nothing purged on the jumped clock
        checks["clock_steps_logged"] = all(f.get("steps_logged") == 2 for f in steps)
    if steps or storage:
        checks["no_event_purged_early"] = not (set(decided_at) - ledger_ids) and sum(
            1 for e in by_id.values() if e.type == "exit_button") >= world.measured.exit_presses
    lanes, readers = _lanes(world), _scanner_readers(world)
    if world.measured.scanner_lines:  # each line down a pty was read by the gate's own reader and decided
        read = sum(r["codes"] for rs in readers.values() for r in rs)
        refused = sum(sum(r["refused"].values()) for rs in readers.values() for r in rs)
        checks["every_scanner_line_read_and_decided"] = \
            read == world.measured.scanner_lines == lanes["scanner"]["decisions"] and not refused
    takeovers = [f for f in done if f["kind"] == "client_takeover"]
    if takeovers:
        checks["gate_came_back_after_a_takeover"] = all(not f.get("not_reconnected") for f in takeovers)
    cuts = [f for f in world.measured.faults if f["kind"] in ("partition", "gate_restart_missed") and "skipped" not in f]
    if cuts:
        checks["cut_gates_reconnected"] = all(not f.get("not_reconnected") for f in cuts)
        checks["cut_gate_lost_the_broker"] = all(f.get("disconnected_seen", True) for f in cuts)
    if truth.shared:
        checks["every_partition_conflict_reported"] = not conflicts["missing"]
        checks["no_conflict_reported_that_did_not_happen"] = not conflicts["unfounded"]
        checks["movements_reached_peers"] = world.measured.slow_propagations == 0
        checks["gates_converged_after_each_heal"] = all(c["seconds"] is not None
                                                        for c in world.measured.convergences)
    elif len(gates) > 1:
        why = "the gates of this build do not share presence (no site sync): each knows only its own movements"
        not_checked = {"every_partition_conflict_reported": why, "movements_reached_peers": why,
                       "gates_converged_after_each_heal": why}
    return {
        "scenario": scenario.name,
        "simulated_minutes": scenario.duration_minutes,
        "people": len(world.people),
        "decisions_by_reason": dict(sorted(truth.answers.items())),
        "counts": {gid: {"total": c["total"], "occupancy": c["occupancy"]} for gid, c in counts.items()},
        "site": {"entries": sum(c["total"]["entries"] for c in counts.values()),
                 "exits": sum(c["total"]["exits"] for c in counts.values()),
                 "denials": sum(c["total"]["denials"] for c in counts.values()),
                 "occupancy": len(truth.site_inside()) if truth.shared else sum(occupancy.values())},
        "presence_model": "site" if truth.shared else "per gate",
        "presence": presence["detail"],
        "most_inside": truth.most_inside,
        "most_people_inside": truth.most_people_inside,
        "decided_alone": truth.decided_alone,
        "conflicts": {k: v for k, v in conflicts.items() if k != "missing"} | {"missing": conflicts["missing"][:20]},
        "propagation_ms": percentiles(world.measured.propagation_ms),
        "convergences": world.measured.convergences,
        "alarms": dict(alarms),
        "expected_alarms": dict(expected_alarms),
        "latency_ms": {"frame_to_relay": percentiles(world.measured.frame_to_relay_ms),
                       "decision_to_mqtt": percentiles(to_mqtt)},
        "lanes": lanes,
        "scanner_readers": readers,
        "faults": [{k: v for k, v in f.items() if not k.startswith("_")} for f in world.measured.faults],
        "waited_for_a_broken_gate": world.measured.waited,
        "exit_button": {"presses": world.measured.exit_presses, "opened": world.measured.exit_opened},
        "held_up_again_after_a_missed_read": world.measured.rescans,
        "never_read_in_three_tries": truth.answers["never read"],
        "ground_truth": {"named_people_inside": physical_named,
                         "tailgaters_inside": truth.tailgaters_inside,
                         "recorded_inside": truth.recorded_total,
                         "left_without_scanning_out": len(truth.forgot_scan_out)},
        "mqtt": {"events_received": len(set(observer.events) & ledger_ids), "events_in_ledger": len(ledger_ids),
                 "missing": missing[:20], "duplicates": observer.duplicates},
        "events": {"decided": len(decided_at), "lost": len(set(decided_at) - ledger_ids),
                   "received_twice_by_mqtt": observer.duplicates},
        "unexpected_decisions": truth.mismatches[:50],
        "notes": sorted(set(world.measured.notes)),
        **({"declarations": world.declarations.report()} if world.declarations is not None else {}),
        "checks": checks,
        "not_checked": not_checked,
        "ok": all(checks.values()),
    }


def _lanes(world) -> dict:
    """Per kind of lane (camera, scanner): decisions, codes never read, and the time from a visitor
    presenting a code to the decision and, for grants on GPIO gates, to the relay."""
    return {kind: {"decisions": f.decisions, "never_read": f.never_read,
                   "present_to_decision_ms": percentiles(f.present_to_decision_ms),
                   "present_to_relay_ms": percentiles(f.present_to_relay_ms)}
            for kind, f in sorted(world.measured.lanes.items())}


def _scanner_readers(world) -> dict:
    """Each gate's scanner readers as its config has them, with what they read (over every controller run)."""
    out = {}
    for gid, place in world.gates.items():
        rows = []
        for cfg in place.sim.app.scanner_configs:
            runs = [r for r in place.sim.readers_used if getattr(r, "port", None) == cfg.port]
            refused = collections.Counter()
            for r in runs:
                refused.update(r.refused)
            rows.append({"kind": cfg.kind, "direction": cfg.direction, "port": cfg.port,
                         "reader": sorted({type(r).__name__ for r in runs}),
                         "codes": sum(r.codes for r in runs), "refused": dict(refused),
                         "losses": sum(r.losses for r in runs)})
        if rows:
            out[gid] = rows
    return out


def _presence(world, ledgers: dict, counts: dict) -> dict:
    """Who each gate's ledger has inside (`is_inside`, `occupancy`) against the simulator's truth: the
    site's presence with shared presence, else what that gate itself saw."""
    truth, names = world.truth, world.pseudonyms
    ok, detail = {}, {}
    for gid, ledger in ledgers.items():
        if world.gates[gid].controller_down:
            continue  # a gate still down at the end has no presence to ask
        want = truth.site_inside() if truth.shared else truth.inside(gid)
        have = {h for h, p in names.items() if ledger.is_inside(p)}
        ok[gid] = have == want and ledger.occupancy() == len(want) == counts[gid]["occupancy"]
        detail[gid] = {"inside": ledger.occupancy(), "truth": len(want), "missing": sorted(want - have)[:10],
                       "extra": sorted(have - want)[:10]}
    return {"ok": ok, "detail": detail}


def _conflicts(world, by_id: dict) -> dict:
    """Double entries a cut let through (the truth's) against the site_conflict events the gates recorded."""
    names = world.pseudonyms
    expected = world.truth.expected_conflicts
    reported = [e for e in by_id.values() if e.type == "site_conflict"]
    doubles = {e.holder for e in reported if e.reason == "double_entry"}
    missing = [c for c in expected if names.get(c["holder"]) not in doubles]
    who = {p: h for h, p in names.items()}
    cap = world.scenario.site.occupancy_cap
    most = _replayed_most_inside(by_id)
    twice = {names.get(c["holder"]) for c in expected}
    unfounded = [e for e in reported if (e.reason == "double_entry" and e.holder not in twice)
                 or (e.reason == "cap_exceeded" and (cap is None or most <= cap))]
    return {"expected": len(expected), "reported": len(reported),
            "reported_by_kind": dict(collections.Counter(e.reason for e in reported)),
            "reported_list": [{"kind": e.reason, "at": e.at, "gate": e.gate_id, "holder": who.get(e.holder)}
                              for e in sorted(reported, key=lambda e: e.at)][:20],
            "most_inside_replayed": most,
            "unfounded": [{"kind": e.reason, "at": e.at, "gate": e.gate_id} for e in unfounded][:20],
            "missing": [{"holder": c["holder"], "gates": c["gates"]} for c in missing]}


def _replayed_most_inside(by_id: dict) -> int:
    """The most passes inside at once, replaying every gate's movements in time order."""
    inside: set[str] = set()
    most = 0
    for e in sorted((e for e in by_id.values() if e.type in ("entry", "exit") and e.holder), key=lambda e: e.at):
        (inside.add if e.type == "entry" else inside.discard)(e.holder)
        most = max(most, len(inside))
    return most


def print_report(report: dict, out: TextIO) -> None:
    w = lambda text="": print(text, file=out)
    w(f"\n== {report['scenario']}: {report['simulated_minutes']:g} simulated minutes, {report['people']} people")
    w("Decisions by reason:")
    for reason, n in report["decisions_by_reason"].items():
        w(f"  {n:5d}  {reason}")
    w("Counts       entries  exits  denials  inside")
    for gid, c in report["counts"].items():
        t = c["total"]
        w(f"  {gid:10} {t['entries']:7d} {t['exits']:6d} {t['denials']:8d} {c['occupancy']:7d}")
    s = report["site"]
    w(f"  {'site':10} {s['entries']:7d} {s['exits']:6d} {s['denials']:8d} {s['occupancy']:7d}")
    w(f"Alarms: {report['alarms'] or 'none'} (expected {report['expected_alarms'] or 'none'})")
    lat = report["latency_ms"]
    w(f"Latency ms: frame->relay p50 {lat['frame_to_relay']['p50']} p99 {lat['frame_to_relay']['p99']}; "
      f"decision->MQTT p50 {lat['decision_to_mqtt']['p50']} p99 {lat['decision_to_mqtt']['p99']}")
    if report["lanes"]:
        w("Lanes (a code presented -> the decision; -> the relay, for grants), ms:")
    for kind, lane in report["lanes"].items():
        dec, relay = lane["present_to_decision_ms"], lane["present_to_relay_ms"]
        w(f"  {kind:8} {lane['decisions']:5d} decisions, {lane['never_read']} never read; decision p50 {dec['p50']} "
          f"p99 {dec['p99']}; relay p50 {relay['p50']} p99 {relay['p99']}")
    for gid, rows in report["scanner_readers"].items():
        for r in rows:
            w(f"Scanner reader {gid} {r['direction']}: {r['kind']} on {r['port']}, {r['codes']} codes read, "
              f"refused {r['refused'] or 'none'}, {r['losses']} losses")
    for f in report["faults"]:
        detail = f.get("skipped") or f"recovered in {f.get('recovery_seconds')} s"
        w(f"Fault: {f['kind']} at {f['gate']} minute {f['at_minute']:g} for {f['minutes']:g} min: {detail}")
    g = report["ground_truth"]
    w(f"Really inside: {g['named_people_inside']} scanned + {g['tailgaters_inside']} tailgaters; "
      f"the logs say {g['recorded_inside']} ({g['left_without_scanning_out']} left by the exit button)")
    d = report.get("declarations")
    if d:
        e = d["entered_with_day_pass"]
        w(f"Declarations: phone {d['phone_pass']} passed, {d['phone_refused']} refused; guard (no smartphone) "
          f"{d['guard_pass']} passed, {d['guard_refused']} refused; entered with the day pass: {e['phone']} by "
          f"phone, {e['guard']} by the guard")
    m = report["mqtt"]
    w(f"MQTT: {m['events_received']}/{m['events_in_ledger']} events received, {m['duplicates']} duplicates")
    for who in report["unexpected_decisions"][:10]:
        w(f"  ! {who}")
    where = "the site" if report["presence_model"] == "site" else "one gate"
    w(f"Presence: {report['presence_model']}; most passes inside {where} at once {report['most_inside']}, "
      f"most people inside the site at once {report['most_people_inside']}; "
      f"{report['decided_alone']} movements decided by a gate cut off from its peers")
    c = report["conflicts"]
    if c["expected"] or c["reported"]:
        w(f"Conflicts: {c['expected']} double entries a cut let through, {c['reported']} reported "
          f"({c['reported_by_kind']}); missing {c['missing'] or 'none'}; reported but did not happen "
          f"{c['unfounded'] or 'none'} (replaying every movement, at most {c['most_inside_replayed']} inside)")
    prop = report["propagation_ms"]
    if report["presence_model"] == "site":
        w(f"Propagation ms (a movement at one gate -> every reachable peer): p50 {prop['p50']} p99 {prop['p99']}")
    for conv in report["convergences"]:
        w(f"Converged ({conv['why']}): {conv['gates']} in {conv['seconds']} s ({conv['holders']} holders)")
    for name, ok in report["checks"].items():
        w(f"  [{'ok' if ok else 'FAILED'}] {name.replace('_', ' ')}")
    for name, why in report["not_checked"].items():
        w(f"  [not checked] {name.replace('_', ' ')}: {why}")
    w("RESULT: " + ("ok" if report["ok"] else "FAILED"))
    w(time.strftime("(report made %H:%M:%S)"))

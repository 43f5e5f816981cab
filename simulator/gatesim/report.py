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
    occupancy = {gid: counts[gid]["occupancy"] for gid in gates}
    occupancy_ok = {gid: occupancy[gid] == len(truth.inside(gid)) for gid in gates}
    alarms = collections.Counter(e.reason for events in all_events.values() for e in events if e.type == "alarm")
    alarm_ok = all(
        truth.expected_alarms[k] <= alarms[k] <= truth.expected_alarms[k] + truth.uncertain_alarms[k]
        for k in set(alarms) | set(truth.expected_alarms))
    physical_named = len(truth.physical)
    # every holder the logs have inside is really inside, or left by the exit button without scanning out
    presence_explained = truth.recorded_total == physical_named + len(truth.forgot_scan_out)
    decided_at = world.measured.decided_at
    to_mqtt = [(observer.received_at[eid] - decided_at[eid]) * 1000
               for eid in decided_at if eid in getattr(observer, "received_at", {})]
    checks = {
        "every_decision_as_expected": not truth.mismatches,
        "mqtt_received_every_event": not missing,
        "mqtt_retained_counts_equal_ledger": all(retained_ok.values()),
        "ledger_presence_equals_truth": all(occupancy_ok.values()),
        "physical_presence_explained": presence_explained,
        "alarms_as_expected": alarm_ok,
    }
    return {
        "scenario": scenario.name,
        "simulated_minutes": scenario.duration_minutes,
        "people": len(world.people),
        "decisions_by_reason": dict(sorted(truth.answers.items())),
        "counts": {gid: {"total": c["total"], "occupancy": c["occupancy"]} for gid, c in counts.items()},
        "site": {"entries": sum(c["total"]["entries"] for c in counts.values()),
                 "exits": sum(c["total"]["exits"] for c in counts.values()),
                 "denials": sum(c["total"]["denials"] for c in counts.values()),
                 "occupancy": sum(occupancy.values())},
        "alarms": dict(alarms),
        "expected_alarms": dict(truth.expected_alarms),
        "latency_ms": {"frame_to_relay": percentiles(world.measured.frame_to_relay_ms),
                       "decision_to_mqtt": percentiles(to_mqtt)},
        "faults": [{k: v for k, v in f.items() if not k.startswith("_")} for f in world.measured.faults],
        "waited_for_a_broken_gate": world.measured.waited,
        "held_up_again_after_a_missed_read": world.measured.rescans,
        "never_read_in_three_tries": truth.answers["never read"],
        "ground_truth": {"named_people_inside": physical_named,
                         "tailgaters_inside": truth.tailgaters_inside,
                         "recorded_inside": truth.recorded_total,
                         "left_without_scanning_out": len(truth.forgot_scan_out)},
        "mqtt": {"events_received": len(set(observer.events) & ledger_ids), "events_in_ledger": len(ledger_ids),
                 "missing": missing[:20], "duplicates": observer.duplicates},
        "unexpected_decisions": truth.mismatches[:50],
        "notes": sorted(set(world.measured.notes)),
        **({"declarations": world.declarations.report()} if world.declarations is not None else {}),
        "checks": checks,
        "ok": all(checks.values()),
    }


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
    for name, ok in report["checks"].items():
        w(f"  [{'ok' if ok else 'FAILED'}] {name.replace('_', ' ')}")
    w("RESULT: " + ("ok" if report["ok"] else "FAILED"))
    w(time.strftime("(report made %H:%M:%S)"))

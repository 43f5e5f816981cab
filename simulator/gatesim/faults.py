"""Timed faults: the broker goes away, a camera is unplugged, a controller dies and comes back,
one gate is cut off from the broker while people keep moving, a gate misses its peers' events.

With shared presence (site sync), whenever gates reach each other again (the broker back, a
cut mended, a controller restarted) the world waits until they agree on who is inside and
notes how long that took (`converged_seconds`)."""

from __future__ import annotations

import threading
import time

MIN_REAL_OUTAGE_SECONDS = 1.0  # a fast run still keeps the broker away long enough to be an outage
MIN_REAL_LINK_CUT_SECONDS = 12.0  # the control panel takes about 8 s to give up on a silent board
RECONNECT_TIMEOUT_SECONDS = 30.0  # paho retries with a back-off of up to 10 s


def plan_faults(world) -> None:
    first_gate = next(iter(world.gates))
    for spec in world.scenario.faults:
        gate = spec.gate or first_gate
        start = world.clock.start + spec.at_minute * 60
        record = {"kind": spec.kind, "gate": gate, "at_minute": spec.at_minute, "minutes": spec.minutes}
        if spec.kind == "clock_step":
            record["seconds"] = spec.seconds
        world.measured.faults.append(record)
        if spec.at_minute + spec.minutes >= world.scenario.duration_minutes:
            record["skipped"] = "after the end of this run"
            continue
        begin, end = HANDLERS[spec.kind]
        world.at(start, lambda b=begin, g=gate, r=record: b(world, g, r))
        world.at(start + spec.minutes * 60, lambda e=end, g=gate, r=record: e(world, g, r))


def _say(world, text: str) -> None:
    world.on_line(f"  {world.stamp()} ** {text}")


# -- broker ---------------------------------------------------------------------------------
def broker_down(world, gate, record) -> None:
    world.broker.stop()
    record["_down_wall"] = time.monotonic()
    world.truth.isolated |= set(world.gates)  # every gate decides alone
    _say(world, "broker stopped")


def broker_up(world, gate, record) -> None:
    lacking = MIN_REAL_OUTAGE_SECONDS - (time.monotonic() - record.pop("_down_wall"))
    if lacking > 0:
        time.sleep(lacking)
    record["pending_at_recovery"] = sum(len(p.sim.ledger.pending(100000)) for p in world.gates.values())
    world.broker.start()
    _say(world, f"broker back with {record['pending_at_recovery']} events waiting in the outboxes")
    back = time.monotonic()

    def watch() -> None:  # the outboxes drain on their own; note how long it took
        deadline = back + 30
        while time.monotonic() < deadline:
            if all(not p.sim.ledger.pending(1) for p in world.gates.values() if not p.controller_down):
                record["recovery_seconds"] = round(time.monotonic() - back, 3)
                return
            time.sleep(0.02)
        record["recovery_seconds"] = None

    thread = threading.Thread(target=watch, name="broker-recovery", daemon=True)
    thread.start()
    record["_watch"] = thread
    world.truth.isolated.clear()
    if world.shared:
        _reconnected(world, [g for g, p in world.gates.items() if not p.controller_down], record)
        _converged(world, "broker back", record)


def _reconnected(world, gates, record) -> None:
    deadline = time.monotonic() + RECONNECT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if all(world.gates[g].sim.app.reporter.is_connected for g in gates):
            return
        time.sleep(0.02)
    record["not_reconnected"] = sorted(g for g in gates if not world.gates[g].sim.app.reporter.is_connected)


def _converged(world, why: str, record) -> None:
    record["converged_seconds"] = world.converge(why)["seconds"]
    _say(world, f"gates agree on who is inside again ({why}): "
                f"{'in ' + str(record['converged_seconds']) + ' s' if record['converged_seconds'] is not None else 'NOT'}")

# -- camera ---------------------------------------------------------------------------------
def camera_out(world, gate, record) -> None:
    place = world.gates[gate]
    place.down.add("camera")
    for lane in range(len(place.sim.app.lanes)):
        place.sim.app.camera_changed(lane, False, "unplugged")
    world.truth.expected_alarms["camera_fault"] += 1
    record["gate_state_during"] = place.sim.app.state()["camera"]
    _say(world, f"camera of {gate} unplugged")


def camera_in(world, gate, record) -> None:
    place = world.gates[gate]
    for lane in range(len(place.sim.app.lanes)):
        place.sim.app.camera_changed(lane, True)
    place.down.discard("camera")
    record["gate_state_after"] = place.sim.app.state()["camera"]
    record["recovery_seconds"] = 0.0 if record["gate_state_after"] == "ok" else None
    _say(world, f"camera of {gate} back")


# -- controller -----------------------------------------------------------------------------
def controller_kill(world, gate, record, kind: str = "controller_restart") -> None:
    place = world.gates[gate]
    place.down.add(kind)
    place.sim.kill()
    record["_events_before"] = len(world.measured.decided_at)
    _say(world, f"controller of {gate} killed" + (": people use the other gates" if kind == "restart_missed" else ""))


def controller_start(world, gate, record, kind: str = "controller_restart") -> None:
    place = world.gates[gate]
    began = time.monotonic()
    place.sim.restart()
    place.sim.app.controller.listeners.append(world._note_decision)
    place.sim.start(cameras=False)
    record["recovery_seconds"] = round(time.monotonic() - began, 3)
    record["decisions_missed"] = len(world.measured.decided_at) - record.pop("_events_before")
    if world.shared and gate not in world.truth.isolated:
        _reconnected(world, [gate], record)
        place.down.discard(kind)
        _converged(world, f"{gate} restarted", record)
    place.down.discard(kind)
    record["occupancy_after_restart"] = place.sim.ledger.occupancy()
    _say(world, f"controller of {gate} restarted ({record['occupancy_after_restart']} inside by its log)")


def restart_missed_kill(world, gate, record) -> None:
    controller_kill(world, gate, record, "restart_missed")


def restart_missed_start(world, gate, record) -> None:
    controller_start(world, gate, record, "restart_missed")


# -- partition ------------------------------------------------------------------------------
def partition_cut(world, gate, record) -> None:
    """The gate's network cable is cut: its connection dies at the socket, reconnects are refused."""
    place = world.gates[gate]
    place.cable.cut()
    record["_cut_wall"] = time.monotonic()
    world.truth.isolated.add(gate)
    record["decided_alone_before"] = world.truth.decided_alone
    _say(world, f"{gate} cut off from the broker; people keep moving")


def partition_mend(world, gate, record) -> None:
    place = world.gates[gate]
    lacking = MIN_REAL_OUTAGE_SECONDS - (time.monotonic() - record.pop("_cut_wall"))
    if lacking > 0:
        time.sleep(lacking)
    record["disconnected_seen"] = not place.sim.app.reporter.is_connected
    place.cable.mend()
    began = time.monotonic()
    _reconnected(world, [gate], record)
    record["recovery_seconds"] = round(time.monotonic() - began, 3)
    record["decided_alone"] = world.truth.decided_alone - record.pop("decided_alone_before")
    world.truth.isolated.discard(gate)
    if world.shared:
        _converged(world, f"{gate} reconnected", record)
    _say(world, f"{gate} back on the network after {record['recovery_seconds']} s "
                f"({record['decided_alone']} movements it decided alone)")


# -- I/O board link -------------------------------------------------------------------------
def link_cut(world, gate, record) -> None:
    place = world.gates[gate]
    if place.spec.backend != "osdp":
        record["skipped"] = "the gate uses GPIO pins: there is no I/O board link to cut"
        return
    place.down.add("io_link")
    place.sim.cut_io_link(True)
    record["_cut_wall"] = time.monotonic()
    world.truth.expected_alarms["io_board_offline"] += 1
    _say(world, f"I/O board link of {gate} cut")


def link_mend(world, gate, record) -> None:
    place = world.gates[gate]
    if "skipped" in record:
        return
    lacking = MIN_REAL_LINK_CUT_SECONDS - (time.monotonic() - record.pop("_cut_wall"))
    if lacking > 0:
        time.sleep(lacking)
    place.sim.cut_io_link(False)
    began = time.monotonic()
    record["offline_seen"] = not place.sim.io.is_online
    while not place.sim.io.is_online and time.monotonic() < began + 15:  # the controller reconnects by itself
        time.sleep(0.05)
    record["recovery_seconds"] = round(time.monotonic() - began, 3) if place.sim.io.is_online else None
    place.down.discard("io_link")
    _say(world, f"I/O board link of {gate} back")


# -- storage ---------------------------------------------------------------------------------
def storage_break(world, gate, record) -> None:
    """The gate's log stops taking writes: its disk fills up, or it turns read-only."""
    place = world.gates[gate]
    if record["kind"] == "disk_full":
        record["bytes_filled"] = place.disk.fill()
    else:  # a read-only log, as SQLite says when it cannot write (the filesystem stays mounted)
        place.sim.ledger._conn.execute("PRAGMA query_only = 1")
    world.truth.storage_faults.add(gate)
    world.truth.isolated.add(gate)  # its log can neither take its peers' movements nor hand out its own
    record["_decisions_before"] = len(place.sim.outcomes)
    _say(world, f"the log of {gate} takes no writes ({record['kind']})")


def storage_mend(world, gate, record) -> None:
    place = world.gates[gate]
    app = place.sim.app
    app.tick(world.clock.now + place.wall_offset, mono=world.clock.now)  # a full disk is seen before a write fails
    record["raised"] = app.state()["storage"] == "fault"
    used = len(place.sim.outcomes) > record.pop("_decisions_before")
    if record["kind"] == "disk_full" or used:  # a read-only log shows only when something is written
        world.truth.expected_alarms["storage_fault"] += 1
    else:
        world.truth.uncertain_alarms["storage_fault"] += 1
    if record["kind"] == "disk_full":
        place.disk.free()
    else:
        place.sim.ledger._conn.execute("PRAGMA query_only = 0")
    world.truth.storage_faults.discard(gate)
    record["kept_in_memory"] = place.sim.ledger.queued
    began = time.monotonic()
    app.tick(world.clock.now + place.wall_offset, mono=world.clock.now)  # the kept events are written now
    record["cleared"] = app.state()["storage"] == "ok" and not place.sim.ledger.queued
    record["recovery_seconds"] = round(time.monotonic() - began, 3) if record["cleared"] else None
    world.truth.isolated.discard(gate)
    if world.shared:  # the kept movements reach the peers, and theirs are asked for again
        _converged(world, f"the log of {gate} takes writes again", record)
    _say(world, f"the log of {gate} takes writes again ({record['kept_in_memory']} events kept meanwhile)")


# -- clock ----------------------------------------------------------------------------------
def clock_jump(world, gate, record) -> None:
    world.gates[gate].wall_offset = record["seconds"]
    record["_steps_before"] = _clock_steps(world, gate)
    _say(world, f"the wall clock of {gate} jumps by {record['seconds']:+g} s")


def clock_back(world, gate, record) -> None:
    place = world.gates[gate]
    place.sim.app.tick(world.clock.now + place.wall_offset, mono=world.clock.now)
    place.wall_offset = 0.0
    place.sim.app.tick(world.clock.now, mono=world.clock.now)
    record["steps_logged"] = _clock_steps(world, gate) - record.pop("_steps_before")
    record["recovery_seconds"] = 0.0  # the next tick after the step back
    _say(world, f"the wall clock of {gate} is right again ({record['steps_logged']} steps logged)")


def _clock_steps(world, gate) -> int:
    return sum(1 for e in world.gates[gate].sim.ledger.events() if e.type == "clock_step")


# -- MQTT identity ----------------------------------------------------------------------------
def takeover_start(world, gate, record) -> None:
    """Another client connects with the gate's client id: the broker drops the gate (on a broker
    without per-account client ids, as the simulator's is); the gate must come back and lose nothing."""
    import paho.mqtt.client as paho

    reporter = world.gates[gate].sim.app.reporter
    intruder = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=reporter.client._client_id.decode())
    intruder.connect(world.broker.host, world.broker.port)
    intruder.loop_start()
    record["_intruder"] = intruder
    _say(world, f"a client took {gate}'s MQTT client id")


def takeover_end(world, gate, record) -> None:
    intruder = record.pop("_intruder")
    intruder.loop_stop()
    intruder.disconnect()
    began = time.monotonic()
    _reconnected(world, [gate], record)
    record["recovery_seconds"] = None if record.get("not_reconnected") else round(time.monotonic() - began, 3)
    _say(world, f"the intruder left; {gate} is {'back' if not record.get('not_reconnected') else 'not back'}")


HANDLERS = {
    "disk_full": (storage_break, storage_mend),
    "ledger_readonly": (storage_break, storage_mend),
    "clock_step": (clock_jump, clock_back),
    "client_takeover": (takeover_start, takeover_end),
    "broker_down": (broker_down, broker_up),
    "camera_unplugged": (camera_out, camera_in),
    "controller_restart": (controller_kill, controller_start),
    "io_link_cut": (link_cut, link_mend),
    "partition": (partition_cut, partition_mend),
    "gate_restart_missed": (restart_missed_kill, restart_missed_start),
}

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


HANDLERS = {
    "broker_down": (broker_down, broker_up),
    "camera_unplugged": (camera_out, camera_in),
    "controller_restart": (controller_kill, controller_start),
    "io_link_cut": (link_cut, link_mend),
    "partition": (partition_cut, partition_mend),
    "gate_restart_missed": (restart_missed_kill, restart_missed_start),
}

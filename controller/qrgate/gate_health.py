"""Is the gate working? Pure: samples of its counters in, a verdict out, time passed as `now`.

The supervisor pets systemd's watchdog only on a healthy verdict, so a decoder thread stuck
in a frame, a capture that stays lost, a ledger that stopped answering or an I/O link that
stays down ends in a restart. Hardware faults the gate heals itself (a camera reconnect,
an OSDP board rebooting) get a grace period before they count.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LaneSample:
    captured: int  # frames read from the camera so far
    decoded: int  # frames the decoder has finished
    camera_ok: bool
    alive: bool  # the lane's capture or decode thread is still running


@dataclass(frozen=True)
class GateSample:
    lanes: tuple[LaneSample, ...]
    ledger_ok: bool
    io_online: bool


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    problems: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return "healthy" if self.healthy else "; ".join(self.problems)


@dataclass
class _LaneTrack:
    decoded: int
    captured_then: int  # frames captured when the decoder last moved
    waiting_since: float | None = None  # first time a newer frame was seen waiting
    lost_since: float | None = None


@dataclass
class HealthWatch:
    decode_stall_after: float = 10.0  # a frame waiting this long undecoded: the decoder is stuck
    camera_grace: float = 60.0  # a camera lost this long: a restart re-initialises the camera stack
    io_grace: float = 60.0  # an I/O link down this long: a restart reopens the serial port
    _lanes: dict[int, _LaneTrack] = field(default_factory=dict)
    _io_down_since: float | None = None

    def assess(self, sample: GateSample, now: float) -> Verdict:
        problems = [p for i, lane in enumerate(sample.lanes) if (p := self._lane(i, lane, now))]
        if not sample.ledger_ok:
            problems.append("ledger: not answering")
        if sample.io_online:
            self._io_down_since = None
        else:
            self._io_down_since = now if self._io_down_since is None else self._io_down_since
            if now - self._io_down_since >= self.io_grace:
                problems.append(f"I/O link: offline for {now - self._io_down_since:.0f} s")
        return Verdict(not problems, tuple(problems))

    def _lane(self, i: int, lane: LaneSample, now: float) -> str | None:
        track = self._lanes.get(i)
        if track is None or lane.decoded != track.decoded:
            lost_since = track.lost_since if track else None
            track = self._lanes[i] = _LaneTrack(lane.decoded, lane.captured, lost_since=lost_since)
        elif lane.captured > track.captured_then and track.waiting_since is None:
            track.waiting_since = now
        if lane.camera_ok:
            track.lost_since = None
        elif track.lost_since is None:
            track.lost_since = now
        if not lane.alive:
            return f"camera {i}: its capture and decode threads have ended"
        if track.waiting_since is not None and now - track.waiting_since >= self.decode_stall_after:
            return f"camera {i}: decoder stuck for {now - track.waiting_since:.0f} s"
        if track.lost_since is not None and now - track.lost_since >= self.camera_grace:
            return f"camera {i}: no frames for {now - track.lost_since:.0f} s"
        return None

"""Every alarm a gate can raise, and their latched state folded from the ledger (pure).

The registry is the one list of alarms: their names, the texts a guard reads (Vietnamese
and English) and the Home Assistant device class of their binary sensor.

The gate records alarms as ledger events: "alarm" (raised) and "alarm_cleared" (the
condition ended), with the alarm's name as the reason; acknowledgements are "alarm_ack"
events. Folding those events in order gives, for each alarm, whether it is *active*
(its condition lasts) and *latched* (raised and not yet acknowledged). Dashboards show an
alarm as on while it is active or latched, so a door forced for one second still shows
until a person has acknowledged it. Because the fold reads only the ledger, the latched
state is exactly as durable as the log: it survives a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

RAISED, CLEARED, ACKED = "alarm", "alarm_cleared", "alarm_ack"
ALARM_EVENT_TYPES = (RAISED, CLEARED, ACKED)


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    vi: str
    en: str
    device_class: str  # Home Assistant binary_sensor device class


REGISTRY: dict[str, AlarmSpec] = {spec.name: spec for spec in (
    AlarmSpec("door_forced", "Cửa bị mở cưỡng bức", "Door forced open", "safety"),
    AlarmSpec("door_held_open", "Cửa mở quá lâu", "Door held open", "problem"),
    AlarmSpec("tamper", "Hộp thiết bị bị mở", "Enclosure tampered", "tamper"),
    AlarmSpec("camera_fault", "Mất tín hiệu camera", "Camera lost", "problem"),
    AlarmSpec("reader_fault", "Mất kết nối máy quét mã", "Scanner module lost", "problem"),
    AlarmSpec("io_board_offline", "Mất kết nối bo mạch I/O", "I/O board offline", "problem"),
    AlarmSpec("clock_unsynced", "Đồng hồ chưa đồng bộ", "Clock not synchronised", "problem"),
    AlarmSpec("storage_fault", "Không ghi được nhật ký (thẻ nhớ đầy hoặc hỏng)", "Event log cannot be written",
              "problem"),
    # a partition let through movements that broke a site rule (qrgate.site.conflicts): latched for the guard
    AlarmSpec("site_conflict", "Vi phạm quy tắc khi các cổng mất liên lạc", "Site rule broken while gates were cut off",
              "problem"),
    AlarmSpec("site_secret_mismatch", "Cổng khác dùng khóa địa điểm khác", "Another gate has a different site secret",
              "problem"),
)}
ALARM_NAMES = tuple(REGISTRY)


@dataclass(frozen=True)
class AlarmChange:
    """An alarm's condition began (active) or ended, at `at` (wall-clock seconds)."""

    alarm: str
    active: bool
    at: float


@dataclass
class Alarm:
    active: bool = False
    latched: bool = False
    since: float | None = None
    acked_at: float | None = None

    @property
    def on(self) -> bool:
        return self.active or self.latched

    def to_json(self) -> dict:
        return {"on": self.on, "active": self.active, "latched": self.latched, "since": self.since,
                "acked_at": self.acked_at}


class AlarmBook:
    """Every alarm of one gate, and the last ledger seq folded in."""

    def __init__(self, saved: dict[str, dict] | None = None, seq: int = 0):
        self.alarms = {name: Alarm() for name in ALARM_NAMES}
        self.seq = seq
        for name, state in (saved or {}).items():
            self.alarms[name] = Alarm(state["active"], state["latched"], state["since"], state["acked_at"])

    def apply(self, seq: int, type_: str, name: str, at: float) -> bool:
        """Fold one ledger event in; True when an alarm changed."""
        self.seq = max(self.seq, seq)
        if type_ not in ALARM_EVENT_TYPES:
            return False
        alarm = self.alarms.setdefault(name, Alarm())
        before = alarm.to_json()
        if type_ == RAISED:
            if not alarm.active:
                alarm.since = at
            alarm.active = alarm.latched = True
            alarm.acked_at = None
        elif type_ == CLEARED:
            alarm.active = False
        elif alarm.latched:
            alarm.latched = False
            alarm.acked_at = at
        return alarm.to_json() != before

    def latched(self, name: str) -> list[str]:
        """The latched alarms an acknowledgement of `name` ("all" for every one) would unlatch."""
        names = list(self.alarms) if name == "all" else [name]
        return [n for n in names if n in self.alarms and self.alarms[n].latched]

    def active(self) -> list[str]:
        return sorted(n for n, alarm in self.alarms.items() if alarm.active)

    def to_json(self) -> dict:
        return {name: alarm.to_json() for name, alarm in self.alarms.items()}

"""TEMPORARY: the lead's action path (qrgate.actions, GateApp.perform) until main has it. Removed at rebase."""
import sys
import threading
import types
from dataclasses import dataclass

from qrgate.app import GateApp
from qrgate.model import Direction
from qrgate.policy.rules import GuardOverride
from qrgate.state.mode import GateMode


@dataclass(frozen=True)
class Action:
    name: str
    by: str
    why: str = ""
    value: object = None
    allow: bool = True
    direction: str = "entry"
    request_id: str = ""
    source: str = "console"


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    reason: str
    event_id: str | None = None


def install():
    if "qrgate.actions" in sys.modules and hasattr(GateApp, "perform"):
        return
    mod = types.ModuleType("qrgate.actions")
    mod.Action, mod.ActionResult = Action, ActionResult
    sys.modules["qrgate.actions"] = mod
    lock = threading.Lock()

    def perform(self, action):
        with lock:
            if action.name == "override":
                o = self.controller.override(GuardOverride(action.by, action.why), Direction(action.direction),
                                             self.clock())
                return ActionResult(True, "done", o.event.id)
            if action.name == "lockdown":
                self.controller.mode = GateMode.LOCKDOWN if action.value else GateMode.NORMAL
                for f in getattr(self, "changed", []):
                    f()
                return ActionResult(True, "done")
            return ActionResult(False, "unknown_command")

    GateApp.perform = perform
    GateApp.alarms = lambda self: {a: {"on": True, "active": True, "latched": True, "since": 0, "acked_at": None}
                                   for a in self._alarms}
    orig_init = GateApp.__init__

    def init(self, *a, **k):
        orig_init(self, *a, **k)
        self.changed = []
    GateApp.__init__ = init

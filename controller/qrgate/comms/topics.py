"""The MQTT topic scheme, in one place (docs/mqtt.md describes each topic with an example).

Per gate, under `<prefix>/<site>/<gate>/`:
  availability  retained "online"/"offline"; the last will says "offline"
  state         retained JSON: mode, door, camera, io_link, occupancy
  counts        retained JSON: today's and total entries, exits, denials; occupancy
  last_denial   retained JSON: the newest denial's reason and time (from the first denial on)
  events        QoS 1 JSON, one message per ledger event, with its id
  alarms        retained JSON: each alarm active/latched, latched until acknowledged
  cmd/<name>    commands to the gate (only the admin identity may publish here)
  result        QoS 1 JSON, one answer per command, with its request id
  history/req/<requester>  JSON, a request for the gate's own events after a seq (the site server's)
  history/ans/<requester>  JSON, the gate's answer: a page of its own events, as on `events`
Per site: `<prefix>/<site>/occupancy` (retained), written by the site's aggregator, and under
`<prefix>/<site>/site/` what reaches every gate (only the admin identity may publish there):
  revocations   retained: the newest signed revocation list
  trust         retained: the newest signed trust update (new or retired pass keys)
  cmd/<name>    site-wide lockdown and free exit, applied by every gate
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMAND_NAMES = ("open", "lockdown", "free_exit", "ack_alarm", "reset_counts", "override", "mark_left")
SITE_LEVEL = "site"  # `<prefix>/<site>/site/...`: for every gate of the site
SITE_COMMAND_NAMES = ("lockdown", "free_exit")  # the site's mode; each gate applies it through perform()
_LEVEL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_level(kind: str, value: str) -> str:
    """A topic level must not hold MQTT wildcards, separators or spaces."""
    if not _LEVEL.match(value or ""):
        raise ValueError(f"{kind} {value!r}: use 1-64 letters, digits, '_' or '-' (it becomes a topic level)")
    return value


def _last_level(head: str, topic: str) -> str | None:
    """What follows `head` in `topic` when it is one more level, else None."""
    return topic[len(head):] if topic.startswith(head) and "/" not in topic[len(head):] else None


@dataclass(frozen=True)
class GateTopics:
    prefix: str
    site: str
    gate: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.site}/{self.gate}"

    @property
    def availability(self) -> str:  # retained "online"/"offline", last will
        return f"{self.base}/availability"

    @property
    def state(self) -> str:  # retained JSON
        return f"{self.base}/state"

    @property
    def counts(self) -> str:  # retained JSON
        return f"{self.base}/counts"

    @property
    def events(self) -> str:  # QoS 1 JSON, one message per event
        return f"{self.base}/events"

    @property
    def last_denial(self) -> str:  # retained JSON {"reason", "at"}, published from the first denial on
        return f"{self.base}/last_denial"

    @property
    def alarms(self) -> str:  # retained JSON, latched alarms
        return f"{self.base}/alarms"

    @property
    def result(self) -> str:  # QoS 1 JSON, one answer per command
        return f"{self.base}/result"

    @property
    def commands(self) -> str:  # subscription filter for every command of this gate
        return f"{self.base}/cmd/+"

    def command(self, name: str) -> str:
        return f"{self.base}/cmd/{name}"

    def command_name(self, topic: str) -> str | None:
        """The command a topic addresses, or None when it is not one of this gate's command topics."""
        return _last_level(f"{self.base}/cmd/", topic)

    @property
    def history_requests(self) -> str:  # subscription filter: every requester's history requests
        return f"{self.base}/history/req/+"

    def history_request(self, requester: str) -> str:
        return f"{self.base}/history/req/{requester}"

    def history_answer(self, requester: str) -> str:
        return f"{self.base}/history/ans/{requester}"

    def history_requester(self, topic: str) -> str | None:
        """Who a history request is from (its topic's last level), or None when it is not one."""
        return _last_level(f"{self.base}/history/req/", topic)

    @property
    def site_occupancy(self) -> str:  # retained JSON, per site
        return f"{self.prefix}/{self.site}/occupancy"

    @property
    def site_counts(self) -> str:  # subscription filter: every gate's retained counts of this site
        return f"{self.prefix}/{self.site}/+/counts"

    @property
    def site_base(self) -> str:
        return f"{self.prefix}/{self.site}/{SITE_LEVEL}"

    @property
    def site_revocations(self) -> str:  # retained, signed revocation list
        return f"{self.site_base}/revocations"

    @property
    def site_trust(self) -> str:  # retained, signed trust update
        return f"{self.site_base}/trust"

    @property
    def site_commands(self) -> str:  # subscription filter for the site-wide commands
        return f"{self.site_base}/cmd/+"

    def site_command(self, name: str) -> str:
        return f"{self.site_base}/cmd/{name}"

    def site_command_name(self, topic: str) -> str | None:
        """The site-wide command a topic addresses, or None."""
        return _last_level(f"{self.site_base}/cmd/", topic)

    @property
    def site_availability(self) -> str:  # subscription filter: every gate's availability in this site
        return f"{self.prefix}/{self.site}/+/availability"

    @property
    def node_id(self) -> str:
        """The gate's Home Assistant node id: one device per gate."""
        return f"{self.prefix}_{self.site}_{self.gate}".replace("-", "_")

"""The sync topics of a site: `<prefix>/<site>/sync/<gate>/<kind>`, written only by <gate>.

  hello    retained JSON: the gate's site-secret fingerprint, the last seq of its own shared
           events (head) and its capacity shares
  events   QoS 1 JSON, one of the gate's own shared events (entries, exits, used code steps)
  req      QoS 1 JSON, {"to": <gate>, "after": {<origin>: <seq>}}: send me what you hold after seq
  batch    QoS 1 JSON, the answer to a req: events of one origin, oldest first

Only the site's gates may read and write them (hardware/mosquitto/acl); dashboards keep
reading `<gate>/events`.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("hello", "events", "req", "batch")


@dataclass(frozen=True)
class SyncTopics:
    prefix: str
    site: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.site}/sync"

    def of(self, gate: str, kind: str) -> str:
        return f"{self.base}/{gate}/{kind}"

    @property
    def all(self) -> str:  # subscription filter: every gate's sync topics
        return f"{self.base}/+/+"

    @property
    def availability(self) -> str:  # subscription filter: every gate's retained online/offline
        return f"{self.prefix}/{self.site}/+/availability"

    def parse(self, topic: str) -> tuple[str, str] | None:
        """(gate, kind) of a sync topic, ("<gate>", "availability") of an availability topic, or None."""
        head = f"{self.prefix}/{self.site}/"
        if not topic.startswith(head):
            return None
        parts = topic[len(head):].split("/")
        if len(parts) == 3 and parts[0] == "sync" and parts[2] in KINDS:
            return parts[1], parts[2]
        if len(parts) == 2 and parts[1] == "availability":
            return parts[0], "availability"
        return None

"""Site occupancy from every gate's retained counts (pure).

Each gate controller keeps its own ledger, so a visitor who enters at gate A and leaves at
gate B is "inside" in A's presence table and never was in B's: summing per-gate occupancy
would count them forever. What is exact across gates is the flow: everyone inside the site
came in through some gate and has not yet gone out through any, so

    site occupancy = sum over gates of (total entries - total exits), never below zero.

One gate per site (config: the site aggregator) subscribes to `<prefix>/<site>/+/counts`
and publishes the result, retained, on `<prefix>/<site>/occupancy`.
"""

from __future__ import annotations


class SiteTally:
    def __init__(self, site_counts_filter: str, cap: int | None = None):
        head, _, _ = site_counts_filter.partition("+")
        self._head = head  # "<prefix>/<site>/"
        self.cap = cap
        self.net: dict[str, int] = {}
        self.online: dict[str, bool] = {}

    def _gate_of(self, topic: str, leaf: str) -> str | None:
        if not topic.startswith(self._head) or not topic.endswith("/" + leaf):
            return None
        gate = topic[len(self._head):-len(leaf) - 1]
        return gate if gate and "/" not in gate else None

    def availability(self, topic: str, payload: str) -> bool:
        """Take one gate's availability ("online"/"offline"); True when the count of gates online changed."""
        gate = self._gate_of(topic, "availability")
        if gate is None:
            return False
        before = sum(self.online.values())
        if payload:
            self.online[gate] = payload.strip() == "online"
        else:
            self.online.pop(gate, None)
        return sum(self.online.values()) != before

    def update(self, topic: str, counts: object) -> bool:
        """Take one gate's retained counts; True when the site figure may have changed."""
        gate = self._gate_of(topic, "counts")
        if gate is None:
            return False
        if counts is None:  # a gate's retained counts were cleared: it left the site
            return self.net.pop(gate, None) is not None
        total = counts.get("total") if isinstance(counts, dict) else None
        if not isinstance(total, dict):
            return False
        entries, exits = total.get("entries"), total.get("exits")
        if not isinstance(entries, int) or not isinstance(exits, int):
            return False
        net = entries - exits
        changed = self.net.get(gate) != net
        self.net[gate] = net
        return changed

    def to_json(self, at: float) -> dict:
        occupancy = max(0, sum(self.net.values()))
        return {"occupancy": occupancy, "gates": dict(sorted(self.net.items())),
                "cap": self.cap, "free": None if self.cap is None else max(0, self.cap - occupancy),
                "gates_online": sum(self.online.values()), "at": round(at, 3)}

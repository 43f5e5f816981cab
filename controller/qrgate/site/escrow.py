"""Capacity escrow: caps that hold while gates cannot talk (pure; time comes in as `now`).

Each gate of a site holds a share of the free places of every cap (the site's, and its
zone's). While the gates talk, a gate decides on the whole site's occupancy, and keeps
free the shares of any gate it cannot hear (that gate may be admitting within them). A
gate cut off from the broker admits only within its own share, as it last computed it,
less what it has admitted since it was cut off (plus what left through it since).

    share of gate g = the free places (cap - occupancy) split evenly over the site's gates,
                      the remainder one each to the first gates in sorted order

The cost: while a partition lasts, the places held in the shares of the gates that stay
idle cannot be used by the others: at most (number of gates - 1) x share places, i.e.
nearly all free places when people arrive at one gate only. They come back when the gates
talk again and the shares are split anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


def split(free: int, gates: Iterable[str]) -> dict[str, int]:
    """Free places split evenly over the gates; the remainder one each to the first in sorted order."""
    names = sorted(set(gates))
    if not names:
        return {}
    free = max(0, free)
    base, extra = divmod(free, len(names))
    return {g: base + (1 if i < extra else 0) for i, g in enumerate(names)}


@dataclass(frozen=True)
class Pool:
    """One cap and the gates that admit into it (the site's cap: every gate; a zone's: its gates)."""

    cap: int
    gates: tuple[str, ...]

    def share(self, gate: str, occupancy: int) -> int:
        return split(self.cap - occupancy, self.gates).get(gate, 0)

    def room_connected(self, occupancy: int, unheard_shares: Iterable[int]) -> int:
        """Places this gate may fill while it talks to the site: the cap less the occupancy and the
        shares held by the gates it cannot hear."""
        return self.cap - occupancy - sum(unheard_shares)

    def room_cut_off(self, occupancy: int, frozen_share: int, admitted_since_cut: int) -> int:
        """Places a cut-off gate may fill: its share as it was at the cut, less its net admissions since
        (entries that added someone, less exits of people inside), and never above the cap it sees."""
        return min(self.cap - occupancy, frozen_share - admitted_since_cut)

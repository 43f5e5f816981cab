"""Stays, overlaps and occupancy: the pure part of contact tracing."""

from __future__ import annotations

from qrgate.server.stays import Stay, clip, occupancy_series, overlaps


def test_overlaps_are_per_place_and_longest_total_first():
    case = [Stay("case", "hall", 100.0, 700.0, "g1", "g2"), Stay("case", "lab", 800.0, 1000.0, "g3", "g3")]
    others = [Stay("a", "hall", 0.0, 160.0, "g1", "g1"),  # 1 minute with the case
              Stay("b", "hall", 400.0, 2000.0, "g2", None),  # 5 minutes
              Stay("b", "lab", 0.0, 900.0, "g3", "g3"),  # and 100 s in the lab
              Stay("c", "lab", 0.0, 790.0, "g3", "g3"),  # left the lab before the case came
              Stay("case", "hall", 0.0, 5000.0, "g1", None)]  # the case itself is never a contact
    found = overlaps(case, others)
    assert [(c["pseudonym"], c["place"], c["start"], c["end"], c["minutes"]) for c in found] == [
        ("b", "hall", 400.0, 700.0, 5.0), ("b", "lab", 800.0, 900.0, 1.7), ("a", "hall", 100.0, 160.0, 1.0)]
    assert found[0]["exit_gate"] is None and found[2]["exit_gate"] == "g1"


def test_clip_keeps_the_part_inside_the_window_and_before_now():
    stay = Stay("x", "site1", 100.0, 500.0, "g1", "g2")
    assert clip(stay, 200.0, 1000.0) == Stay("x", "site1", 200.0, 500.0, "g1", "g2")
    assert clip(stay, 0.0, 1000.0, now=300.0).end == 300.0
    assert clip(stay, 500.0, 1000.0) is None


def test_occupancy_counts_the_stays_covering_each_instant():
    stays = [Stay("a", "s", 0.0, 100.0, "g", "g"), Stay("b", "s", 50.0, 150.0, "g", "g"),
             Stay("c", "s", 100.0, 120.0, "g", "g")]
    # at 100, a has left as c comes in: an exit and an entry at the same instant
    assert occupancy_series(stays, 0.0, 200.0, 50.0) == [(0.0, 1), (50.0, 2), (100.0, 2), (150.0, 0), (200.0, 0)]

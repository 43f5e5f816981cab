"""Stays and occupancy: the pure part of reports and tracing."""

from __future__ import annotations

from qrgate.server.stays import Stay, clip, occupancy_series


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

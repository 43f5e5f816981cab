"""When people arrive: a Poisson process whose rate rises in rush hours (pure, seeded)."""

from __future__ import annotations

import random


def rate_at(minute: float, base: float, rushes) -> float:
    for rush in rushes:
        if rush.start_minute <= minute < rush.start_minute + rush.minutes:
            return rush.rate_per_minute
    return base


def arrival_minutes(duration: float, base: float, rushes, rng: random.Random) -> list[float]:
    """Arrival times in minutes from the start, by thinning a process at the highest rate."""
    peak = max([base] + [r.rate_per_minute for r in rushes])
    times: list[float] = []
    if peak <= 0:
        return times
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= duration:
            return times
        if rng.random() < rate_at(t, base, rushes) / peak:
            times.append(t)

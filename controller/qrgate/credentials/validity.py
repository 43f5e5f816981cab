"""The time window check shared by every credential kind."""

from __future__ import annotations


def window_reason(valid_from: float | None, valid_until: float | None, now: float) -> str | None:
    """None when `now` lies inside [valid_from, valid_until], else the reason it does not."""
    if valid_from is not None and now < valid_from:
        return "not_yet_valid"
    if valid_until is not None and now > valid_until:
        return "expired"
    return None

"""Visitors with passes, and what the gate should answer each of them (the ground truth)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from qrgate.credentials import native
from qrgate.credentials.base45 import b45decode, b45encode
from qrgate.credentials.keys import load_private_key

HOUR = 3600


@dataclass(frozen=True)
class Visit:
    """One visitor holding one code to one camera, and the answer the gate owes them."""

    who: str  # a simulator pseudonym, e.g. "visitor-07"
    behaviour: str
    camera: str  # "entry" or "exit"
    payload: str
    expect_granted: bool
    expect_reason: str


class PassOffice:
    """Issues passes the way a site's reception would, with the site's signing key."""

    def __init__(self, key_path: str, issuer_secret: bytes):
        self.key_path = key_path  # the site's signing key file, for what else signs passes (the declaration)
        _kid, self.key = load_private_key(key_path)
        self.secret = issuer_secret

    def issue(self, who: str, valid_from: float, valid_until: float, kind: str = "visitor", **binding) -> str:
        """binding: site, zones, gates, entries_per_day, rotating, pass_id (see native.PassFields)."""
        return native.issue(self.key, native.PassFields(
            kind=kind, holder=native.holder_pseudonym(self.secret, who),
            valid_from=int(valid_from), valid_until=int(valid_until), **binding))

    def rotating_code(self, static_payload: str, rotation_key: bytes, now: float) -> str:
        """What the holder's phone shows at `now` for a pass issued with rotating=True."""
        from qrgate.credentials import rotating

        kid, pass_id = native.ids_of(static_payload)
        return rotating.present(static_payload, rotating.pass_secret(rotation_key, kid, pass_id), now)


def forge_extension(payload: str, extra_seconds: int = 30 * 24 * HOUR) -> str:
    """What a forger does: push valid_until forward and keep the old signature."""
    raw = bytearray(b45decode(payload[len(native.PREFIX):]))
    until_at = 2 + 4 + 6 + 8 + 4  # offset of valid_until in the body layout
    value = int.from_bytes(raw[until_at:until_at + 4], "big") + extra_seconds
    raw[until_at:until_at + 4] = value.to_bytes(4, "big")
    return native.PREFIX + b45encode(bytes(raw))


def demo_script(office: PassOffice, now: float, steps: int, seed: int = 7) -> list[Visit]:
    """A stream of visitors: mostly valid, some expired, early, forged, or trying to enter twice."""
    rng = random.Random(seed)
    inside: list[tuple[str, str]] = []  # (who, payload)
    visits: list[Visit] = []
    serial = 0
    for _ in range(steps):
        serial += 1
        who = f"visitor-{serial:02d}"
        roll = rng.random()
        if inside and roll < 0.10:
            w, p = inside[rng.randrange(len(inside))]
            visits.append(Visit(w, "enters again", "entry", p, False, "already_inside"))
        elif inside and roll < 0.30:
            w, p = inside.pop(rng.randrange(len(inside)))
            visits.append(Visit(w, "leaves", "exit", p, True, "granted"))
        elif roll < 0.40:
            p = office.issue(who, now - 10 * HOUR, now - 2 * HOUR)
            visits.append(Visit(who, "expired pass", "entry", p, False, "expired"))
        elif roll < 0.46:
            p = office.issue(who, now + 2 * HOUR, now + 10 * HOUR)
            visits.append(Visit(who, "pass not yet valid", "entry", p, False, "not_yet_valid"))
        elif roll < 0.55:
            p = forge_extension(office.issue(who, now - 10 * HOUR, now - HOUR))
            visits.append(Visit(who, "forged pass", "entry", p, False, "bad_signature"))
        else:
            p = office.issue(who, now - HOUR, now + 8 * HOUR)
            visits.append(Visit(who, "valid pass", "entry", p, True, "granted"))
            inside.append((who, p))
    return visits

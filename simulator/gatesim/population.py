"""The people of a scenario and the credentials they carry."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from .visitors import HOUR, PassOffice, forge_extension

DAY = 24 * HOUR


@dataclass
class Person:
    who: str  # a simulator pseudonym: "app-012", "paper-003", "health-007", "cccd-004"
    credential: str  # "app_pass", "paper_pass", "health_certificate", "cccd_listed", "cccd_unlisted"
    payload: str  # exactly what their QR code holds
    citizen: object | None = None  # a CCCD holder's made-up identity (gatesim.vietnam.FakeCitizen)
    symptomatic: bool = False  # a declaring visitor who answers yes to a health question


class HealthAuthority:
    """A test signer for EU digital COVID certificates, trusted by the simulated gates only."""

    def __init__(self, workdir: Path, now: float):
        from qrgate.credentials.dcc import issue as dcc_issue

        self._issue = dcc_issue
        self.signer = dcc_issue.make_test_signer(now - 365 * DAY, now + 365 * DAY)
        self.trust_file = workdir / "health-signers.pem"
        self.trust_file.write_bytes(self.signer.certificate_pem)

    def certificate(self, serial: int, now: float, rng: random.Random) -> str:
        kind = rng.choice(("vaccination", "vaccination", "recovery", "test"))
        name = {"fn": "Tester", "fnt": "TESTER", "gn": f"Sim{serial}", "gnt": f"SIM{serial}"}
        day = lambda offset: time.strftime("%Y-%m-%d", time.gmtime(now + offset * DAY))
        recent = {"vaccination": {"dt": day(-60)},
                  "recovery": {"fr": day(-40), "df": day(-29), "du": day(140)},
                  "test": {"sc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 6 * HOUR))}}[kind]
        payload = self._issue.sample_payload(kind, name=name, **recent)
        return self._issue.issue_dcc(self.signer, payload, now - DAY, now + 180 * DAY)


def make_population(office: PassOffice, health: HealthAuthority | None, counts, now: float,
                    rng: random.Random) -> list[Person]:
    people = []
    for i in range(counts.app_passes):
        people.append(Person(f"app-{i:03d}", "app_pass", office.issue(f"app-{i:03d}", now - HOUR, now + 2 * DAY)))
    for i in range(counts.paper_passes):
        people.append(Person(f"paper-{i:03d}", "paper_pass",
                             office.issue(f"paper-{i:03d}", now - HOUR, now + 2 * DAY)))
    for i in range(counts.health_certificates):
        people.append(Person(f"health-{i:03d}", "health_certificate", health.certificate(i, now, rng)))
    people += cccd_holders(counts.cccd_holders, counts.cccd_listed_share, now, rng)
    people += declaring_visitors(counts.declared_phone, counts.declared_guard, counts.symptomatic_share, now, rng)
    rng.shuffle(people)
    return people


def cccd_holders(count: int, listed_share: float, now: float, rng: random.Random) -> list[Person]:
    """Made-up people with a CCCD card; the first `listed_share` of them are on the site's list."""
    from qrgate.credentials.citizen_id import today

    from .vietnam import cccd_text, fake_citizen

    listed = round(count * listed_share)
    people = []
    for i in range(count):
        citizen = fake_citizen(rng, today(now))
        kind = "cccd_listed" if i < listed else "cccd_unlisted"
        people.append(Person(f"cccd-{i:03d}", kind, cccd_text(citizen, empty_fields=i % 2), citizen))
    return people


def declaring_visitors(by_phone: int, by_guard: int, symptomatic_share: float, now: float,
                       rng: random.Random) -> list[Person]:
    """Made-up people who declare at the door: on their phone, or through the guard (no smartphone).
    Their pass comes when they declare (gatesim.declaring); until then they hold nothing."""
    from qrgate.credentials.citizen_id import today

    from .vietnam import fake_citizen

    people = []
    for path, count in (("declared_phone", by_phone), ("declared_guard", by_guard)):
        for i in range(count):
            people.append(Person(f"{path.split('_')[1]}-decl-{i:03d}", path, "", fake_citizen(rng, today(now)),
                                 symptomatic=rng.random() < symptomatic_share))
    return people


def bad_pass(office: PassOffice, who: str, kind: str, now: float) -> str:
    """A pass that must be refused: expired, or forged by pushing its expiry forward."""
    if kind == "expired":
        return office.issue(who, now - 3 * DAY, now - DAY)
    return forge_extension(office.issue(who, now - 3 * DAY, now - DAY))

"""A declaration service on a real SQLite file, synthetic visitors, and their form fields."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from gatesim.vietnam import fake_citizen
from qrgate.credentials.keys import load_private_key
from qrgate.pseudonym import load_or_create_secret
from qrgate.server.declaration.service import DeclarationService
from qrgate.server.declaration.settings import DeclarationSettings

SITE_NUMBER = 7
#: 2026-11-30 10:00 in Hanoi
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()
TODAY = dt.date(2026, 11, 30)


def form_of(person, **overrides) -> dict[str, str]:
    fields = {"name": person.name, "birth": person.birth.isoformat(), "phone": person.phone, "cccd": person.number,
              "q_fever": "no", "q_cough": "no", "q_contact": "no", "consent": "yes"}
    fields.update(overrides)
    return fields


@pytest.fixture
def people():
    rng = random.Random(17)
    return [fake_citizen(rng, TODAY) for _ in range(6)]


def make_service(tmp_path, keys, **settings) -> DeclarationService:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'site.db'}")
    secret = load_or_create_secret(tmp_path / "site.secret")
    return DeclarationService(engine, DeclarationSettings(site_number=SITE_NUMBER, **settings), site_secret=secret,
                              signing_key=load_private_key(keys["private_key"])[1])


@pytest.fixture
def service(tmp_path, keys):
    return make_service(tmp_path, keys)

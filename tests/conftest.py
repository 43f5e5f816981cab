"""Shared fixtures: a real Mosquitto on a free loopback port, keys, a pass office."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gatesim.broker import MosquittoBroker
from gatesim.visitors import PassOffice
from qrgate.credentials import TrustStore
from qrgate.credentials.keys import issuer_secret, new_key
from qrgate.errors import BrokerError

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def mosquitto():
    """A real broker for the whole session; a missing Mosquitto fails loudly, never skips."""
    try:
        broker = MosquittoBroker()
    except BrokerError as exc:
        pytest.fail(f"these tests need a real Mosquitto broker: {exc}. "
                    "Run 'make test', which installs it, or 'apt-get install mosquitto'.")
    yield broker
    broker.close()


@pytest.fixture
def keys(tmp_path):
    return new_key(tmp_path / "keys")


@pytest.fixture
def trust(keys):
    return TrustStore.from_files([keys["trust"]])


@pytest.fixture
def office(keys):
    return PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))


@pytest.fixture
def now():
    return time.time()

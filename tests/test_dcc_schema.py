"""Which DCC schema release a payload is checked against, and the check itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrgate.credentials.dcc import schema as dcc_schema
from qrgate.credentials.dcc.issue import sample_payload

SCHEMA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "dcc-schema"
RELEASES = ["1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "1.3.2"]


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "schemas"
    for release in RELEASES:
        (root / release).mkdir(parents=True)
    (root / "notes").mkdir()  # not a release: ignored
    return root


@pytest.mark.parametrize("version,declared,newest", [
    ("1.0.0", "1.0.0", "1.3.2"),
    ("1.0.5", "1.0.1", "1.3.2"),
    ("1.2.1", "1.2.1", "1.3.2"),
    ("1.3.1", "1.3.2", "1.3.2"),   # tie between 1.3.0 and 1.3.2: the higher wins
    ("1.3.9", "1.3.2", "1.3.2"),
    ("1.4.0", None, "1.3.2"),
    ("2.0.0", None, None),
    ("1.0", None, None),
    (None, None, None),
    (100, None, None),
])
def test_pick_release(folder, version, declared, newest):
    assert dcc_schema.pick_release(folder, version, "declared") == declared
    assert dcc_schema.pick_release(folder, version, "newest") == newest


def test_unknown_policy_is_refused(folder):
    with pytest.raises(ValueError, match="policy"):
        dcc_schema.pick_release(folder, "1.0.0", "latest")


def test_an_empty_or_missing_folder_means_not_checked(tmp_path):
    assert dcc_schema.schema_errors(tmp_path / "absent", sample_payload("test")) is None
    assert dcc_schema.schema_errors(tmp_path, sample_payload("test")) is None


needs_schemas = pytest.mark.usefixtures("dcc_schemas")  # fails, naming them, when the schemas are absent


@needs_schemas
@pytest.mark.parametrize("kind", ["vaccination", "recovery", "test"])
@pytest.mark.parametrize("ver", ["1.0.0", "1.2.1", "1.3.0"])
def test_sample_payloads_are_valid(kind, ver):
    for policy in dcc_schema.POLICIES:
        assert dcc_schema.schema_errors(SCHEMA_DIR, sample_payload(kind, ver=ver), policy) == []


@needs_schemas
def test_partial_birth_date_needs_a_later_release_than_its_ver():
    doc = sample_payload("test", ver="1.0.0", dob="1963")
    assert dcc_schema.schema_errors(SCHEMA_DIR, doc, "newest") == []
    assert dcc_schema.schema_errors(SCHEMA_DIR, doc, "declared") != []


@needs_schemas
@pytest.mark.parametrize("change", [
    {"dob": "01.01.1990"},
    {"ver": "9.9.9"},
    {"nam": {"fn": "Tester"}},
])
def test_invalid_payloads_have_errors(change):
    doc = {**sample_payload("vaccination"), **change}
    assert dcc_schema.schema_errors(SCHEMA_DIR, doc) != []

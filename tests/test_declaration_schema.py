"""schemathesis drives the declaration API from its own schema: every answer is one the schema
lists, never a server error, and whatever is sent comes back as a known status (bounded run)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from qrgate.credentials.keys import load_private_key, new_key
from qrgate.server.declaration.service import DeclarationService
from qrgate.server.declaration.settings import DeclarationSettings
from qrgate.server.declaration.web import DeclarationSite


def _app():
    folder = Path(tempfile.mkdtemp(prefix="qrgate-decl-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    keys = new_key(folder / "keys")
    engine = sa.create_engine(f"sqlite:///{folder / 'site.db'}")  # a file: the app's threads share it
    service = DeclarationService(engine, DeclarationSettings(site_number=7, per_address_per_minute=10_000,
                                                             per_phone_per_day=10_000),
                                 site_secret=b"s" * 32, signing_key=load_private_key(keys["private_key"])[1])
    return DeclarationSite(service).app()


SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", _app())
DECLARE = SCHEMA["/api/declarations"]["POST"]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=DECLARE.as_strategy())
def test_the_declaration_api_answers_as_its_schema_says(case):
    response = case.call()
    assert response.status_code in (200, 400, 413, 422, 429), response.text
    # the schema states the fields' shapes; a shape-valid form can still be refused (422) for
    # what a schema cannot say (a province code, a date that does not exist, the birth year in the
    # number), so a positive case is not required to be accepted
    case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])

"""What a gate's declaration desk says when the site server's database is not the right one,
is not set up, or cannot be reached; and the [web] keys that set it up."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from declaration_fixtures import make_service
from qrgate.pseudonym import load_or_create_secret
from qrgate.server.declaration.guard_desk import DeskUnavailable
from qrgate.web.config import WebConfig
from qrgate.web.declaration_desk import SiteDeclarations


@pytest.fixture
def published(tmp_path, keys):
    """A declaration database as the site server leaves it, and its URL."""
    service = make_service(tmp_path, keys, questions=[{"id": "travel", "vi": "Đi nước ngoài?", "en": "Abroad?"}])
    service.publish_settings(0.0)
    return f"sqlite:///{tmp_path / 'site.db'}"


def desk_source(tmp_path, keys, url, *, secret="site.secret", site_number=7):
    return SiteDeclarations(url, load_or_create_secret(tmp_path / secret), keys["private_key"], site_number)


def test_the_desk_asks_the_questions_the_server_published(tmp_path, keys, published):
    service = desk_source(tmp_path, keys, published)()
    assert [q.id for q in service.settings.questions] == ["travel"]
    assert service.settings.site_number == 7


def test_the_server_publishing_again_replaces_its_settings(tmp_path, keys, published):
    make_service(tmp_path, keys).publish_settings(1.0)
    service = desk_source(tmp_path, keys, published)()
    assert [q.id for q in service.settings.questions] == ["fever", "cough", "contact"]


def test_a_database_of_a_site_with_another_secret_is_refused(tmp_path, keys, published):
    with pytest.raises(DeskUnavailable, match="another site secret"):
        desk_source(tmp_path, keys, published, secret="other.secret")()


def test_a_server_declaring_for_another_site_number_is_refused(tmp_path, keys, published):
    with pytest.raises(DeskUnavailable, match="site number 7, but this gate is site 9"):
        desk_source(tmp_path, keys, published, site_number=9)()


def test_a_database_no_server_set_up_is_named(tmp_path, keys):
    sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}").connect().close()
    with pytest.raises(DeskUnavailable, match=r"empty\.db holds no declaration settings"):
        desk_source(tmp_path, keys, f"sqlite:///{tmp_path / 'empty.db'}")()


def test_a_database_server_that_does_not_answer_is_named_and_tried_again(tmp_path, keys):
    source = desk_source(tmp_path, keys, "postgresql://qrgate@127.0.0.1:1/site")
    for _attempt in range(2):  # not remembered as broken: each use tries again
        with pytest.raises(DeskUnavailable, match=r"127\.0\.0\.1:1/site cannot be read"):
            source()


def test_the_web_table_refuses_a_desk_database_that_does_not_exist_or_cannot_sign(tmp_path, keys, published):
    with pytest.raises(ValidationError, match="no such database file"):
        WebConfig(declaration_database=f"sqlite:///{tmp_path / 'missing.db'}", pass_key=keys["private_key"])
    with pytest.raises(ValidationError, match="use the site server's"):
        WebConfig(declaration_database="mysql://x@y/z", pass_key=keys["private_key"])
    with pytest.raises(ValidationError, match="set pass_key"):
        WebConfig(declaration_database=published)
    assert WebConfig(declaration_database=published, pass_key=keys["private_key"]).declaration_database == published

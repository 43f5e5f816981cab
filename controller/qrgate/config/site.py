"""[site]: the facility this gate belongs to."""

from __future__ import annotations

from pydantic import Field, field_validator

from ..comms.topics import check_level
from .base import ConfigModel, fail


def topic_level(value: str) -> str:
    """A name that becomes one MQTT topic level: no wildcard, separator or space."""
    try:
        return check_level("", value)
    except ValueError:
        fail(f"{value!r}: use 1-64 letters, digits, '_' or '-' (it becomes an MQTT topic level)")


class SiteConfig(ConfigModel):
    id: str = Field("site1", description="Site name, used in MQTT topics (1-64 letters, digits, '_' or '-')")
    secret_file: str = Field("/var/lib/qrgate/site.secret",
                             description="Secret that keys holder pseudonyms in the log; made on first start")

    @field_validator("id")
    @classmethod
    def _id_is_a_topic_level(cls, value: str) -> str:
        return topic_level(value)

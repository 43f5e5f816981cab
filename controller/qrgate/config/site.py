"""[site]: the facility this gate belongs to."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from ..comms.topics import check_level
from ..pseudonym import MIN_SECRET_BYTES
from ..site.config import SiteSyncConfig
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
                             description="Secret that keys holder pseudonyms in the log, the same at every gate of "
                                         "the site (qrgate site secret export|import); made on first start")
    sync: SiteSyncConfig = Field(default_factory=SiteSyncConfig,
                                 description="Shared presence with the site's other gates (docs/site.md)")

    @field_validator("id")
    @classmethod
    def _id_is_a_topic_level(cls, value: str) -> str:
        return topic_level(value)

    @model_validator(mode="after")
    def _secret_usable(self) -> "SiteConfig":
        path = Path(self.secret_file)
        if path.exists():  # made on first start when missing; one that is there must be usable
            try:
                size = len(path.read_bytes())
            except OSError as exc:
                fail(f"cannot read {path} ({exc.strerror})", "secret_file")
            if size < MIN_SECRET_BYTES:
                fail(f"{path} holds {size} bytes; it needs at least {MIN_SECRET_BYTES}", "secret_file")
        return self

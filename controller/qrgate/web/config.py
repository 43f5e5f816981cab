"""`[web]`: the visitor's screen and the guard's console served by the gate."""

from __future__ import annotations

from pathlib import Path

from pydantic import ConfigDict, Field, field_validator, model_validator

from ..config.base import ConfigModel, fail

#: beside the guards file: the local API's address and token, readable only by the gate's user
API_FILE_NAME = "gate-api.json"


class WebConfig(ConfigModel):
    model_config = ConfigDict(frozen=True)

    enabled: bool = Field(False, description="Serve the visitor's screen and the guard's console (on a gate "
                                             "with a screen: the Pi install turns it on)")
    host: str = Field("127.0.0.1", description="Address the pages bind to; loopback unless the site "
                                               "puts the console on its network")
    port: int = Field(8080, ge=0, le=65535, description="TCP port (0: any free port, for tests)")
    guards_file: str = Field("/var/lib/qrgate/guards.json",
                             description="Guards and their argon2 password hashes (qrgate guard add); "
                                         "its folder also holds the local API token file")
    session_minutes: float = Field(30.0, gt=0, description="A console session ends after this many "
                                                           "minutes without use")
    show_seconds: float = Field(4.0, gt=0, description="How long the screen shows a result before idle")
    pass_key: str | None = Field(None, description="The site's signing key for paper day passes "
                                                  "(qrgate keys new); none: the console cannot print passes")
    paper_pass_hours: float = Field(12.0, gt=0, description="How long a paper day pass is valid")
    timezone: str | None = Field(None, description="Time zone printed on paper passes; none: the gate's")
    declaration_database: str | None = Field(
        None, description="The site server's database (its [database] url: sqlite:///PATH or "
                          "postgresql://USER@HOST/NAME): set, the console gets the health declaration desk "
                          "for visitors without a phone (/console/declare); needs pass_key")

    @field_validator("declaration_database")
    @classmethod
    def _a_server_database(cls, value: str | None) -> str | None:
        if value is None or value.startswith(("postgresql://", "postgresql+psycopg://")):
            return value
        if not value.startswith("sqlite:///"):
            fail(f"{value!r}: use the site server's [database] url, sqlite:///PATH or postgresql://USER@HOST/NAME")
        path = Path(value.removeprefix("sqlite:///"))
        if not path.is_file():  # never a new empty file in place of the server's
            fail(f"{path}: no such database file; the site server makes it on its first start "
                 "(qrgate site serve), and the desk needs that one")
        return value

    @model_validator(mode="after")
    def _desk_prints_passes(self) -> "WebConfig":
        if self.declaration_database and not self.pass_key:
            fail("the declaration desk prints day passes: set pass_key to the site's signing key", "pass_key")
        return self

    @property
    def state_dir(self) -> Path:
        return Path(self.guards_file).parent

    @property
    def api_file(self) -> Path:
        return self.state_dir / API_FILE_NAME

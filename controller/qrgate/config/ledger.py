"""[ledger]: the gate's durable event log."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel


class LedgerConfig(ConfigModel):
    path: str = Field("/var/lib/qrgate/ledger.sqlite3", description="SQLite file of the durable event log")
    retention_days: float = Field(30.0, ge=1, description="Days events are kept; older rows are purged")

"""The [site.sync] table: whether and how this gate shares its movements with the site's other gates.

    [site.sync]
    enabled = true
    gates = ["north", "south", "east"]   # every gate of the site: the capacity shares are split among them

The partition and presence-expiry rules are the site's policy (policy.on_partition,
policy.presence_expiry_hours, policy.daily_reset_at, policy.exit_button_as_exit).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from ..config.base import ConfigModel, fail


class SiteSyncConfig(ConfigModel):
    enabled: bool = Field(True, description="Share entries and exits with the site's other gates over MQTT "
                                            "(needs mqtt.enabled); off: this gate knows only its own movements")
    gates: list[str] = Field(default_factory=list,
                             description="Every gate id of the site; capacity shares are split among them. Empty: "
                                         "the gates heard on the broker (list them when a cap is set)")
    startup_check_seconds: float = Field(3.0, ge=0, description="At start, how long to wait for the broker and the "
                                                                "other gates' site-secret fingerprints before "
                                                                "deciding alone")
    batch: int = Field(500, ge=1, le=5000, description="Events per catch-up message")

    @field_validator("gates")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        for i, gate in enumerate(value):
            if gate in value[:i]:
                fail(f"{gate!r} is listed twice", f"[{i}]")
        return value

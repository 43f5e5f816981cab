"""The [site.sync] table: whether and how this gate shares its movements with the site's other gates.

    [site.sync]
    enabled = true
    gates = ["north", "south", "east"]   # every gate of the site: the capacity shares are split among them

The partition and presence-expiry rules are the site's policy (policy.on_partition,
policy.presence_expiry_hours, policy.daily_reset_at, policy.exit_button_as_exit).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..configfield import setting


@dataclass
class SiteSyncConfig:
    enabled: bool = setting(True, "Share entries and exits with the site's other gates over MQTT "
                            "(needs mqtt.enabled); off: this gate knows only its own movements")
    gates: list[str] = setting([], "Every gate id of the site; capacity shares are split among them. Empty: "
                               "the gates heard on the broker (list them when a cap is set)")
    startup_check_seconds: float = setting(3.0, "At start, how long to wait for the broker and the other "
                                           "gates' site-secret fingerprints before deciding alone", minimum=0)
    batch: int = setting(500, "Events per catch-up message", minimum=1)

"""What an unsigned identity code is worth at the gate: the [policy.identity] table.

The CCCD card's QR and PC-Covid's code carry no signature; anyone can print one. Per format
the site chooses:

    deny           refuse it (the default)
    listed         admit only holders on a site list (`qrgate list import`)
    guard_confirm  amber light: the guard compares the ID with the person, then confirms or
                   refuses (console, MQTT command or CLI); no answer within confirm_seconds
                   is a refusal
    register       admit, and keep the movement under the holder's pseudonym for contact tracing

    [policy.identity]
    cccd = "guard_confirm"
    pccovid = "listed"
    lists = ["staff", "patients"]
    confirm_seconds = 30
"""

from __future__ import annotations

from dataclasses import dataclass

IDENTITY_MODES = ("deny", "listed", "guard_confirm", "register")
IDENTITY_FORMATS = ("cccd", "pccovid")

#: the reason a grant gives in each mode (a re-entry keeps its own reason)
GRANT_REASONS = {"listed": "granted_listed", "register": "granted_registered", "guard_confirm": "guard_confirmed"}
PENDING_REASON = "awaiting_guard"


@dataclass(frozen=True)
class IdentityRules:
    """decide()'s view of [policy.identity] (qrgate.policy.config.IdentityConfig describes each field)."""

    cccd: str = "deny"
    pccovid: str = "deny"
    lists: tuple[str, ...] = ()
    confirm_seconds: float = 30.0

    def mode(self, format: str) -> str | None:
        """The mode for a format, or None for formats this table does not govern."""
        return getattr(self, format) if format in IDENTITY_FORMATS else None


def judge(credential, rules: IdentityRules, listed: bool | None, confirmed: bool) -> tuple[str | None, str | None, bool]:
    """(refusal reason, grant reason, waits for the guard) for an identity credential.

    listed: whether the holder is on one of the site's lists (None: not known, e.g. no list).
    confirmed: the guard has already confirmed this scan.
    """
    mode = rules.mode(credential.format)
    if mode is None:
        return None, None, False
    if mode == "deny":
        return "identity_not_accepted", None, False
    if mode == "listed":
        if credential.attributes.get("masked"):
            return "masked_not_listable", None, False
        return (None, GRANT_REASONS[mode], False) if listed else ("not_on_list", None, False)
    if mode == "guard_confirm":
        return None, GRANT_REASONS[mode], not confirmed
    return None, GRANT_REASONS[mode], False

"""The day pass a passing declaration gets: a signed qrgate pass of the health_declaration kind.

Valid from the moment of declaring to the end of that local day, bound to the site's number,
its holder field the site's log pseudonym of the declared CCCD number (the one a scan of the
card gives: qrgate.pseudonym, credentials.cccd), so the pass and the card log as one person.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ...credentials import citizen_id as cid
from ...credentials import native
from ...model import Credential
from ...pseudonym import credential_pseudonym


def holder_of(site_secret: bytes, cccd_number: str) -> str:
    """The log's pseudonym of a CCCD number: what a scan of that card records (16 hex digits)."""
    card = Credential(format="cccd", holder=cid.id_holder(site_secret, "cccd", cccd_number),
                      holder_scope=cid.ID_SCOPE)
    return credential_pseudonym(site_secret, card)


def local_day(now: float, timezone: str) -> dt.date:
    return dt.datetime.fromtimestamp(now, ZoneInfo(timezone)).date()


def day_end(day: dt.date, timezone: str) -> int:
    """The last second of a local day, as a Unix time."""
    following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    return int(following.timestamp()) - 1


def issue_day_pass(private_key: Ed25519PrivateKey, holder: str, now: float, *, timezone: str,
                   site_number: int) -> str:
    """The pass text (QG1:...) for a holder pseudonym, valid from now to the end of the local day."""
    fields = native.PassFields(kind="health_declaration", holder=bytes.fromhex(holder), valid_from=int(now),
                               valid_until=day_end(local_day(now, timezone), timezone), site=site_number,
                               site_holder=True)
    return native.issue(private_key, fields)

"""One documented list of reasons: docs/reasons.md is written from qrgate.policy.reasons and must agree."""

from __future__ import annotations

import re
from pathlib import Path

from qrgate.policy import reasons

DOC = Path(__file__).resolve().parents[1] / "docs" / "reasons.md"


def test_docs_and_code_list_the_same_reasons_with_the_same_text():
    text = DOC.read_text(encoding="utf-8")
    assert text == reasons.markdown(), "docs/reasons.md is stale: python -m qrgate.policy.reasons > docs/reasons.md"
    documented = re.findall(r"^\| `([a-z0-9_]+)` \| (.+?) \| (.+?) \|$", text, re.M)
    assert {code: (vi, en) for code, vi, en in documented} == reasons.GUARD_TEXT


def test_every_reason_has_short_text_in_both_languages():
    for code, (vi, en) in reasons.GUARD_TEXT.items():
        assert re.fullmatch(r"[a-z0-9_]+", code)
        assert vi and en and vi != en, code
        assert len(vi) <= 40 and len(en) <= 40, f"{code}: a guard reads it at a glance"
    assert reasons.FULL_REASONS <= set(reasons.GUARD_TEXT)
    assert reasons.guard_text("zone_full", "en") == "Zone full" and reasons.guard_text("nope") == "nope"

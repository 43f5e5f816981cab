"""The EU DCC verifier against every case of the public dgc-testdata corpus.

For each EXPECTED* flag that names a verifier step, our check must agree: a flag of true
means the step succeeds (check is True), false means it fails (check is False, or was
never reached). Every disagreement must be listed, with its reason, in
dcc_known_disagreements.csv next to this file (and in docs/dcc-conformance.md), so a new
one fails the test and a fixed one must be taken off the list.
Run with -s to see the agreement table.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from qrgate.credentials.dcc import verify as dcc
from qrgate.credentials.dcc.trust import add_trust
from qrgate.errors import KeyFileError

REPO = Path(__file__).resolve().parents[2]
CORPORA = REPO.parent / "shared" / "corpora"
CASES_DIR = CORPORA / "dcc"
SCHEMA_DIR = CORPORA / "dcc-schema"
KNOWN_FILE = Path(__file__).with_name("dcc_known_disagreements.csv")

pytestmark = pytest.mark.usefixtures("dcc_cases", "dcc_schemas")  # fail, naming them, when absent

FLAG_TO_CHECK = {
    "EXPECTEDUNPREFIX": "prefix",
    "EXPECTEDB45DECODE": "base45",
    "EXPECTEDCOMPRESSION": "zlib",
    "EXPECTEDVERIFY": "signature",
    "EXPECTEDDECODE": "cbor",
    "EXPECTEDEXPIRATIONCHECK": "expiry",
    "EXPECTEDSCHEMAVALIDATION": "schema",
    "EXPECTEDKEYUSAGE": "key_usage",
}
JSON_FLAG = "EXPECTEDVALIDJSON"
MUST_NOT_ACCEPT = ("EXPECTEDVERIFY", "EXPECTEDEXPIRATIONCHECK", "EXPECTEDKEYUSAGE")
MIN_OVERALL_AGREEMENT = 0.97


def parse_clock(text: str) -> float:
    """ISO-8601 as the corpus writes it: 'Z' or an offset (+02:00 or +0200), 0-8 fraction digits."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?", text.strip())
    if not m:
        raise ValueError(f"unreadable VALIDATIONCLOCK {text!r}")
    zone = "+00:00" if m[3] in (None, "Z") else m[3][:3] + ":" + m[3][-2:]
    when = dt.datetime.fromisoformat(m[1] + zone)
    return when.timestamp() + (float("0." + m[2]) if m[2] else 0.0)


def expected_flags(case: dict) -> dict[str, bool]:
    """The boolean EXPECTED* flags; tolerates the corpus' quirks (nested or misspelt keys)."""
    raw = case.get("EXPECTEDRESULTS")
    return {k: v for k, v in raw.items() if isinstance(v, bool)} if isinstance(raw, dict) else {}


@dataclass
class Outcome:
    name: str
    flags: dict[str, bool]
    result: dcc.Inspection
    json_equal: bool


def _trust_for(case: dict):
    try:
        return add_trust(None, "TESTCTX.CERTIFICATE", base64.b64decode(case["TESTCTX"]["CERTIFICATE"]))
    except (KeyError, ValueError, KeyFileError):
        return None


def _check_case(path: Path) -> Outcome:
    case = json.loads(path.read_text(encoding="utf-8"))
    now = parse_clock(case["TESTCTX"]["VALIDATIONCLOCK"])
    result = dcc.inspect(case["PREFIX"], _trust_for(case), now, SCHEMA_DIR)
    decoded = dcc.as_json(result.hcert) if result.hcert is not None else None
    json_equal = decoded is not None and decoded == case.get("JSON")
    return Outcome(str(path.relative_to(CASES_DIR)), expected_flags(case), result, json_equal)


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    paths = sorted(p for p in CASES_DIR.rglob("*.json") if p.parent.name == "raw")
    assert len(paths) >= 400, f"expected the whole corpus, found {len(paths)} cases"
    return [_check_case(p) for p in paths]


def agrees(outcome: Outcome, flag: str) -> bool:
    expected = outcome.flags[flag]
    if flag == JSON_FLAG:
        return outcome.json_equal == expected
    return (outcome.result.checks[FLAG_TO_CHECK[flag]] is True) == expected


def disagreements(outcomes: list[Outcome]) -> set[tuple[str, str]]:
    return {(o.name, flag) for o in outcomes for flag in o.flags
            if (flag in FLAG_TO_CHECK or flag == JSON_FLAG) and not agrees(o, flag)}


def load_known() -> dict[tuple[str, str], str]:
    with KNOWN_FILE.open(encoding="utf-8") as f:
        return {(row["case"], row["flag"]): row["reason"] for row in csv.DictReader(f)}


def test_agreement_per_flag_and_overall(outcomes):
    table, total, agreed = [], 0, 0
    for flag in [*FLAG_TO_CHECK, JSON_FLAG]:
        cases = [o for o in outcomes if flag in o.flags]
        ok = sum(agrees(o, flag) for o in cases)
        table.append(f"{flag:26} {ok:4}/{len(cases):<4} {100.0 * ok / max(len(cases), 1):6.2f}%")
        total += len(cases)
        agreed += ok
    overall = agreed / total
    print("\nDCC conformance, agreement per flag:\n" + "\n".join(table)
          + f"\n{'overall':26} {agreed:4}/{total:<4} {100.0 * overall:6.2f}%")
    assert total > 3000, "too few flags were compared; is the corpus complete?"
    assert overall >= MIN_OVERALL_AGREEMENT


def test_every_disagreement_is_known_and_explained(outcomes):
    found, known = disagreements(outcomes), load_known()
    new = sorted(found - known.keys())
    fixed = sorted(known.keys() - found)
    assert not new, f"{len(new)} unexplained disagreements (add a reason or fix them): {new[:20]}"
    assert not fixed, f"{len(fixed)} listed disagreements now agree; take them off the list: {fixed[:20]}"
    assert all(reason.strip() for reason in known.values())


def test_zero_false_accepts(outcomes):
    false_accepts = [o.name for o in outcomes if o.result.valid
                     and any(o.flags.get(flag) is False for flag in MUST_NOT_ACCEPT)]
    print(f"\nfalse accepts (valid where a signature, expiry or key-usage step must fail): "
          f"{len(false_accepts)}")
    assert false_accepts == []


def test_some_cases_are_accepted(outcomes):
    # guards against a verifier that passes the test above by refusing everything
    accepted = [o for o in outcomes if o.result.valid]
    assert len(accepted) >= 200


def test_qr_pictures_decode_to_prefix():
    """Each 2DCODE picture through the gate's own decoder, exactly as `qrgate decode` reads a file."""
    from qrgate.errors import CameraError
    from qrgate.vision.decoder import Decoder
    from qrgate.vision.sources import load_gray

    decoder = Decoder()
    total, exact, failures = 0, 0, []
    for path in sorted(p for p in CASES_DIR.rglob("*.json") if p.parent.name == "raw"):
        case = json.loads(path.read_text(encoding="utf-8"))
        if not case.get("2DCODE"):
            continue
        total += 1
        try:
            gray = load_gray(io.BytesIO(base64.b64decode(case["2DCODE"])))
        except (ValueError, CameraError):  # case Q1 is deliberately not a picture
            texts = []
        else:
            texts = [code.text for code in decoder.decode(gray, still=True)]
        if texts == [case["PREFIX"]]:
            exact += 1
        else:
            expected = expected_flags(case).get("EXPECTEDPICTUREDECODE")
            failures.append((str(path.relative_to(CASES_DIR)), expected, len(texts)))
    print(f"\n2DCODE pictures decoding to exactly PREFIX: {exact}/{total}; others: {failures}")
    # only pictures that upstream marks as unreadable may fail
    assert [f for f in failures if f[1] is not False] == []
    assert exact >= 390

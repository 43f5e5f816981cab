"""qrgate trust import: health-certificate signers from a public trust list into a trust file.

Takes the common public shapes: a JSON list of signer certificates (base64 DER with kid and
country, as national verifier back ends publish them: `rawData` or `certificate`, optional
`certificateType`), the same list under a "certificates" key, or a folder of PEM or DER
files. Writes {"certificates": [{"kid", "country", "certificate"}]}, which the gate loads
from [trust] files.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..credentials.dcc.trust import SignerCertificate
from ..errors import KeyFileError
from .output import emit

SIGNER_TYPES = ("DSC", None)  # a list may also hold CSCA or upload certificates: those are not signers
MAX_LIST_BYTES = 64 * 1024 * 1024


def add_parser(sub) -> None:
    trust = sub.add_parser("trust", help="health-certificate trust lists")
    actions = trust.add_subparsers(dest="trust_action", required=True)
    imp = actions.add_parser("import", help="read a public DCC trust list (JSON) or a folder of PEM/DER "
                             "certificates and write a trust file the gate loads")
    imp.add_argument("source", help="JSON trust list file, or a folder of .pem/.crt/.der/.cer files")
    imp.add_argument("--out", required=True, help="trust file to write (list it under [trust] files)")
    imp.add_argument("--country", action="append", default=[],
                     help="keep only signers of this country (ISO 3166 alpha-2, e.g. VN); repeatable")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=run)


def _entries_from_json(path: Path) -> list[dict]:
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_LIST_BYTES:
            raise KeyFileError(f"{path}: larger than {MAX_LIST_BYTES // 2 ** 20} MB; not a trust list")
        doc = json.loads(raw)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise KeyFileError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(doc, dict) and isinstance(doc.get("certificates"), list):
        doc = doc["certificates"]
    if not isinstance(doc, list):
        raise KeyFileError(f"{path}: expected a JSON list of certificates (or an object with a "
                           "'certificates' list)")
    return doc


def _der_files(folder: Path) -> list[tuple[str, bytes]]:
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".pem", ".crt", ".cer", ".der"):
            continue
        raw = path.read_bytes()
        if raw.lstrip().startswith(b"-----BEGIN"):
            try:
                certs = x509.load_pem_x509_certificates(raw)
            except ValueError:
                raise KeyFileError(f"{path}: PEM holds no readable certificate") from None
            found += [(path.name, c.public_bytes(Encoding.DER)) for c in certs]
        else:
            found.append((path.name, raw))
    if not found:
        raise KeyFileError(f"{folder}: no .pem, .crt, .cer or .der file in it")
    return found


def _country(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
    return str(names[0].value) if names else None


def collect(source: Path, countries: list[str]) -> tuple[list[dict], list[str]]:
    """(trust entries, problems) from a JSON list or a folder."""
    wanted = {c.upper() for c in countries}
    entries, problems = [], []
    if source.is_dir():
        items = [(name, {"der": der}) for name, der in _der_files(source)]
    elif source.exists():
        items = [(f"entry {i}", e) for i, e in enumerate(_entries_from_json(source))]
    else:
        raise KeyFileError(f"{source}: no such file or folder")
    for label, item in items:
        if not isinstance(item, dict):
            problems.append(f"{label}: not an object")
            continue
        if item.get("certificateType") not in SIGNER_TYPES:
            continue
        der = item.get("der")
        if der is None:
            text = item.get("rawData", item.get("certificate"))
            try:
                der = base64.b64decode(text, validate=True) if isinstance(text, str) else None
            except (binascii.Error, ValueError):
                der = None
            if der is None:
                problems.append(f"{label}: no base64 certificate (rawData or certificate)")
                continue
        try:
            cert = x509.load_der_x509_certificate(der)
            kid = base64.b64decode(item["kid"], validate=True) if item.get("kid") else None
            signer = SignerCertificate.from_der(der, kid)
        except (ValueError, TypeError, binascii.Error):
            problems.append(f"{label}: not a usable X.509 certificate or kid")
            continue
        country = str(item.get("country") or _country(cert) or "").upper() or None
        if wanted and country not in wanted:
            continue
        entries.append({"kid": base64.b64encode(signer.kid).decode(), "country": country,
                        "certificate": base64.b64encode(der).decode()})
    return entries, problems


def run(args) -> int:
    entries, problems = collect(Path(args.source), args.country)
    for problem in problems:
        print(f"qrgate: {args.source}: {problem}; left out", file=sys.stderr)
    if not entries:
        raise KeyFileError(f"{args.source}: no signer certificate to import"
                           + (f" for {', '.join(args.country)}" if args.country else ""))
    doc = {"certificates": entries, "imported_from": Path(args.source).name, "imported_at": int(time.time())}
    try:
        Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    except OSError as exc:
        raise KeyFileError(f"cannot write {args.out}: {exc.strerror}") from None
    countries = sorted({e["country"] or "?" for e in entries})
    emit(args, {"signers": len(entries), "countries": countries, "left_out": len(problems), "out": args.out},
         f"{len(entries)} signer(s) from {', '.join(countries)} written to {args.out}"
         + (f"; {len(problems)} left out" if problems else ""))
    return 1 if problems else 0

"""qrgate decode: read QR codes from image files with the live pipeline's decoder settings."""

from __future__ import annotations

import json
import time

from ..errors import CameraError
from ..vision.decoder import Decoder
from ..vision.sources import load_gray


def add_parser(sub) -> None:
    decode = sub.add_parser("decode", help="decode QR codes in image files, as the gate would")
    decode.add_argument("images", nargs="+", help="image files (PNG, JPEG, ...)")
    decode.add_argument("--json", action="store_true", help="one JSON object per line per file")
    decode.set_defaults(handler=run)


def run(args) -> int:
    decoder = Decoder()
    all_found = True
    for path in args.images:
        try:
            gray = load_gray(path)
        except CameraError as exc:
            all_found = False
            _print(args, {"file": path, "codes": [], "error": str(exc)})
            continue
        start = time.perf_counter()
        codes = decoder.decode(gray)
        ms = (time.perf_counter() - start) * 1000
        all_found &= bool(codes)
        _print(args, {"file": path, "codes": [{"text": c.text, "corners": [list(p) for p in c.corners]}
                                              for c in codes], "ms": round(ms, 3)})
    return 0 if all_found else 1


def _print(args, record: dict) -> None:
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
        return
    if "error" in record:
        print(f"{record['file']}: {record['error']}")
        return
    print(f"{record['file']}: {len(record['codes'])} code(s) in {record['ms']:.1f} ms")
    for code in record["codes"]:
        print(f"  {code['text']}")

"""Benchmark: time to verify one EU DCC (HC1 text -> Verification), per signature algorithm.

Prints JSON: p50 / p99 / mean in milliseconds for ES256 and PS256 certificates, with and
without the JSON-schema check (schemas from ../shared/corpora/dcc-schema when present).

    .venv/bin/python bench/dcc_verify.py [--runs 500]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from qrgate.credentials.dcc import verify as dcc
from qrgate.credentials.dcc.issue import issue_dcc, make_test_signer, sample_payload
from qrgate.credentials.dcc.trust import add_trust
from qrgate.credentials.trust import TrustStore

NOW = 1_767_225_600.0
DAY = 86400.0
SCHEMA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "dcc-schema"


def _percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(round(q * (len(sorted_ms) - 1))))]


def measure(text: str, trust: TrustStore, runs: int) -> dict:
    dcc.verify(text, trust, NOW, b"k")  # warm caches (schema compile) outside the timing
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = dcc.verify(text, trust, NOW, b"k")
        times.append((time.perf_counter() - start) * 1000.0)
        if not result.valid:
            raise SystemExit(f"benchmark certificate did not verify: {result.reason}")
    times.sort()
    return {"p50_ms": round(_percentile(times, 0.50), 3), "p99_ms": round(_percentile(times, 0.99), 3),
            "mean_ms": round(statistics.fmean(times), 3), "runs": runs, "qr_chars": len(text)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    report: dict = {"python": platform.python_version(), "machine": platform.machine(), "results": {}}
    schema_dir = SCHEMA_DIR if SCHEMA_DIR.is_dir() else None
    for algorithm in ("ES256", "PS256"):
        signer = make_test_signer(NOW - DAY, NOW + DAY, algorithm=algorithm)
        text = issue_dcc(signer, sample_payload("vaccination"), NOW - DAY, NOW + DAY)
        for label, folder in (("no_schema", None), ("with_schema", schema_dir)):
            if label == "with_schema" and folder is None:
                continue
            trust = TrustStore(dcc_schema_dir=folder)
            trust.dcc = add_trust(None, "bench", signer.certificate_der)
            report["results"][f"{algorithm}_{label}"] = measure(text, trust, args.runs)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

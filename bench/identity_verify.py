"""Benchmark: time to verify one Vietnamese identity code (CCCD card, PC-Covid), to match its
holder against a site list of N rows, and to note the sighting (sealed) for reconciliation.

Prints JSON: p50 / p99 / mean in milliseconds per step, on synthetic people only.

    .venv/bin/python bench/identity_verify.py [--runs 2000] [--list-rows 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from gatesim.vietnam import cccd_text, enrol, fake_citizen, pccovid_text
from qrgate import credentials
from qrgate.credentials.trust import TrustStore
from qrgate.lists import SiteLists

NOW = dt.datetime(2027, 1, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()
SECRET = b"b" * 32


def _stats(times: list[float], runs: int) -> dict:
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(round(q * (len(times) - 1))))]
    return {"p50_ms": round(pick(0.5), 4), "p99_ms": round(pick(0.99), 4),
            "mean_ms": round(statistics.fmean(times), 4), "runs": runs}


def timed(fn, runs: int) -> dict:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return _stats(times, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--list-rows", type=int, default=10000)
    args = parser.parse_args()
    rng = random.Random(1)
    today = dt.date(2027, 1, 12)
    people = [fake_citizen(rng, today) for _ in range(args.list_rows)]
    trust = TrustStore()
    trust.pseudonym_key = SECRET
    card, code = cccd_text(people[0]), pccovid_text(people[0], masked=False)
    report: dict = {"python": platform.python_version(), "machine": platform.machine(), "results": {}}
    report["results"]["verify_cccd"] = timed(lambda: credentials.verify(card, trust, NOW), args.runs)
    report["results"]["verify_pccovid"] = timed(lambda: credentials.verify(code, trust, NOW), args.runs)
    report["results"]["verify_unknown_text"] = timed(lambda: credentials.verify("hello world", trust, NOW),
                                                     args.runs)
    with tempfile.TemporaryDirectory() as folder:
        store = SiteLists(Path(folder) / "lists.sqlite3", SECRET)
        start = time.perf_counter()
        enrol(store, "staff", people, Path(folder) / "lists.key", NOW)
        report["results"]["import_rows_per_s"] = round(args.list_rows / (time.perf_counter() - start))
        credential = credentials.verify(card, trust, NOW).credential
        report["results"]["list_match"] = timed(lambda: store.is_listed(credential.holder), args.runs)
        # what the gate adds per identity scan for `qrgate list check`: hashes and a sealed box, one write
        report["results"]["note_sighting_sealed"] = timed(lambda: store.saw(credential, NOW, card), args.runs)
        report["results"]["list_rows"] = args.list_rows
        store.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

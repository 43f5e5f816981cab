"""Benchmark: one declaration through the visitor's form over HTTP (the form POST -> the pass page
with its QR image), new visitors and the same visitor again, on a SQLite file.

Prints JSON: p50 / p99 / mean in milliseconds for each, and declarations a second.

    .venv/bin/python bench/declaration_form.py [--runs 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from starlette.testclient import TestClient

from gatesim.vietnam import fake_citizen
from qrgate.credentials.keys import load_private_key, new_key
from qrgate.server.declaration.service import DeclarationService
from qrgate.server.declaration.settings import DeclarationSettings
from qrgate.server.declaration.web import DeclarationSite

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()


def _stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    pick = lambda q: round(ms[min(len(ms) - 1, int(round(q * (len(ms) - 1))))], 2)
    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "mean_ms": round(statistics.fmean(ms), 2),
            "per_second": round(1000 / statistics.fmean(ms), 1), "runs": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="qrgate-bench-decl-"))
    keys = new_key(folder / "keys")
    settings = DeclarationSettings(site_number=7, per_address_per_minute=10 ** 9, per_phone_per_day=10 ** 9)
    service = DeclarationService(sa.create_engine(f"sqlite:///{folder / 'site.db'}"), settings,
                                 site_secret=b"b" * 32, signing_key=load_private_key(keys["private_key"])[1])
    client = TestClient(DeclarationSite(service, clock=lambda: NOW).app())
    rng = random.Random(1)
    people = [fake_citizen(rng, dt.date(2026, 11, 30)) for _ in range(args.runs)]

    def form(p):
        return {"name": p.name, "birth": p.birth.isoformat(), "phone": p.phone, "cccd": p.number,
                "q_fever": "no", "q_cough": "no", "q_contact": "no", "consent": "yes"}

    timings = {"new_visitor": [], "same_visitor_again": []}
    for key, visitors in (("new_visitor", people), ("same_visitor_again", people)):
        for p in visitors:
            t0 = time.perf_counter()
            r = client.post("/", data=form(p))
            timings[key].append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and 'id="pass"' in r.text, r.text[:300]
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({"bench": "declaration_form", "machine": platform.machine(), "python": platform.python_version(),
                      **{k: _stats(v) for k, v in timings.items()}}, indent=2))


if __name__ == "__main__":
    main()

"""Bytes written to storage per 1,000 passages, for several SQLite journal settings. Prints JSON.

    python bench/sd_writes.py [--passages 1000] [--dir .cache/sd-bench]

A passage is what a gate writes for one person: Ledger.record() (event, presence, counters
and outbox row in one transaction) and, once the broker has it, delivered() (the outbox row
goes). Each setting runs in a fresh process on a fresh file, so /proc/self/io's write_bytes
(bytes this process sent towards the block device, fsync'd pages counted each time) is its
own. --dir must be on a real disk: tmpfs counts nothing. synchronous stays FULL except in the
one row that shows what giving it up would save (not an option: the relay moves after commit).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = {
    "current (WAL, synchronous=FULL, autocheckpoint 1000 pages, no size limit)": [],
    "autocheckpoint 100 pages": ["PRAGMA wal_autocheckpoint=100"],
    "autocheckpoint 4000 pages": ["PRAGMA wal_autocheckpoint=4000"],
    "journal_size_limit 1 MiB (WAL truncated after each checkpoint)": ["PRAGMA journal_size_limit=1048576"],
    "autocheckpoint 4000 + journal_size_limit 32 MiB": ["PRAGMA wal_autocheckpoint=4000",
                                                        "PRAGMA journal_size_limit=33554432"],
    "secure_delete=FAST (deleted rows zeroed only where it costs no extra write)": ["PRAGMA secure_delete=FAST"],
    "autocheckpoint 4000 + journal_size_limit 32 MiB + secure_delete=FAST": [
        "PRAGMA wal_autocheckpoint=4000", "PRAGMA journal_size_limit=33554432", "PRAGMA secure_delete=FAST"],
    "current, outbox rows deleted 10 at a time (the drain's batching at busy times)": ["batch=10"],
    "rollback journal (DELETE), synchronous=FULL": ["PRAGMA journal_mode=DELETE"],
    "rollback journal (PERSIST), synchronous=FULL": ["PRAGMA journal_mode=PERSIST"],
    "NOT SAFE: WAL synchronous=NORMAL": ["PRAGMA synchronous=NORMAL"],
}


def io_counters() -> dict[str, int]:
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return {k: int(v) for k, v in fields.items()}


def one(path: str, pragmas: list[str], passages: int) -> dict:
    """In a child process: passages through a real Ledger with `pragmas` applied."""
    sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "controller")]
    from qrgate.ledger import Ledger

    ledger = Ledger(path)
    batch = next((int(p.split("=")[1]) for p in pragmas if p.startswith("batch=")), 1)
    pragmas = [p for p in pragmas if not p.startswith("batch=")]
    for pragma in pragmas:
        ledger._conn.execute(pragma)  # noqa: SLF001 - the bench tries settings on the gate's own connection
    mode = ledger._conn.execute("PRAGMA journal_mode").fetchone()[0]
    sync = ledger._conn.execute("PRAGMA synchronous").fetchone()[0]
    wal_peak = 0
    now = 1_800_000_000.0
    before, started = io_counters(), time.perf_counter()
    for i in range(passages):
        kind = "entry" if i % 2 == 0 else "exit"
        event = ledger.record(at=now + i, gate_id="g1", type=kind, reason="granted", direction=kind,
                              holder=f"h{(i // 2) % 300:04d}")
        if (i + 1) % batch == 0:
            ledger.delivered([row[0] for row in ledger.pending(batch)])
        wal = Path(path + "-wal")
        wal_peak = max(wal_peak, wal.stat().st_size if wal.exists() else 0)
    elapsed = time.perf_counter() - started
    after = io_counters()
    ledger.close()
    files = {p.name.split(".", 1)[1]: p.stat().st_size for p in Path(path).parent.iterdir() if "." in p.name}
    scale = 1000 / passages
    return {"journal_mode": mode, "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[sync],
            "write_bytes_per_1000": round((after["write_bytes"] - before["write_bytes"]) * scale),
            "write_calls_per_1000": round((after["syscw"] - before["syscw"]) * scale),
            "ms_per_passage": round(elapsed / passages * 1000, 3), "wal_peak_bytes": wal_peak,
            "db_bytes": files.get("sqlite3", 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--dir", default=".cache/sd-bench")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.child[0], json.loads(args.child[1]), args.passages)))
        return 0
    root = Path(args.dir)
    results = {}
    for i, (name, pragmas) in enumerate(SETTINGS.items()):
        folder = root / f"s{i}"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        out = subprocess.run([sys.executable, __file__, "--passages", str(args.passages), "--child",
                              str(folder / "ledger.sqlite3"), json.dumps(pragmas)],
                             capture_output=True, text=True, check=True)
        results[name] = json.loads(out.stdout)
    print(json.dumps({"passages": args.passages, "dir": str(root.resolve()), "settings": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

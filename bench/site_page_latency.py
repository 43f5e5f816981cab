"""Decision at a gate to the site server's managers' page showing it. Prints JSON.

    python bench/site_page_latency.py [--scans 100] [--gap 0.25]

A gate (the production GateApp on mock pins, its real ledger) publishes over a real Mosquitto;
the site server (create_app, ingest with its default batching, SQLite, uvicorn) stores each
event and tells the page's server-sent event stream; the page in Debian's chromium re-reads
today's counts, the occupancy and the alarms and draws them. Measured from the moment the gate's
controller returned its decision (after the ledger commit and the relay) to the moment the page
had drawn the counts that hold that event (window.qgShown[event id], the same machine clock).
Scans are paced --gap seconds apart.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from web_screen import CHROMIUM, CHROMIUM_ARGS, summary  # bench/ is on the path of a bench script

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between decisions")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from gatesim.broker import MosquittoBroker
    from gatesim.rig import open_pass_office
    from site_fixtures import log_in, start_site

    broker = MosquittoBroker()
    with tempfile.TemporaryDirectory(prefix="qrgate-sitepage-") as tmp, sync_playwright() as playwright:
        tmp = Path(tmp)
        (tmp / "gate").mkdir()
        office, trust_file = open_pass_office(tmp / "keys")
        rig = start_site(tmp, broker.port, trust_file, office)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            _context, page = log_in(browser, rig.url, "mai")
            decided: dict[str, float] = {}
            for i in range(args.scans):
                outcome = rig.scan(f"bench-{i}")
                decided[outcome.event.id] = time.time()
                time.sleep(args.gap)
            deadline = time.monotonic() + 10
            shown = {}
            while time.monotonic() < deadline and len(shown) < len(decided):
                shown = page.evaluate("window.qgShown")
                time.sleep(0.1)
            latencies = [shown[i] - decided[i] * 1000 for i in decided if i in shown]
        finally:
            browser.close()
            for stop in rig.stopping:
                stop()
            broker.close()
    print(json.dumps({"decision_to_manager_page_ms": summary(latencies), "decisions": len(decided),
                      "shown": len(latencies), "gap_seconds": args.gap, "database": "sqlite",
                      "ingest_batch_seconds": 0.2}, indent=2))
    return 0 if len(latencies) == len(decided) else 1


if __name__ == "__main__":
    sys.exit(main())

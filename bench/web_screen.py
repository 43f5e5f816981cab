"""The gate's screen: how fast a decision reaches the page, and what serving it costs the frame loop.
Prints JSON.

    python bench/web_screen.py [--scans 150] [--frames 150] [--rounds 2] [--gap 0.1]

decision_to_page_ms: from the controller's listener (after the ledger commit and the relay) to
the result drawn in Debian's chromium (the page's next animation frame), measured in the
browser against the same clock; scans paced 80 ms apart, as visitors never come faster.
frame_to_relay_ms: a rendered QR frame through decode, verify, decide, ledger commit, to the
relay call, with no web server, with the server and no page open, and with the server and one
browser showing every result;
rounds alternate so drift hits both alike. "paced": one code every --gap seconds (visitors are
never faster); "burst": codes back to back, so the page's work for one decision overlaps the
next frame (the worst case, not a gate's day).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gpiozero.pins.mock import MockFactory

from gatesim.qrimage import render_qr
from gatesim.rig import open_pass_office, sim_config
from qrgate.app import GateApp
from qrgate.gate.gpio import GpioGateIO
from qrgate.web.config import WebConfig

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
HOUR = 3600


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": round(percentile(values, 50), 3), "p99": round(percentile(values, 99), 3),
            "mean": round(statistics.fmean(values), 3), "max": round(max(values), 3)}


def build_gate(workdir: Path, trust_file: str, web: bool) -> GateApp:
    cfg = sim_config(workdir, workdir / "gate", [trust_file], "127.0.0.1", 1)
    cfg.mqtt.enabled = False  # the frame loop alone: no broker in the measurement
    web_cfg = WebConfig(enabled=True, port=0, guards_file=str(workdir / "state" / "guards.json")) if web else None
    return GateApp(cfg, io=GpioGateIO(pin_factory=MockFactory()), web=web_cfg).start(cameras=False)


def frame_of(payload: str) -> np.ndarray:
    code = render_qr(payload, module_px=4)
    frame = np.full((480, 640), 200, dtype=np.uint8)
    frame[40:40 + code.shape[0], 60:60 + code.shape[1]] = code
    return frame


def frames_to_relay(app: GateApp, frames: list[np.ndarray], gap: float = 0.0) -> list[float]:
    moved: list[float] = []
    pulse = app.io.pulse_relay

    def timed_pulse(seconds):
        moved.append(time.perf_counter())
        return pulse(seconds)

    app.io.pulse_relay = timed_pulse
    lane = app.lanes[0]
    took = []
    for frame in frames:
        before = len(moved)
        started = time.perf_counter()
        lane.process_frame(frame, time.time())
        lane.process_frame(np.full_like(frame, 200), time.time() + 1)  # the code leaves the view
        if len(moved) > before:
            took.append((moved[before] - started) * 1000)
        time.sleep(gap)
    return took


def open_screen(playwright, url: str):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 800, "height": 480})
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready='1']")
    return browser, page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=150)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between codes in the paced runs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="qrgate-webbench-") as tmp, sync_playwright() as playwright:
        tmp = Path(tmp)
        office, trust_file = open_pass_office(tmp / "keys")
        now = time.time()

        def passes(n: int, tag: str) -> list[str]:
            return [office.issue(f"{tag}-{i}", now - HOUR, now + 8 * HOUR) for i in range(n)]

        # 1. decision -> page
        app = build_gate(tmp / "a", trust_file, web=True)
        browser, page = open_screen(playwright, app.web.url)
        from qrgate.model import Direction, Scan

        for payload in passes(args.scans, "paced"):
            app.controller.handle_scan(Scan(payload, app.cfg.gate.id, Direction.ENTRY, time.time()))
            time.sleep(0.08)
        time.sleep(0.5)
        shown = [s["latency_ms"] for s in page.evaluate("window.qgShown")]
        browser.close()
        app.stop()

        # 2. frame -> relay: no web server; the server with no page open; the server and one browser
        setups = {"without_web": (False, False), "web_no_page": (True, False), "web_and_browser": (True, True)}
        runs = {name: {setup: [] for setup in setups} for name in ("paced", "burst")}
        for r in range(args.rounds):
            for name, gap in (("paced", args.gap), ("burst", 0.0)):
                for setup, (web, with_browser) in setups.items():
                    app = build_gate(tmp / f"{name}{r}{setup}", trust_file, web=web)
                    browser = open_screen(playwright, app.web.url)[0] if with_browser else None
                    frames = [frame_of(p) for p in passes(args.frames, f"{name}{r}{setup}")]
                    frames_to_relay(app, frames[:5])  # warm up
                    runs[name][setup].extend(frames_to_relay(app, frames[5:], gap))
                    if browser:
                        browser.close()
                    app.stop()
    figures = {}
    for name, by_setup in runs.items():
        figures[name] = {setup: summary(values) for setup, values in by_setup.items()}
        base = figures[name]["without_web"]
        for setup in ("web_no_page", "web_and_browser"):
            figures[name][f"{setup}_p99_change"] = round(figures[name][setup]["p99"] - base["p99"], 3)
            figures[name][f"{setup}_p50_change"] = round(figures[name][setup]["p50"] - base["p50"], 3)
    print(json.dumps({"decision_to_page_ms": summary(shown), "decisions_sent": args.scans,
                      "frame_to_relay_ms": figures, "gap_seconds": args.gap}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A camera lane against a scanner lane: time from a visitor showing a code to the gate having it, as JSON.

    .venv/bin/python bench/lanes.py [--visitors 12] [--scanner-read 0.15]

Camera lane: the virtual camera (720p, 30 fps) with the visitor raising the code over 1 s, the
gate's decoder on each frame; time = frames until read / 30 fps + the decode. Scanner lane:
gatesim's VirtualScanner on a real pty, read by the gate's SerialReader; time = wall time from
show() to on_code (the module's own read time, an assumption given by --scanner-read, plus the
serial path). The lane with the scanner also gets a garbage line and an unplug/replug midway,
to show it keeps reading.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / p) for p in ("controller", "simulator")]

from gatesim.camera import VirtualCamera  # noqa: E402
from gatesim.scanner import VirtualScanner  # noqa: E402
from gatesim.sceneset import pass_like_text  # noqa: E402
from qrgate.readers.serial_reader import SerialReader  # noqa: E402
from qrgate.vision.decoder import Decoder  # noqa: E402


def _summary(ms: list[float], never: int) -> dict:
    ms = sorted(ms)
    return {"p50": round(ms[len(ms) // 2], 1) if ms else None, "max": round(ms[-1], 1) if ms else None,
            "never_read": never}


def camera_lane(scene: str, visitors: int, fps: float = 30.0) -> dict:
    waits, never = [], 0
    for i in range(visitors):
        camera = VirtualCamera(1280, 720, seed=500 + i, difficulty=scene, fps=fps)
        text = pass_like_text(np.random.default_rng(500 + i))
        camera.show(text, approach_seconds=1.0)
        decoder = Decoder()
        for n in range(int(2 * fps)):
            frame = camera.frame()
            t0 = time.perf_counter()
            if text in [c.text for c in decoder.decode(frame)]:
                waits.append(n * 1000 / fps + (time.perf_counter() - t0) * 1000)
                break
        else:
            never += 1
    return _summary(waits, never)


def scanner_lane(visitors: int, read_seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        scanner = VirtualScanner(Path(tmp) / "ttyACM0", read_seconds=read_seconds, seed=5)
        got: dict[str, float] = {}
        changes = []
        arrived = threading.Event()

        def on_code(text, now):
            got[text] = time.monotonic()
            arrived.set()

        reader = SerialReader(scanner.link, name="scanner-lane", on_code=on_code, clock=time.monotonic,
                              when_changed=lambda ok, why: changes.append(ok), backoff=(0.05, 0.5)).start()
        while not changes:
            time.sleep(0.01)
        waits, never = [], 0
        try:
            for i in range(visitors):
                if i == visitors // 2:  # midway: line noise, then the cable is pulled and put back
                    scanner.send(b"\x1b[2J\x00\xff\r\n")
                    time.sleep(0.3)
                    scanner.unplug()
                    time.sleep(0.3)
                    scanner.plug()
                    deadline = time.monotonic() + 5
                    while changes[-1] is not True and time.monotonic() < deadline:
                        time.sleep(0.01)
                text = pass_like_text(np.random.default_rng(600 + i))
                shown = time.monotonic()
                scanner.show(text)
                deadline = shown + 3
                while text not in got and time.monotonic() < deadline:
                    arrived.wait(0.05)
                    arrived.clear()
                if text in got:
                    waits.append((got[text] - shown) * 1000)
                else:
                    never += 1
        finally:
            reader.stop()
            scanner.close()
        return {**_summary(waits, never), "reader": reader.stats()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visitors", type=int, default=12)
    ap.add_argument("--scanner-read", type=float, default=0.15, help="the module's own read time, seconds")
    args = ap.parse_args()
    print(json.dumps({
        "camera_lane_ms": {scene: camera_lane(scene, args.visitors) for scene in ("normal", "dark_mode", "glare_stripes")},
        "scanner_lane_ms": scanner_lane(args.visitors, args.scanner_read),
        "scanner_read_seconds_assumed": args.scanner_read,
    }, indent=1))


if __name__ == "__main__":
    main()

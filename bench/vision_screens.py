"""Phone-screen scenes on the virtual camera, beside the existing ones, and the live path's cost, as JSON.

    .venv/bin/python bench/vision_screens.py [--frames 40] [--visitors 12] [--cpu-frames 180]

detection: share of frames read with the right text, per scene (easy, normal, hard, and the
  screen scenes moire, glare_stripes, dark_mode, bright_screen), 720p: as a still (the whole
  cascade), as a stream (the live cadence; each frame a different visitor, the worst case for
  the budget), and by plain zxing-cpp (`read_barcodes(img, formats=QRCode)`, defaults).
  "bright_screen_metered" is the same blown-out screen with the exposure metered on it
  (screen_gain 1): what the camera settings in docs/vision.md buy.
time_to_read_ms: a visitor raises a code over 1 s and holds it 1 s at 30 fps: from the first
  frame the code is in view to the end of the decode that read it (frame time + decode time).
cpu_share_30fps: CPU seconds per wall second while a 30 fps stream (visitors 1 s on, 1 s off,
  normal and screen scenes in turn) runs through the production LaneRunner, 720p and 1080p.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import zxingcpp

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / p) for p in ("controller", "simulator")]

from gatesim.bench.vision import replay_cpu_share  # noqa: E402
from gatesim.camera import VirtualCamera  # noqa: E402
from gatesim.clutter import cluttered_background  # noqa: E402
from gatesim.scenes import SCREEN_SCENES, render, sample_shot  # noqa: E402
from gatesim.sceneset import pass_like_text  # noqa: E402
from qrgate.vision.decoder import Decoder  # noqa: E402

SCENES = ("easy", "normal", "hard", *SCREEN_SCENES, "bright_screen_metered")


def plain(frame: np.ndarray) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)]


def scene_frames(scene: str, count: int, width: int, height: int, seed: int):
    rng = np.random.default_rng(seed)
    backgrounds = [cluttered_background(width, height, rng) for _ in range(4)]
    for i in range(count):
        if scene == "bright_screen_metered":
            shot = replace(sample_shot(rng, "bright_screen"), screen_gain=1.0)
        else:
            shot = sample_shot(rng, scene)
        text = pass_like_text(rng)
        yield render(text, shot, backgrounds[i % 4], rng), text


def detection(count: int) -> dict:
    out = {}
    for scene in SCENES:
        frames = list(scene_frames(scene, count, 1280, 720, seed=31))
        stream = Decoder()
        still = live = raw = 0
        ms = []
        for frame, text in frames:
            t0 = time.perf_counter()
            still += text in [c.text for c in Decoder().decode(frame, still=True)]
            ms.append((time.perf_counter() - t0) * 1000)
            live += text in [c.text for c in stream.decode(frame)]
            raw += text in plain(frame)
        out[scene] = {"still": round(still / count, 3), "stream": round(live / count, 3),
                      "plain_zxing": round(raw / count, 3), "still_ms_mean": round(sum(ms) / count, 2)}
    return out


def time_to_read(visitors: int, fps: float = 30.0) -> dict:
    out = {}
    for scene in ("normal", *SCREEN_SCENES):
        waits: dict[str, list[float]] = {"decoder": [], "plain_zxing": []}
        for i in range(visitors):
            camera = VirtualCamera(1280, 720, seed=300 + i, difficulty=scene, fps=fps)
            text = pass_like_text(np.random.default_rng(300 + i))
            camera.show(text, approach_seconds=1.0)
            frames = [camera.frame() for _ in range(int(2 * fps))]
            ours = Decoder()
            for name, read in (("decoder", lambda f: [c.text for c in ours.decode(f)]), ("plain_zxing", plain)):
                for n, frame in enumerate(frames):
                    t0 = time.perf_counter()
                    if text in read(frame):
                        waits[name].append(n * 1000 / fps + (time.perf_counter() - t0) * 1000)
                        break
        out[scene] = {name: {"p50": _pct(w, 50), "max": round(max(w), 1) if w else None,
                             "never_read": visitors - len(w)} for name, w in waits.items()}
    return out


def _pct(values: list[float], p: int):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p / 100))], 1)


def cpu_share(count: int, width: int, height: int, fps: float = 30.0) -> dict:
    rng = np.random.default_rng(9)
    cameras = [VirtualCamera(width, height, seed=9 + k, difficulty=d) for k, d in enumerate(("normal", *SCREEN_SCENES))]
    frames, camera = [], cameras[0]
    for i in range(count):
        if i % int(2 * fps) == 0:
            camera = cameras[(i // int(2 * fps)) % len(cameras)]
            camera.show(pass_like_text(rng), approach_seconds=0.3)
        elif i % int(2 * fps) == int(fps):
            camera.show(None)
        frames.append(camera.frame())
    ours = Decoder()
    out = replay_cpu_share(frames, fps, {"decoder": lambda f: [c.text for c in ours.decode(f)], "plain_zxing": plain})
    out["decoder"]["stats"] = {k: v for k, v in vars(ours.stats).items() if k != "read_by"} | {
        "read_by": dict(ours.stats.read_by)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--visitors", type=int, default=12)
    ap.add_argument("--cpu-frames", type=int, default=180)
    args = ap.parse_args()
    result = {
        "detection_720p": detection(args.frames),
        "time_to_read_ms_720p": time_to_read(args.visitors),
        "cpu_share_30fps": {"720p": cpu_share(args.cpu_frames, 1280, 720),
                            "1080p": cpu_share(args.cpu_frames, 1920, 1080),
                            "stream": f"{args.cpu_frames} frames at 30 fps, visitors 1 s on / 1 s off, "
                                      "normal and the four screen scenes in turn"},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

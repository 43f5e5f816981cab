"""Which decoder settings pay for themselves: detection and time per candidate, as JSON.

    .venv/bin/python bench/decode_settings.py [--frames 60]

Corpus: ../shared/corpora/qr-blackbox/zxing (decoded as stills). Scenes: the virtual
camera's "normal" and "hard" 720p frames (decoded as a stream), and code-free frames.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import zxingcpp

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / p) for p in ("controller", "simulator")]

from gatesim.camera import VirtualCamera  # noqa: E402
from gatesim.sceneset import code_free_frames, labelled_frames, pass_like_text  # noqa: E402
from qrgate.config.decoder import DecoderConfig  # noqa: E402
from qrgate.vision.decoder import Decoder  # noqa: E402
from qrgate.vision.sources import load_gray  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "qr-blackbox" / "zxing"
ONE = dict(fallback_binarizer=None)
CANDIDATES = {
    "local_average": DecoderConfig(binarizer="local_average", **ONE),
    "local_average+retries": DecoderConfig(try_rotate=True, try_invert=True, try_downscale=True,
                                           binarizer="local_average", **ONE),
    "global_histogram": DecoderConfig(binarizer="global_histogram", **ONE),
    "gh+la_every1": DecoderConfig(fallback_every=1),
    "gh+la_every3": DecoderConfig(fallback_every=3),
    "gh+la_every6": DecoderConfig(fallback_every=6),
    "la+downscale": DecoderConfig(try_downscale=True, binarizer="local_average", **ONE),
}


def corpus(settings: DecoderConfig) -> dict:
    out: dict = {}
    for png in sorted(CORPUS.glob("*/*.png")):
        want = png.with_suffix(".txt").read_bytes().decode("utf-8")
        gray = load_gray(png)
        t0 = time.perf_counter()
        texts = [c.text for c in Decoder(settings).decode(gray, still=True)]
        ms = (time.perf_counter() - t0) * 1000
        row = out.setdefault(png.parent.name, {"passed": 0, "misread": 0, "files": 0, "ms": 0.0})
        row["files"] += 1
        row["passed"] += want in texts
        row["misread"] += bool(texts) and want not in texts
        row["ms"] = round(row["ms"] + ms, 1)
    return out


def stream(settings: DecoderConfig, frames: list, empty: list) -> dict:
    decoder = Decoder(settings)
    hits, ms = 0, []
    for frame, text, _shot in frames:
        t0 = time.perf_counter()
        texts = [c.text for c in decoder.decode(frame)]
        ms.append((time.perf_counter() - t0) * 1000)
        hits += text in texts
    empty_ms = []
    for frame in empty:
        t0 = time.perf_counter()
        decoder.decode(frame)
        empty_ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    empty_ms.sort()
    return {"detected": round(hits / len(frames), 3), "ms_p50": round(ms[len(ms) // 2], 2),
            "ms_mean": round(sum(ms) / len(ms), 2), "empty_ms_mean": round(sum(empty_ms) / len(empty_ms), 2)}


def visitors(settings: DecoderConfig, difficulty: str, count: int) -> dict:
    """Each visitor raises a code over 1 s and holds it 1 s at 30 fps: frames until the first read."""
    waits, missed = [], 0
    for i in range(count):
        camera = VirtualCamera(1280, 720, seed=100 + i, difficulty=difficulty)
        camera.show(pass_like_text(np.random.default_rng(i)), approach_seconds=1.0)
        decoder = Decoder(settings)
        target = camera._text
        for n in range(60):
            if target in [c.text for c in decoder.decode(camera.frame())]:
                waits.append(n + 1)
                break
        else:
            missed += 1
    waits.sort()
    return {"frames_to_read_p50": waits[len(waits) // 2] if waits else None,
            "frames_to_read_max": waits[-1] if waits else None, "never_read": missed, "visitors": count}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--visitors", type=int, default=12)
    args = ap.parse_args()
    scenes = {d: list(labelled_frames(args.frames, difficulty=d, seed=11)) for d in ("normal", "hard")}
    empty = list(code_free_frames(args.frames, width=1280, height=720, seed=5))
    raw = {}
    for d, frames in scenes.items():
        ms, hits = [], 0
        for frame, text, _ in frames:
            t0 = time.perf_counter()
            found = zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)
            ms.append((time.perf_counter() - t0) * 1000)
            hits += text in [r.text for r in found]
        raw[d] = {"detected": round(hits / len(frames), 3), "ms_mean": round(sum(ms) / len(ms), 2)}
    result = {"raw_zxing": raw, "candidates": {}}
    for name, settings in CANDIDATES.items():
        row = {d: stream(settings, frames, empty) for d, frames in scenes.items()}
        row["approach"] = {d: visitors(settings, d, args.visitors) for d in ("normal", "hard")}
        if CORPUS.is_dir():
            row["corpus"] = corpus(settings)
        result["candidates"][name] = row
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

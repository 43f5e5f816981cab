"""A second detector behind zxing-cpp: does it read what the cascade misses? As JSON.

    .venv/bin/python bench/second_detector.py [--synthetic 30] [--empty 200]

Candidates: OpenCV's QRCodeDetectorAruco and QRCodeDetector (opencv-python-headless), and
WeChat's detector when the running OpenCV has the contrib module (opencv-contrib-python;
run this script with such a Python to include it). Per category (the same sets as
bench/decoder_categories.py): codes the cascade reads, codes each candidate reads, codes
only the candidate reads (the gain), its misreads, and its time per image; and what each
reads on code-free frames.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


sys.path[:0] = [str(Path(__file__).resolve().parents[1] / p) for p in ("controller", "simulator", "bench")]

import cv2  # noqa: E402

from decoder_categories import CATEGORIES, CORPUS, corpus_category, synthetic  # noqa: E402
from gatesim.sceneset import code_free_frames  # noqa: E402
from qrgate.vision.decoder import Decoder  # noqa: E402
from qrgate.vision.sources import load_gray  # noqa: E402


def _texts(result) -> list[str]:
    return [t for t in result if t]


def candidates() -> dict:
    out = {}
    aruco = cv2.QRCodeDetectorAruco()
    out["opencv_aruco"] = lambda g: _texts(aruco.detectAndDecodeMulti(g)[1] or ())
    classic = cv2.QRCodeDetector()
    out["opencv_classic"] = lambda g: _texts(classic.detectAndDecodeMulti(g)[1] or ())
    if hasattr(cv2, "wechat_qrcode_WeChatQRCode"):  # without its CNN model files: the model-free path
        wechat = cv2.wechat_qrcode_WeChatQRCode()
        out["wechat_no_model"] = lambda g: _texts(wechat.detectAndDecode(g)[0])
    return out


def timed(read, gray):
    t0 = time.perf_counter()
    try:
        texts = read(gray)
    except (cv2.error, UnicodeDecodeError):  # OpenCV's binding fails on a payload that is not UTF-8
        texts = []
    return texts, (time.perf_counter() - t0) * 1000


def evaluate(items, category_of, readers) -> dict:
    table: dict = {}
    for name, gray, want in items:
        row = table.setdefault(category_of(name), {"images": 0, "cascade": 0, "cascade_ms": 0.0})
        row["images"] += 1
        ours, ms = timed(lambda g: [c.text for c in Decoder().decode(g, still=True)], gray)
        row["cascade"] += want in ours
        row["cascade_ms"] += ms
        for who, read in readers.items():
            texts, ms = timed(read, gray)
            r = row.setdefault(who, {"read": 0, "only_it": 0, "misread": 0, "ms": 0.0})
            r["read"] += want in texts
            r["only_it"] += want in texts and want not in ours
            r["misread"] += bool(texts) and want not in texts
            r["ms"] += ms
    for row in table.values():
        n = row["images"]
        row["cascade_ms"] = round(row["cascade_ms"] / n, 2)
        for who in readers:
            row[who]["ms"] = round(row[who]["ms"] / n, 2)
    return {c: table[c] for c in CATEGORIES if c in table}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=30)
    ap.add_argument("--empty", type=int, default=200)
    args = ap.parse_args()
    readers = candidates()
    result: dict = {"opencv": cv2.__version__, "candidates": list(readers)}
    if CORPUS.is_dir():
        items = [(f"{p.parent.name}/{p.stem}", load_gray(p), p.with_suffix(".txt").read_bytes().decode("utf-8"))
                 for p in sorted(CORPUS.glob("*/*.png"))]
        result["corpus"] = evaluate(items, corpus_category, readers)
    items = [item for c in CATEGORIES for item in synthetic(c, args.synthetic, seed=2026)]
    result["synthetic_640x480"] = evaluate(items, lambda name: name.split("/")[0], readers)
    empty = list(code_free_frames(args.empty, width=640, height=480, seed=77))
    result["code_free_640x480"] = {who: {"read_something": sum(bool(timed(read, f)[0]) for f in empty)}
                                   for who, read in readers.items()}
    for name in ("corpus", "synthetic_640x480"):
        if name in result:
            result[f"{name}_totals"] = {who: {k: sum(row[who][k] for row in result[name].values())
                                              for k in ("read", "only_it", "misread")} for who in readers}
            result[f"{name}_totals"]["cascade"] = sum(row["cascade"] for row in result[name].values())
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

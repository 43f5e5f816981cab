"""The gate's decoder against plain zxing-cpp, per BoofCV-style category, as JSON.

    .venv/bin/python bench/decoder_categories.py [--synthetic 30] [--empty 200] [--repeat 5]
        [--upscale-below PIXELS]

Plain zxing-cpp is `zxingcpp.read_barcodes(img, formats=QRCode)` with its default options
(LocalAverage, rotate, invert, downscale, HRI text). Ours is `decoder.decode(img, still=True)`,
the whole cascade, as `qrgate decode` runs it (one Decoder built before the clock starts, as
`qrgate decode` times only the decode). Time: the best of `--repeat` runs per image, ours and
plain taking turns on each image (the machine is shared), summed per category and divided by
its images. The load average before and after is in the output.

Two sets:
- corpus: zxing's blackbox photos (../shared/corpora/qr-blackbox/zxing, read in place). The
  corpus has no categories; CORPUS_CATEGORIES below assigns one per image, by eye from a
  contact sheet of every image, with the reason given per group.
- synthetic: codes rendered on the virtual camera (gatesim), 640x480, one category per set,
  for the kinds of trouble the corpus has few or none of (screens, glare, exposure).
A misread is a decode whose text differs from the expected one. Code-free frames (clutter,
and on every other frame a real code ruined past error correction) count false positives.
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

from gatesim.clutter import cluttered_background  # noqa: E402
from gatesim.scenes import render, sample_shot  # noqa: E402
from gatesim.sceneset import code_free_frames, pass_like_text  # noqa: E402
from qrgate.config.decoder import DecoderConfig  # noqa: E402
from qrgate.vision.decoder import Decoder  # noqa: E402
from qrgate.vision.sources import load_gray  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "qr-blackbox" / "zxing"
CATEGORIES = ("nominal", "monitor", "glare", "bright spots", "brightness", "blurred", "perspective", "damaged")


def _names(folder: str, numbers) -> set[str]:
    return {f"{folder}/{n}" for n in numbers}


# By eye, from a contact sheet of all 179 images (file stems; qrcode-3/4/5 stems are zero-padded).
_DAMAGED = _names("qrcode-2", [12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28])  # logos, art over modules, a code printed on a rice cracker
_MONITOR = _names("qrcode-2", [4]) | _names("qrcode-6", [15])  # a backlit station display; a photo of a screen with a bar over the code
_BLURRED = _names("qrcode-2", [6]) | {f"qrcode-3/{n:02d}" for n in range(26, 43)}  # out of focus (3/26-42: a defocused series)
_PERSPECTIVE = ({f"qrcode-3/{n:02d}" for n in range(1, 26)}  # printed codes seen at a strong tilt
                | {f"qrcode-4/{n:02d}" for n in range(1, 49)})  # codes printed on T-shirts: curved, tilted fabric
_BRIGHTNESS = {f"qrcode-5/{n:02d}" for n in range(1, 16)}  # uneven light, shadows across the code
_BRIGHT_SPOTS: set[str] = set()  # none seen in the corpus: synthetic only
_GLARE: set[str] = set()  # none seen in the corpus: synthetic only


def corpus_category(name: str) -> str:
    """`name` is "qrcode-N/STEM". Everything not listed above is nominal: paper codes photographed
    straight on (qrcode-1), clean renders and screenshots (rest of qrcode-2, qrcode-5/16-19),
    small rotated codes on a dark ground (qrcode-6)."""
    for category, names in (("damaged", _DAMAGED), ("monitor", _MONITOR), ("blurred", _BLURRED),
                            ("perspective", _PERSPECTIVE), ("brightness", _BRIGHTNESS),
                            ("bright spots", _BRIGHT_SPOTS), ("glare", _GLARE)):
        if name in names:
            return category
    return "nominal"


def synthetic_shot(category: str, rng: np.random.Generator, k: int):
    """A "normal" visitor's shot with one kind of trouble made strong."""
    u = rng.uniform
    if category == "monitor":
        return sample_shot(rng, "moire")
    if category == "glare":
        return sample_shot(rng, "glare_stripes")
    base = sample_shot(rng, "normal")
    if category == "bright spots":
        return replace(base, glare=int(rng.integers(2, 4)), glare_strength=u(120, 200))
    if category == "brightness":  # in turn: dark mode, a blown-out screen, paper in a dark corner, over-exposed paper
        kind = k % 4
        if kind == 0:
            return sample_shot(rng, "dark_mode")
        if kind == 1:
            return sample_shot(rng, "bright_screen")
        if kind == 2:
            return replace(base, carrier="paper", ambient=u(0.12, 0.25), noise=u(4, 8))
        return replace(base, carrier="paper", ambient=u(1.4, 1.9))
    if category == "blurred":
        return replace(base, defocus_sigma=u(1.0, 1.8), motion_px=u(1.5, 4.0))
    if category == "perspective":
        return replace(base, tilt_deg=(u(35, 50) * rng.choice((-1, 1)), u(25, 45) * rng.choice((-1, 1))))
    if category == "damaged":
        return replace(base, damage=u(0.12, 0.2), damage_at=(u(0.35, 0.65), u(0.35, 0.65)))
    return base  # nominal


def synthetic(category: str, count: int, seed: int):
    rng = np.random.default_rng([seed, CATEGORIES.index(category)])
    scenes = [cluttered_background(640, 480, rng) for _ in range(4)]
    for k in range(count):
        shot = synthetic_shot(category, rng, k)
        text = pass_like_text(rng, int(rng.integers(40, 160)))
        yield f"{category}/{k}", render(text, shot, scenes[k % 4], rng), text


def plain(gray: np.ndarray) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)]


DECODER = Decoder()  # main() replaces it when --upscale-below is given


def ours(gray: np.ndarray) -> list[str]:
    return [c.text for c in DECODER.decode(gray, still=True)]


def race(gray, repeat: int) -> dict[str, tuple[list[str], float]]:
    """who -> (texts, best ms of `repeat` runs); ours and plain take turns, each leading every other
    round, so both meet the same load and the same cache state."""
    readers = [("ours", ours), ("plain", plain)]
    best, texts = {"ours": float("inf"), "plain": float("inf")}, {}
    for k in range(repeat):
        for who, read in readers[::-1] if k % 2 else readers:
            t0 = time.perf_counter()
            texts[who] = read(gray)
            best[who] = min(best[who], time.perf_counter() - t0)
    return {who: (texts[who], best[who] * 1000) for who in best}


def score(items, repeat: int, category_of) -> dict:
    table: dict = {}
    for name, gray, want in items:
        row = table.setdefault(category_of(name), {"images": 0, "ours": 0, "plain": 0, "ours_misread": 0,
                                                   "plain_misread": 0, "ours_ms": 0.0, "plain_ms": 0.0,
                                                   "only_ours": [], "only_plain": []})
        row["images"] += 1
        got = {}
        for who, (texts, ms) in race(gray, repeat).items():
            got[who] = want in texts
            row[who] += got[who]
            row[f"{who}_misread"] += bool(texts) and want not in texts
            row[f"{who}_ms"] += ms
        if got["ours"] != got["plain"]:
            row["only_ours" if got["ours"] else "only_plain"].append(name)
    for row in table.values():
        n = row["images"]
        row["ours_ms"], row["plain_ms"] = round(row.pop("ours_ms") / n, 3), round(row.pop("plain_ms") / n, 3)
        row["time_ratio"] = round(row["ours_ms"] / row["plain_ms"], 2)
    return {c: table[c] for c in CATEGORIES if c in table}


def totals(table: dict) -> dict:
    n = sum(r["images"] for r in table.values())
    out = {k: sum(r[k] for r in table.values()) for k in ("images", "ours", "plain", "ours_misread", "plain_misread")}
    out["ours_ms"] = round(sum(r["ours_ms"] * r["images"] for r in table.values()) / n, 3)
    out["plain_ms"] = round(sum(r["plain_ms"] * r["images"] for r in table.values()) / n, 3)
    out["time_ratio"] = round(out["ours_ms"] / out["plain_ms"], 2)
    return out


def false_positives(count: int, repeat: int, width: int = 640, height: int = 480) -> dict:
    frames = list(code_free_frames(count, width=width, height=height, seed=77))
    out = {"frames": count}
    ms, hits = {"ours": 0.0, "plain": 0.0}, {"ours": 0, "plain": 0}
    for frame in frames:
        for who, (texts, t) in race(frame, repeat).items():
            hits[who] += bool(texts)
            ms[who] += t
    for who in ms:
        out[f"{who}_read_something"], out[f"{who}_ms"] = hits[who], round(ms[who] / count, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=30, help="images per synthetic category")
    ap.add_argument("--empty", type=int, default=200, help="code-free frames")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--upscale-below", type=int, default=DecoderConfig().upscale_below,
                    help="the decoder's upscale_below setting (default: the config's default)")
    args = ap.parse_args()
    global DECODER
    DECODER = Decoder(DecoderConfig(upscale_below=args.upscale_below))
    result: dict = {"upscale_below": args.upscale_below, "loadavg_before": _loadavg()}
    if CORPUS.is_dir():
        items = [(f"{p.parent.name}/{p.stem}", load_gray(p), p.with_suffix(".txt").read_bytes().decode("utf-8"))
                 for p in sorted(CORPUS.glob("*/*.png"))]
        table = score(items, args.repeat, corpus_category)
        result["corpus"] = {"by_category": table, "all": totals(table)}
    else:
        result["corpus"] = f"not found at {CORPUS}"
    items = [item for c in CATEGORIES for item in synthetic(c, args.synthetic, seed=2026)]
    table = score(items, args.repeat, lambda name: name.split("/")[0])
    result["synthetic_640x480"] = {"by_category": table, "all": totals(table)}
    result["code_free_640x480"] = false_positives(args.empty, args.repeat)
    result["code_free_480x360"] = false_positives(args.empty, args.repeat, 480, 360)  # upscaled when asked
    result["loadavg_after"] = _loadavg()
    print(json.dumps(result, indent=1))


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()

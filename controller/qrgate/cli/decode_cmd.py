"""qrgate decode: read QR codes from images, image folders and videos, exactly as the gate would.

Images: one line per file. Videos: one line per frame that holds a code (with "frame"),
then one summary line per file (with "frames" and the distinct "codes"). The decoder
settings are the live pipeline's (from --config, or the measured defaults); an image is
decoded as a still (the whole cascade), a video as the stream a camera would give.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import CameraError
from ..config.decoder import DecoderConfig
from ..vision.decoder import DecodedCode, Decoder
from ..vision.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES, VideoFile, load_gray
from .output import emit


def add_parser(sub) -> None:
    decode = sub.add_parser("decode", help="decode QR codes in images, image folders or videos, as the gate would")
    decode.add_argument("inputs", nargs="+", metavar="PATH",
                        help="image files (PNG, JPEG, ...), folders of images, or video files (MP4, AVI, MJPEG, ...)")
    decode.add_argument("--config", help="take the decoder settings from this gate config (default: built-in)")
    decode.add_argument("--json", action="store_true",
                        help="one JSON object per line: per image; per video frame with codes, then per video")
    decode.set_defaults(handler=run)


def run(args) -> int:
    settings = DecoderConfig()
    if args.config:
        from .. import config

        settings = config.load(args.config).decoder
    all_found = True
    for path in expand(args.inputs):
        if path.suffix.lower() in VIDEO_SUFFIXES:
            all_found &= _video(args, path, Decoder(settings))
        else:
            all_found &= _image(args, path, Decoder(settings))
    return 0 if all_found else 1


def expand(inputs: list[str]) -> list[Path]:
    """Folders become their images and videos, in name order; files stay as given."""
    paths: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            paths.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES))
        else:
            paths.append(path)
    return paths


def _codes(codes: list[DecodedCode]) -> list[dict]:
    return [{"text": c.text, "corners": [list(p) for p in c.corners]} for c in codes]


def _unreadable(args, path: Path, exc: CameraError) -> bool:
    emit(args, {"file": str(path), "codes": [], "error": str(exc)}, f"{path}: {exc}")
    return False


def _timed(decoder: Decoder, gray, still: bool) -> tuple[list[DecodedCode], float]:
    start = time.perf_counter()
    codes = decoder.decode(gray, still=still)
    return codes, (time.perf_counter() - start) * 1000


def _image(args, path: Path, decoder: Decoder) -> bool:
    try:
        gray = load_gray(path)
    except CameraError as exc:
        return _unreadable(args, path, exc)
    codes, ms = _timed(decoder, gray, still=True)
    emit(args, {"file": str(path), "codes": _codes(codes), "ms": round(ms, 3)},
         "\n".join([f"{path}: {len(codes)} code(s) in {ms:.1f} ms"] + [f"  {c.text}" for c in codes]))
    return bool(codes)


def _video(args, path: Path, decoder: Decoder) -> bool:
    try:
        video = VideoFile(path)
    except CameraError as exc:
        return _unreadable(args, path, exc)
    seen: dict[str, None] = {}  # distinct texts in order of first sight
    total_ms = 0.0
    try:
        while (gray := video.read()) is not None:
            codes, ms = _timed(decoder, gray, still=video.index == 0)
            total_ms += ms
            if codes:
                seen.update(dict.fromkeys(c.text for c in codes))
                emit(args, {"file": str(path), "frame": video.index, "codes": _codes(codes), "ms": round(ms, 3)},
                     f"{path} frame {video.index}: " + ", ".join(c.text for c in codes))
    finally:
        video.close()
    frames = video.index + 1
    if frames == 0:
        emit(args, {"file": str(path), "codes": [], "error": "no frames in this video"}, f"{path}: no frames")
        return False
    emit(args, {"file": str(path), "frames": frames, "codes": [{"text": t} for t in seen],
                "ms": round(total_ms, 3)},
         f"{path}: {frames} frame(s), {len(seen)} distinct code(s) in {total_ms:.0f} ms")
    return bool(seen)

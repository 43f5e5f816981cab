"""qrgate bench: decode and frame-to-relay timings on synthetic frames, as JSON."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    bench = sub.add_parser("bench", help="measure decoding and frame-to-relay latency")
    bench.add_argument("--frames", type=int, default=200, help="frames per measurement (default 200)")
    bench.add_argument("--only", action="append", help="run only this section (repeatable); see --list")
    bench.add_argument("--list", action="store_true", help="list the sections and exit")
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(handler=run)


def run(args) -> int:
    from .bench import run_all, sections

    if args.list:
        print("\n".join(sections()))
        return 0
    result = run_all(frames=args.frames, only=args.only)
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:22} {value}")
    return 0

"""One way to answer: JSON for scripts (--json), short text for people."""

from __future__ import annotations

import json
import sys


def emit(args, data: dict, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(text)


def fail(message: str) -> None:
    print(f"qrgate: {message}", file=sys.stderr)

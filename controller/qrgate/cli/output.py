"""One way to answer: JSON for scripts (--json), short text for people."""

from __future__ import annotations

import json
import logging
import sys


def emit(args, data: dict, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(text)


def fail(message: str) -> None:
    print(f"qrgate: {message}", file=sys.stderr)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log line, for `qrgate run --json` under a supervisor or log shipper."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"at": round(record.created, 3), "level": record.levelname.lower(),
                           "logger": record.name, "message": record.getMessage()}, ensure_ascii=False)

"""qrgate run: the gate on real hardware (camera, GPIO pins or an OSDP board)."""

from __future__ import annotations

import logging

from .. import config
from .output import JsonLogFormatter

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
    run = sub.add_parser("run", help="run the gate from a config file")
    run.add_argument("--config", required=True, help="TOML config file (see 'qrgate config describe')")
    run.add_argument("--json", action="store_true", help="log as one JSON object per line (stderr)")
    run.add_argument("--journal", action="store_true",
                     help="log structured records to journald (under systemd); stderr when it is not there")
    run.set_defaults(handler=run_gate)


def run_gate(args) -> int:
    from ..app import GateApp  # imports the hardware stack only when a gate really runs

    if args.json:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonLogFormatter())
        logging.getLogger().handlers = [handler]
        logging.getLogger().setLevel(logging.INFO)

    if args.journal:
        use_journal()

    cfg = config.load(args.config)
    if cfg.gate.backend == "mock":
        log.warning("gate.backend is mock: no hardware is driven (relay, lights and inputs are gpiozero mock pins)")
    GateApp(cfg).run_until_signalled()
    return 0


def use_journal() -> None:
    from pathlib import Path

    from ..journal import JOURNAL_SOCKET, JournalHandler

    if not Path(JOURNAL_SOCKET).exists():
        logging.getLogger(__name__).warning("no journald socket at %s: logging to stderr", JOURNAL_SOCKET)
        return
    logging.getLogger().handlers = [JournalHandler()]
    logging.getLogger().setLevel(logging.INFO)

"""qrgate run: the gate on real hardware (camera, GPIO pins or an OSDP board)."""

from __future__ import annotations

from .. import config


def add_parser(sub) -> None:
    run = sub.add_parser("run", help="run the gate from a config file")
    run.add_argument("--config", required=True, help="TOML config file (see 'qrgate config describe')")
    run.set_defaults(handler=run_gate)


def run_gate(args) -> int:
    from ..app import GateApp  # imports the hardware stack only when a gate really runs

    GateApp(config.load(args.config)).run_until_signalled()
    return 0

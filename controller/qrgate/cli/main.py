"""Entry point of the `qrgate` command.

Exit codes: 0 success, 1 a negative answer (invalid, denied, nothing found),
2 a usage or input error. A traceback never reaches the user.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from importlib import metadata

from ..errors import QrgateError
from . import (config_cmd, decode_cmd, export_cmd, gate_cmd, guard_cmd, ha_cmd, keys_cmd, list_cmd, pass_cmd,
               run_cmd, site_cmd, trust_cmd, verify_cmd)
from .output import fail

COMMANDS = (keys_cmd, pass_cmd, verify_cmd, decode_cmd, run_cmd, config_cmd, export_cmd, guard_cmd, gate_cmd,
            ha_cmd, list_cmd, trust_cmd, site_cmd)
#: other packages of the distribution add subcommands here (the simulator: `sim`, `bench`),
#: so the gate's own code never imports them
PLUGIN_GROUP = "qrgate.commands"
EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        fail(message)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="qrgate", description="QR-code entry gate")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    for entry in metadata.entry_points(group=PLUGIN_GROUP):
        entry.load().add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except QrgateError as exc:
        fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `qrgate decode ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except Exception as exc:  # the last line of defence: a clear line, never a traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        fail(f"internal error ({type(exc).__name__}: {exc}); run with -v and report it")
        return 3


if __name__ == "__main__":
    sys.exit(main())

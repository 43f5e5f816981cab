"""Long fuzzing runs with atheris (coverage-guided, libFuzzer) over the targets in targets.py.

    .venv/bin/pip install atheris
    nice -n 19 .venv/bin/python bench/fuzz/run.py TARGET -max_total_time=600 -print_final_stats=1

TARGET is one of: credentials, commands, config, trust, osdp. Any libFuzzer flag may follow.
A property that breaks (AssertionError) or any other exception that escapes is a crash:
libFuzzer stops, prints the traceback and writes the input to crash-<sha1> in the current
folder. At the end libFuzzer prints "Done N runs in T second(s)" and, with
-print_final_stats=1, stat::number_of_executed_units. bench/fuzz/long_run.sh runs every
target in turn and prints one JSON line per target.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris  # noqa: E402

with atheris.instrument_imports():
    import gateio.device  # noqa: F401,E402
    import gateio.frame  # noqa: F401,E402
    import qrgate.comms.commands  # noqa: F401,E402
    import qrgate.config  # noqa: F401,E402
    import qrgate.credentials  # noqa: F401,E402
    import qrgate.credentials.dcc.trust  # noqa: F401,E402
    import qrgate.credentials.native  # noqa: F401,E402
    import qrgate.credentials.rotating  # noqa: F401,E402
    import qrgate.credentials.dcc.verify  # noqa: F401,E402

import targets  # noqa: E402


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in targets.TARGETS:
        sys.exit(f"usage: run.py TARGET [libFuzzer flags]; TARGET is one of {', '.join(targets.TARGETS)}")
    check = targets.TARGETS[sys.argv.pop(1)]
    check(b"")  # build keys and seeds before the clock starts
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

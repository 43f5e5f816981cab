"""qrgate sim: the simulated gate end to end (what `make demo` runs)."""

from __future__ import annotations


def add_parser(sub) -> None:
    sim = sub.add_parser("sim", help="run a simulated gate with a stream of visitors")
    sim.add_argument("--duration", type=float, default=20.0, help="seconds of visitors (default 20)")
    sim.add_argument("--broker", choices=("mosquitto", "amqtt"), default="mosquitto",
                     help="broker to start on loopback; mosquitto falls back to amqtt when not installed")
    sim.add_argument("--json", metavar="OUT", help="also write the summary as JSON to OUT")
    sim.add_argument("--seed", type=int, default=7)
    sim.set_defaults(handler=run)


def run(args) -> int:
    from gatesim.demo import run_demo  # the simulator ships in the same distribution

    return run_demo(args.duration, broker=args.broker, json_path=args.json, seed=args.seed)

"""qrgate sim: the simulated gate end to end (`make demo`), or a scenario file."""

from __future__ import annotations


def add_parser(sub) -> None:
    sim = sub.add_parser("sim", help="run a simulated gate: the demo, or a scenario file")
    sim.add_argument("--scenario", help="scenario TOML (see simulator/scenarios/); without it: the 20 s demo")
    sim.add_argument("--short", action="store_true", help="the scenario's short version (its [short] table)")
    sim.add_argument("--no-live", action="store_true", help="no live view, only the report")
    sim.add_argument("--describe", action="store_true", help="list every scenario key and exit")
    sim.add_argument("--duration", type=float, default=20.0, help="demo: seconds of visitors (default 20)")
    sim.add_argument("--broker", choices=("mosquitto", "amqtt"), default="mosquitto",
                     help="broker to start on loopback; mosquitto falls back to amqtt when not installed")
    sim.add_argument("--json", metavar="OUT", help="also write the report as JSON to OUT")
    sim.add_argument("--seed", type=int, default=7, help="demo: random seed")
    sim.add_argument("--web-port", type=int, default=8080,
                     help="demo: port of the gate's screen on 127.0.0.1 (default 8080; any free one when taken)")
    sim.add_argument("--site-port", type=int, default=8470,
                     help="demo: port of the site server's managers' page on 127.0.0.1 (default 8470; any free one "
                          "when taken; 0: no site server)")
    sim.set_defaults(handler=run)


def run(args) -> int:
    # the simulator ships in the same distribution, imported only when asked for
    if args.describe:
        from gatesim.scenario import describe_scenario

        for key, default, doc in describe_scenario():
            print(f"{key:36} {default:22} {doc}")
        return 0
    if args.scenario:
        from gatesim.run import run_scenario

        return run_scenario(args.scenario, short=args.short, json_path=args.json, live=not args.no_live,
                            broker=args.broker)
    from gatesim.demo import run_demo

    return run_demo(args.duration, broker=args.broker, json_path=args.json, seed=args.seed, web_port=args.web_port,
                    site_port=args.site_port or None)

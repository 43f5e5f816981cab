"""A site's gate in a process of its own (multiprocessing, spawn), driven over a pipe.

Each GatePeer is the production GateApp (site_gate_app) with its own interpreter, ledger
file and MQTT connection, so several of them are a site as it runs: separate processes
that share only the broker. kill() ends one as a power cut would.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path


def _serve(conn, options: dict) -> None:
    from conftest import site_gate_app
    from qrgate.model import Direction, Scan

    app = site_gate_app(Path(options.pop("tmp_path")), options.pop("trust_file"), options.pop("port"),
                        options.pop("site"), options.pop("gate"), **options)
    gate = app.cfg.gate.id
    conn.send("ready")
    while True:
        command, args = conn.recv()
        if command == "scan":
            text, direction = args
            d = app.controller.handle_scan(Scan(text, gate, Direction(direction), time.time())).decision
            conn.send((d.granted, d.reason, d.direction.value))
        elif command == "presence":
            conn.send(app.ledger.presence_rows())
        elif command == "heads":
            conn.send(app.ledger.heads())
        elif command == "peers":
            conn.send({g: (p.online and p.heard) for g, p in app.site.peers.items()})
        elif command == "partition":
            app.reporter.partition()
            conn.send(app.site.partitioned or True)
        elif command == "heal":
            app.reporter.heal()
            conn.send(True)
        elif command == "conflicts":
            conn.send(sorted((e.id, e.reason) for e in app.ledger.events() if e.type == "site_conflict"))
        elif command == "alarms":
            conn.send(app.alarms())
        elif command == "movements":  # n movements of synthetic holders recorded at this gate
            (n,) = args
            t = time.time()
            for i in range(n):
                kind = "entry" if i % 2 == 0 else "exit"
                app.ledger.record(at=t + i * 0.001, gate_id=gate, type=kind, reason="granted", direction=kind,
                                  holder=f"{gate}-h{i // 2:05d}" if i % 4 != 3 else f"{gate}-k{i:05d}")
            app.gate_state.tell()
            conn.send(app.ledger.last_seq_from(gate))
        elif command == "stop":
            app.stop()
            conn.send(True)
            return


class GatePeer:
    def __init__(self, tmp_path, trust_file, port: int, site: str, gate: str, **options):
        ctx = multiprocessing.get_context("spawn")
        self.gate = gate
        self.conn, child = ctx.Pipe()
        options = {"tmp_path": str(tmp_path), "trust_file": str(trust_file), "port": port, "site": site,
                   "gate": gate, **options}
        self.proc = ctx.Process(target=_serve, args=(child, options), name=f"gate-{gate}", daemon=True)
        self.proc.start()
        if not self.conn.poll(60) or self.conn.recv() != "ready":
            self.kill()
            raise RuntimeError(f"gate {gate} did not start")

    def call(self, command: str, *args, timeout: float = 30.0):
        self.conn.send((command, args))
        if not self.conn.poll(timeout):
            raise TimeoutError(f"gate {self.gate} did not answer {command}")
        return self.conn.recv()

    def scan(self, text: str, direction: str) -> tuple[bool, str, str]:
        return self.call("scan", text, direction)

    def stop(self) -> None:
        if self.proc.is_alive():
            try:
                self.call("stop", timeout=10)
            except (TimeoutError, EOFError, BrokenPipeError, OSError):
                pass
            self.proc.join(5)
        self.kill()

    def kill(self) -> None:
        """Ends the process at once, as a power cut would (the broker sends its last will)."""
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)

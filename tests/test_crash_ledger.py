"""Kill the writing process at random moments: the log stays intact and loses no event that moved the relay.

A forked child records events in a loop and, after each record() returns, appends the event id
to a marker file with fsync, as the gate energises the relay only after record() returns. The
parent SIGKILLs it after a random delay, >= 200 times on the same file; after every kill
`PRAGMA integrity_check` must say ok and every complete marker line must name an event in the log.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time

from qrgate.ledger import Ledger

KILLS = 220


def _child(db_path: str, marker_path: str, seed: int) -> None:
    try:
        ledger = Ledger(db_path)
        rng = random.Random(seed)
        fd = os.open(marker_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        n = 0
        while True:
            n += 1
            kind = rng.choice(("entry", "exit", "denied"))
            event = ledger.record(at=time.time(), gate_id="g", type=kind, reason="granted", direction="entry",
                                  holder=f"h{rng.randrange(50)}")
            if n % 7 == 0:
                ledger.delivered([row[0] for row in ledger.pending(3)])
            os.write(fd, (event.id + "\n").encode())  # "relay on": only after the event is durable
            os.fsync(fd)
    finally:
        os._exit(0)


def test_random_kills_leave_an_intact_log_with_every_relay_event(tmp_path):
    db, markers = str(tmp_path / "ledger.db"), str(tmp_path / "relay.log")
    rng = random.Random(2024)
    Ledger(db).close()  # schema in place, so kills also land inside writes, not only in setup
    started = time.monotonic()
    for i in range(KILLS):
        pid = os.fork()
        if pid == 0:
            _child(db, markers, i)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), "the child must die by SIGKILL, not exit"
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"kill {i}"
            logged = {row[0] for row in conn.execute("SELECT id FROM events")}
        finally:
            conn.close()
        with open(markers) if os.path.exists(markers) else open(os.devnull) as fh:
            text = fh.read()
        complete = text.split("\n")[:-1]  # the last piece may be a line cut by the kill
        missing = [m for m in complete if m not in logged]
        assert not missing, f"kill {i}: relay energised for events not in the log: {missing[:3]}"
    elapsed = time.monotonic() - started
    relayed = len(complete)
    print(f"\ncrash test: {KILLS} kills, {relayed} relay events all logged, integrity ok, {elapsed:.1f} s")
    assert relayed > KILLS  # the children did write between kills
    # the ledger opens and keeps working after the last kill
    ledger = Ledger(db)
    ledger.record(at=time.time(), gate_id="g", type="denied", reason="expired")
    ledger.close()

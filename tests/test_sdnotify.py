"""sd_notify over a real unix datagram socket: a path, an abstract name, none at all, a dead one."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import pytest

from qrgate.sdnotify import Notifier, watchdog_interval


@pytest.fixture
def listener(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    sock.settimeout(2)
    yield path, sock
    sock.close()


def test_ready_status_watchdog_and_stopping_arrive_as_systemd_reads_them(listener):
    path, sock = listener
    notifier = Notifier(environ={"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("running with 1 camera(s)")
    assert sock.recv(4096) == b"READY=1\nSTATUS=running with 1 camera(s)"
    assert notifier.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert notifier.status("camera 0: decoder stuck\nfor 10 s")
    assert sock.recv(4096) == b"STATUS=camera 0: decoder stuck for 10 s"
    assert notifier.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    notifier.close()


def test_an_abstract_socket_name_starts_with_at():
    name = f"qrgate-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(2)
    try:
        notifier = Notifier(environ={"NOTIFY_SOCKET": "@" + name})
        assert notifier.watchdog()
        assert sock.recv(4096) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_outside_systemd_every_call_is_a_no_op():
    notifier = Notifier(environ={})
    assert not notifier.enabled
    assert not notifier.ready() and not notifier.watchdog() and not notifier.stopping()


def test_a_socket_that_is_gone_is_reported_once_not_raised(tmp_path):
    heard: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = heard.append  # on the module's own logger: whatever other tests did to the root's handlers
    logger = logging.getLogger("qrgate.sdnotify")
    logger.addHandler(handler)
    try:
        notifier = Notifier(environ={"NOTIFY_SOCKET": str(tmp_path / "gone")})
        assert not notifier.watchdog()
        assert not notifier.watchdog()
    finally:
        logger.removeHandler(handler)
    assert sum("cannot notify systemd" in r.getMessage() for r in heard) == 1


def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, pid=4242) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_a_reader_that_stopped_reading_never_blocks_the_gate(listener):
    path, _sock = listener  # nobody reads: the socket's queue fills up
    notifier = Notifier(environ={"NOTIFY_SOCKET": path})
    started = time.monotonic()
    results = [notifier.watchdog() for _ in range(500)]
    assert time.monotonic() - started < 2
    assert results[0] and not results[-1]  # the first went out; once the queue is full, sends fail at once

"""An MQTT broker on a free loopback port: Mosquitto when installed, else the embedded amqtt.

The gate's client code is the same against both; only who listens on the port differs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from qrgate.errors import BrokerError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"no broker answered on {host}:{port} within {timeout:.0f} s")


class MosquittoBroker:
    kind = "mosquitto"

    def __init__(self, port: int | None = None, *, extra_conf: str = "", anonymous: bool = True,
                 persistent: bool = False):
        exe = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None)
        if exe is None:
            raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
        self.exe = exe
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="qrgate-mosquitto-")
        self.conf = Path(self._dir.name) / "mosquitto.conf"
        self.log = Path(self._dir.name) / "mosquitto.log"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            # as root, mosquitto would switch to its own user and could not write our temp folder
            "user root\n"
            # small messages (a gate's movement for its peers) go out at once, not after Nagle's wait
            "set_tcp_nodelay true\n"
            f"allow_anonymous {'true' if anonymous else 'false'}\n"
            + (f"persistence true\npersistence_location {self._dir.name}/\nautosave_interval 1\n"
               if persistent else "persistence false\n") +
            f"log_dest file {self.log}\n" + extra_conf)
        self._proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port)
        except BrokerError:
            self.stop()
            said = self._proc.stderr.read().decode("utf-8", "replace") if self._proc.stderr else ""
            logged = self.log.read_text() if self.log.exists() else ""
            detail = (said + logged).strip()[-500:] or "it said nothing"
            raise BrokerError(f"mosquitto did not start on port {self.port}: {detail}") from None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


class EmbeddedBroker:
    """amqtt in its own thread and event loop, for machines without Mosquitto."""

    kind = "amqtt"

    def __init__(self, port: int | None = None, *, persistent: bool = False):
        # amqtt keeps sessions only in memory: a stop/start loses them whatever `persistent` says
        try:
            from amqtt.broker import Broker
        except ImportError:
            raise BrokerError("no mosquitto and no embedded broker: apt-get install mosquitto, "
                              "or pip install 'qrgate[sim]'") from None
        # amqtt logs every probe connection and its own shutdown as errors; they are not ours to act on
        logging.getLogger("amqtt").setLevel(logging.CRITICAL)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._loop = asyncio.new_event_loop()
        self._broker = Broker({"listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
                               "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin":
                                           {"allow_anonymous": True}}}, loop=self._loop)
        self._thread = threading.Thread(target=self._loop.run_forever, name="amqtt", daemon=True)
        self._thread.start()
        self.start()

    def start(self) -> None:
        asyncio.run_coroutine_threadsafe(self._broker.start(), self._loop).result(10)
        wait_for_port(self.port)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(10)
        except (concurrent.futures.TimeoutError, asyncio.CancelledError, concurrent.futures.CancelledError):
            pass

    def close(self) -> None:
        try:
            self.stop()
            asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop).result(5)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(2)


async def _cancel_the_rest() -> None:
    """amqtt leaves tasks behind after shutdown; end them so the loop closes quietly."""
    current = asyncio.current_task()
    rest = [t for t in asyncio.all_tasks() if t is not current]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def start_broker(prefer: str = "mosquitto", *, persistent: bool = False):
    """Mosquitto on a free port when it is installed (or `prefer` says so), else amqtt.

    persistent: sessions and queued QoS 1 messages survive a broker stop and start.
    """
    if prefer == "mosquitto":
        try:
            return MosquittoBroker(persistent=persistent)
        except BrokerError:
            pass
    return EmbeddedBroker(persistent=persistent)

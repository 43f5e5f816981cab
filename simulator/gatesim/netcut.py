"""A gate's network cable between it and the broker, which the simulator can cut.

A TCP relay on a free loopback port: the gate is configured to reach the broker through it.
cut() closes every relayed connection at the socket level (the gate sees its connection
die, the broker sees the client vanish and sends its last will) and refuses new ones, so
the gate's reconnects fail as behind a pulled cable; mend() accepts them again. Nothing in
the gate is told or changed: it finds out the way a real gate would.
"""

from __future__ import annotations

import selectors
import socket
import threading

from .broker import free_port

CHUNK = 65536


class NetCut:
    def __init__(self, broker_host: str, broker_port: int):
        self.target = (broker_host, broker_port)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.is_cut = False
        self._lock = threading.Lock()
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._selector = selectors.DefaultSelector()
        self._listener = self._listen()
        self._stop = threading.Event()
        self._wakeup_r, self._wakeup_w = socket.socketpair()
        self._selector.register(self._wakeup_r, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="netcut", daemon=True)
        self._thread.start()

    def _listen(self) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(16)
        listener.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ)
        return listener

    def cut(self) -> None:
        """Pull the cable: live connections die, new ones are refused."""
        with self._lock:
            self.is_cut = True
            self._selector.unregister(self._listener)
            self._listener.close()
            for sock in list(self._pairs):
                self._drop(sock)
        self._wakeup_w.send(b"x")

    def mend(self) -> None:
        with self._lock:
            self.is_cut = False
            self._listener = self._listen()
        self._wakeup_w.send(b"x")

    def close(self) -> None:
        self._stop.set()
        self._wakeup_w.send(b"x")
        self._thread.join(2)
        with self._lock:
            for sock in list(self._pairs):
                self._drop(sock)
            if not self.is_cut:
                self._listener.close()

    # -- the relay thread -----------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _mask in self._selector.select(timeout=0.5):
                sock = key.fileobj
                with self._lock:
                    if sock is self._wakeup_r:
                        sock.recv(64)
                    elif sock is self._listener and not self.is_cut:
                        self._accept()
                    elif sock in self._pairs:
                        self._relay(sock)

    def _accept(self) -> None:
        try:
            client, _addr = self._listener.accept()
        except OSError:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=2)
        except OSError:
            client.close()  # the broker itself is away: the gate sees a refusal, as it would directly
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._selector.register(sock, selectors.EVENT_READ)
        self._pairs[client], self._pairs[upstream] = upstream, client

    def _relay(self, sock: socket.socket) -> None:
        other = self._pairs[sock]
        try:
            data = sock.recv(CHUNK)
            if data:
                other.setblocking(True)  # small MQTT packets: a blocking send is brief
                other.sendall(data)
                other.setblocking(False)
                return
        except OSError:
            pass
        self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        other = self._pairs.pop(sock, None)
        for s in (sock, other):
            if s is None:
                continue
            self._pairs.pop(s, None)
            try:
                self._selector.unregister(s)
            except (KeyError, ValueError):
                pass
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

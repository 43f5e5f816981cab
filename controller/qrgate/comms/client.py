"""The broker connection every qrgate MQTT client shares: credentials, TLS, TCP_NODELAY."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import paho.mqtt.client as paho

from ..config.mqtt import BrokerConfig as BrokerSettings  # the broker part of [mqtt], declared once
from ..errors import BrokerError


def make_client(client_id: str, broker: BrokerSettings, *, clean_session: bool = True) -> paho.Client:
    """A paho client with the site's credentials and TLS; shared by gates, the simulator and tests."""
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session)
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set_context(tls_context(broker))
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def tls_context(broker: BrokerSettings) -> ssl.SSLContext:
    """Verify the broker against the CA (and its host name); present a client certificate if given."""
    for label, path in (("mqtt.ca_file", broker.ca_file), ("mqtt.cert_file", broker.cert_file),
                        ("mqtt.key_file", broker.key_file)):
        if path is not None and not Path(path).is_file():
            raise BrokerError(f"{label}: no such file {path}")
    if broker.cert_file is None and broker.key_file is not None:
        raise BrokerError("mqtt.key_file is set without mqtt.cert_file")
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=broker.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if broker.cert_file:
            context.load_cert_chain(broker.cert_file, broker.key_file)
    except (ssl.SSLError, OSError) as exc:
        raise BrokerError(f"cannot set up TLS for the broker: {exc}") from None
    return context


def set_nodelay(client: paho.Client) -> None:
    """Small messages go out at once instead of waiting for Nagle's algorithm."""
    sock = client.socket()
    raw = getattr(sock, "_sock", sock)  # paho may wrap the socket
    for candidate in (sock, raw):
        if candidate is not None and hasattr(candidate, "setsockopt"):
            try:
                candidate.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return
            except OSError:
                continue

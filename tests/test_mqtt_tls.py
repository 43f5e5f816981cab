"""TLS (CA, server and client certificates made here with `cryptography`) and passwords, on Mosquitto."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gatesim.broker import MosquittoBroker
from gatesim.observer import MqttObserver
from qrgate.comms.client import tls_context
from qrgate.comms.mqtt import BrokerSettings, MqttReporter, make_client
from qrgate.comms.topics import GateTopics
from qrgate.errors import BrokerError
from qrgate.ledger import Ledger

DAY = datetime.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - DAY).not_valid_after(now + DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue(ca_key, ca_cert, cn: str, server: bool):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - DAY).not_valid_after(now + DAY)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                     else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def write(folder: Path, stem: str, key, cert) -> tuple[str, str]:
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = make_ca("qrgate test site CA")
    ca_file, _ = write(folder, "ca", ca_key, ca_cert)
    server = write(folder, "broker", *issue(ca_key, ca_cert, "broker", server=True))
    client = write(folder, "gate", *issue(ca_key, ca_cert, "site1-gate1", server=False))
    rogue_key, rogue_cert = make_ca("someone else's CA")
    rogue_ca, _ = write(folder, "rogue-ca", rogue_key, rogue_cert)
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    pwfile = folder / "passwd"
    subprocess.run([tool, "-b", "-c", str(pwfile), "site1-gate1", "gate-secret"], check=True, capture_output=True)
    return {"ca": ca_file, "server": server, "client": client, "rogue_ca": rogue_ca, "passwd": str(pwfile)}


@pytest.fixture(scope="module")
def tls_broker(pki):
    cert, key = pki["server"]
    broker = MosquittoBroker(anonymous=False, extra_conf=(
        f"password_file {pki['passwd']}\ncafile {pki['ca']}\ncertfile {cert}\nkeyfile {key}\n"
        "require_certificate true\ntls_version tlsv1.2\n"))
    yield broker
    broker.close()


def settings(pki, port, **changes) -> BrokerSettings:
    cert, key = pki["client"]
    base = dict(host="127.0.0.1", port=port, username="site1-gate1", password="gate-secret",
                ca_file=pki["ca"], cert_file=cert, key_file=key)
    return BrokerSettings(**{**base, **changes})


def test_a_gate_reports_over_tls_with_a_client_certificate_and_password(pki, tls_broker, tmp_path, now):
    ledger = Ledger(tmp_path / "l.db")
    topics = GateTopics("qrgate", "site1", "gate1")
    broker = settings(pki, tls_broker.port)
    reporter = MqttReporter(ledger=ledger, topics=topics, broker=broker, state=lambda: {})
    observer = MqttObserver("127.0.0.1", tls_broker.port, "qrgate/#", client_id="tls-obs",
                            username=broker.username, password=broker.password, tls_context=tls_context(broker))
    reporter.start()
    try:
        made = [ledger.record(at=now, gate_id="gate1", type="entry", reason="granted", holder=f"h{i}")
                for i in range(3)]
        reporter.notify()
        assert observer.wait_for(lambda o: set(o.events) == {e.id for e in made})
        assert observer.wait_for(lambda o: (o.latest(topics.counts) or {}).get("total", {}).get("entries") == 3)
        sock = reporter.client.socket()  # small messages leave at once, TLS or not
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        observer.close()
        reporter.stop()
        ledger.close()


def connects(broker: BrokerSettings, timeout: float = 5.0) -> bool:
    """True when the broker accepts the connection (CONNACK success); False on any refusal or drop."""
    answered, accepted = threading.Event(), []
    client = make_client("tls-probe", broker)

    def on_connect(c, u, f, rc, p):
        accepted.append(not rc.is_failure)
        answered.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *a: answered.set()
    client.on_connect_fail = lambda *a: answered.set()
    try:
        client.connect(broker.host, broker.port)
    except (ssl.SSLError, OSError):
        return False
    client.loop_start()
    try:
        answered.wait(timeout)
        return accepted == [True]
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_broker_must_prove_itself_and_so_must_the_gate(pki, tls_broker):
    assert connects(settings(pki, tls_broker.port))  # the control: everything right
    assert not connects(settings(pki, tls_broker.port, ca_file=pki["rogue_ca"]))  # broker not trusted
    assert not connects(settings(pki, tls_broker.port, cert_file=None, key_file=None))  # no client certificate
    assert not connects(settings(pki, tls_broker.port, password="wrong"))
    assert not connects(settings(pki, tls_broker.port, host="127.0.0.1", ca_file=None, cert_file=None,
                                 key_file=None))  # plain MQTT on the TLS port


def test_missing_tls_files_are_named_in_the_error(pki, tmp_path):
    with pytest.raises(BrokerError, match="mqtt.ca_file: no such file"):
        make_client("x", BrokerSettings(ca_file=str(tmp_path / "nope.pem")))
    with pytest.raises(BrokerError, match="mqtt.key_file is set without mqtt.cert_file"):
        make_client("x", BrokerSettings(ca_file=pki["ca"], key_file=pki["client"][1]))
    with pytest.raises(BrokerError, match="cannot set up TLS"):
        make_client("x", BrokerSettings(ca_file=pki["passwd"]))  # not a certificate


def test_a_broker_that_accepts_tcp_and_never_answers_is_logged_and_stop_is_quick(tmp_path, caplog):
    """A TLS handshake that never ends: a log line says so, and stop() returns in under a second."""
    ca_key, ca_cert = make_ca("silent test CA")
    ca_file, _ = write(tmp_path, "ca", ca_key, ca_cert)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []

    def accept_and_say_nothing():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # the test closed the server
                return

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    ledger = Ledger(tmp_path / "l.db")
    reporter = MqttReporter(ledger=ledger, topics=GateTopics("qrgate", "s1", "g1"), state=lambda: {},
                            broker=BrokerSettings(host="127.0.0.1", port=server.getsockname()[1], ca_file=ca_file),
                            stall_seconds=0.5)
    caplog.set_level("WARNING", logger="qrgate.comms.mqtt")
    try:
        reporter.start()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "no working connection" not in caplog.text:
            time.sleep(0.05)
        assert accepted, "the client never connected over TCP"
        assert "no working connection to the broker at 127.0.0.1" in caplog.text and "over TLS" in caplog.text
        started = time.monotonic()
        reporter.stop()
        assert time.monotonic() - started < 1.0
    finally:
        for conn in accepted:
            conn.close()
        server.close()
        ledger.close()

"""Digest test fixtures: a real SMTP server on loopback (aiosmtpd), a test CA and certificate, store helpers."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ssl
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from webharness import free_port

from livereview.records.model import Record
from livereview.store.db import transaction
from livereview.store.ingest import Provenance, ingest_records

SMTP_USER = "digest-bot"
SMTP_PASSWORD = "s3cr3t p@ss:w/rd"          # needs percent-encoding in the URL
SMTP_PASSWORD_ENCODED = "s3cr3t%20p%40ss%3Aw%2Frd"



@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    authenticated: bool | None
    login: bytes | None
    tls: bool

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Inbox:
    """The SMTP handler: keeps every accepted message; ``reject`` makes it refuse the DATA."""

    messages: list[Received] = field(default_factory=list)
    reject: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.reject:
            return self.reject
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                      session.authenticated, login,
                                      server.transport.get_extra_info("ssl_object") is not None))
        return "250 2.0.0 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
          and auth_data.password == SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int
    scheme: str
    auth: bool

    @property
    def messages(self) -> list[Received]:
        return self.inbox.messages

    @property
    def url(self) -> str:
        user = f"{SMTP_USER}:{SMTP_PASSWORD_ENCODED}@" if self.auth else ""
        return f"{self.scheme}://{user}127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server(tls_files):
    """Factory: ``smtp_server(scheme="smtp"|"smtp+tls"|"smtp+ssl", auth=False)`` starts a server on a free port."""
    controllers = []

    def start(scheme: str = "smtp", *, auth: bool = False) -> SmtpServer:
        inbox = Inbox()
        port = free_port()
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(tls_files.cert, tls_files.key)
        kwargs: dict = {"hostname": "127.0.0.1", "port": port, "server_hostname": "localhost"}
        if scheme == "smtp+tls":
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        elif scheme == "smtp+ssl":
            kwargs.update(ssl_context=server_ctx)
        if auth:
            # AUTH offered (not required: aiosmtpd warns when AUTH is required without TLS); the authenticator
            # refuses a wrong password, and each test checks the message arrived authenticated
            kwargs.update(authenticator=_authenticator, auth_require_tls=False)
        controller = Controller(inbox, **kwargs)
        controller.start()
        controllers.append(controller)
        return SmtpServer(inbox, port, scheme, auth)

    yield start
    for c in controllers:
        c.stop()


@dataclass
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TlsFiles:
    """A throw-away CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "livereview test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return files


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: a mail server that is down."""
    return free_port()


# -- store helpers ----------------------------------------------------------------------------------------------
def record(n: int, **kw) -> Record:
    """A PubMed-like candidate record that matches the protocol (homework + therapy)."""
    base = dict(source="pubmed", source_id=str(40000000 + n), pmid=str(40000000 + n), doi=f"10.5555/cand.{n}",
                title=f"Homework adherence in cognitive behavioural therapy: trial {n}",
                abstract=("Background. Between-session homework is central to cognitive therapy. "
                          f"We randomised {100 + n} adults to homework assignments or usual care."),
                authors=["Kazantzis, N.", "Deane, F.P.", "Ronan, K.R.", "Lampropoulos, G.K."], year=2025,
                journal="Behaviour Research and Therapy")
    base.update(kw)
    return Record(**base)


def ingest(engine, records, *, query_name="core", **prov):
    with transaction(engine) as s:
        return ingest_records(s, records, Provenance(origin=prov.pop("origin", "search"), query_name=query_name,
                                                     **prov))


@pytest.fixture
def make_record():
    return record


@pytest.fixture
def ingest_into():
    return ingest


@pytest.fixture
def store(engine, protocol):
    """A store set up as ``livereview init`` leaves it: the protocol registered and the 50 seed studies included."""
    from livereview.flows.init_store import init_store

    init_store(engine, protocol)
    return engine


@pytest.fixture
def make_settings(tmp_path, monkeypatch, tls_files):
    """Settings as the environment gives them, with a private outbox and the test CA trusted for TLS."""
    from livereview.settings import load_settings

    monkeypatch.setenv("LIVEREVIEW_SMTP_CA_FILE", str(tls_files.ca))

    def make(**overrides):
        overrides.setdefault("outbox_dir", tmp_path / "outbox")
        return load_settings(**overrides)

    return make

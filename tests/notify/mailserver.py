"""A real SMTP server for the e-mail receiver's tests: aiosmtpd on a free loopback port,
plain, STARTTLS or implicit TLS, with optional AUTH, and a self-signed certificate
made here with ``openssl req`` (the ``cryptography`` package is not installed).

The server records every message it accepted with the session's facts (TLS on? who
logged in?), and can be told to refuse recipients with a given SMTP reply.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.services import free_port


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(directory: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, valid one day."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=lifeline-test-smtp",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


@dataclass(frozen=True)
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class Mailbox:
    """The handler: records deliveries, refuses what it is told to."""

    deliveries: list[Delivery] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> "550 ..." reply

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        auth = session.auth_data
        login = (
            auth.login.decode()
            if session.authenticated and isinstance(auth, LoginPassword)
            else None
        )
        # STARTTLS sets session.ssl; implicit TLS shows on the transport
        implicit = server.transport is not None and server.transport.get_extra_info("ssl_object")
        self.deliveries.append(
            Delivery(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,
                tls=session.ssl is not None or bool(implicit),
                login=login,
            )
        )
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    mailbox: Mailbox


@contextmanager
def run_mail_server(
    *,
    certificate: Certificate | None = None,
    mode: str = "plain",  # plain | starttls | ssl
    users: dict[str, str] | None = None,
) -> Iterator[MailServer]:
    """An SMTP server; ``users`` turns AUTH on (required, only after TLS)."""
    mailbox = Mailbox()
    kwargs: dict[str, Any] = {}
    if mode == "starttls":
        assert certificate is not None
        kwargs.update(tls_context=certificate.server_context(), require_starttls=True)
    elif mode == "ssl":
        assert certificate is not None
        kwargs.update(ssl_context=certificate.server_context())
    if users is not None:

        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                users.get(data.login.decode()) == data.password.decode()
            )
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

        kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=True)
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield MailServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()

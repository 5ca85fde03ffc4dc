"""``email``: SMTP with the standard library (``smtplib`` in ``asyncio.to_thread``).

``security``: ``ssl`` (implicit TLS, port 465), ``starttls`` (587) or ``none`` (plain,
for a relay on loopback or in development only). ``ca_file`` trusts a private CA; the
server's certificate is always verified. ``username`` + ``password`` log in (AUTH).

The message is multipart/alternative: ``Message.text`` and ``Message.html``; Subject is
``Message.title``; ``Message-ID`` is derived from ``Message.key`` (the same key always
gives the same ID, so a duplicate is recognisable), ``X-Lifeline-Key`` carries the key
and ``Auto-Submitted: auto-generated`` (RFC 3834) keeps auto-replies away.

Retry: a refused connection, a dropped one, a timeout or a 4xx reply is worth it; a 5xx
reply (bad login 535, unknown mailbox 550, ...), STARTTLS missing, or a certificate that
does not verify is not. Some recipients refused while others took it: delivered, and
the refusals are in the result.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

from alerts.notify.base import Message, Receiver, SendError
from alerts.notify.receivers.common import (
    BaseReceiver,
    ReceiverConfig,
    ReceiverType,
    open_secret,
    short,
    tls_context,
)
from alerts.notify.secrets import Secret, masked

__all__ = ["TYPE", "EmailConfig", "EmailReceiver", "build", "message_id"]

Address = Annotated[str, Meta(pattern=r"^[^@\s<>]+@[^@\s<>]+$")]
Port = Annotated[int, Meta(ge=1, le=65535)]
DEFAULT_PORTS: Final = {"ssl": 465, "starttls": 587, "none": 25}


class EmailConfig(
    ReceiverConfig, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="email"
):
    host: str
    sender: Address = msgspec.field(name="from")
    to: list[Address]
    security: Literal["ssl", "starttls", "none"] = "starttls"
    port: Port | None = None  # default by security: 465, 587, 25
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None

    def check(self) -> None:
        super().check()
        if not self.to:
            raise ValueError("to: at least one address")
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if self.security == "none" and self.password is not None:
            raise ValueError("a password over security: none would cross the network in clear")
        if self.ca_file is not None and self.security == "none":
            raise ValueError("ca_file needs security ssl or starttls")

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]


def message_id(key: str, sender: str) -> str:
    """A Message-ID that depends only on the key (and the sender's domain)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<lifeline.{digest}@{sender.rpartition('@')[2]}>"


def _email(config: EmailConfig, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = config.sender
    mail["To"] = ", ".join(config.to)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id(message.key, config.sender)
    mail["X-Lifeline-Key"] = message.key
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text, charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


class EmailReceiver(BaseReceiver[EmailConfig]):
    def __init__(self, config: EmailConfig) -> None:
        super().__init__(config)
        self._password = (
            open_secret(config, "password", config.password) if config.password else None
        )
        self._tls: ssl.SSLContext | None = None
        if config.security != "none":
            self._tls = tls_context(config, config.ca_file)

    def settings(self) -> dict[str, object]:
        c = self.config
        return {
            "host": c.host,
            "port": c.effective_port,
            "security": c.security,
            "from": c.sender,
            "to": list(c.to),
            "username": c.username,
            "password": masked(c.password),
            "ca_file": c.ca_file,
        }

    async def send(self, message: Message) -> str:
        mail = _email(self.config, message)
        try:
            return await asyncio.to_thread(self._deliver, mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise _send_error(exc) from exc

    def _deliver(self, mail: EmailMessage) -> str:
        c = self.config
        smtp: smtplib.SMTP
        if c.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                c.host, c.effective_port, timeout=c.timeout_s, context=self._tls
            )
        else:
            smtp = smtplib.SMTP(c.host, c.effective_port, timeout=c.timeout_s)
        with smtp:
            if c.security == "starttls":
                smtp.starttls(context=self._tls)
            if c.username is not None and self._password is not None:
                smtp.login(c.username, self._password)
            refused = smtp.send_message(mail)
        if refused:
            listed = "; ".join(f"{to}: {code}" for to, (code, _) in refused.items())
            return f"250 sent, refused {listed}"
        return "250 sent"


def _send_error(exc: OSError | smtplib.SMTPException) -> SendError:
    """Retry on what may pass (4xx, dropped or refused connections, timeouts)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        refused = "; ".join(f"{to}: {code}" for to, (code, _) in exc.recipients.items())
        retryable = all(400 <= code < 500 for code in codes)
        return SendError(f"all recipients refused: {refused}", retryable=retryable)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        detail = f"SMTP {exc.smtp_code}: {short(text)}"
        return SendError(detail, retryable=400 <= exc.smtp_code < 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendError(f"server does not support it: {exc}", retryable=False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SendError(f"TLS certificate not trusted: {exc.verify_message}", retryable=False)
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLEOFError):
        # e.g. "wrong version number": security ssl against a plain or STARTTLS port
        return SendError(f"TLS failed: {exc.reason or exc}", retryable=False)
    return SendError(f"{type(exc).__name__}: {exc}", retryable=True)


def build(config: EmailConfig) -> Receiver:
    return EmailReceiver(config)


TYPE = ReceiverType(EmailConfig, build)

"""``email`` against a real SMTP server (aiosmtpd): plain, STARTTLS and implicit TLS
with a self-signed certificate the receiver trusts through ``ca_file``."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from alerts.notify.base import SendError
from alerts.notify.receivers.smtp import message_id
from tests.notify.conftest import receiver_from
from tests.notify.factories import make_message
from tests.notify.mailserver import Certificate, MailServer, run_mail_server
from tests.services import free_port

USERS = {"lifeline@bjgas.test": "mail-password-42"}


def email_yaml(server: MailServer | None, security: str, **extra: str) -> str:
    port = server.port if server else free_port()
    lines = [
        "name: duty-mail",
        "type: email",
        "host: 127.0.0.1",
        f"port: {port}",
        f"security: {security}",
        "from: lifeline@bjgas.test",
        "to: [duty@bjgas.test, chief@bjgas.test]",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    return "\n".join(lines)


def parts(mail: EmailMessage) -> dict[str, str]:
    """Content type -> text, line ends as a mail client shows them (SMTP sends CRLF)."""
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in mail.iter_parts()
    }


@pytest.fixture(autouse=True)
def mail_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", USERS["lifeline@bjgas.test"])


async def test_plain_relay_gets_text_and_html_with_chinese_subject() -> None:
    message = make_message()
    with run_mail_server() as server:
        async with receiver_from(email_yaml(server, "none")) as receiver:
            assert await receiver.send(message) == "250 sent"
    [delivery] = server.mailbox.deliveries
    assert delivery.mail_from == "lifeline@bjgas.test"
    assert delivery.rcpt_tos == ["duty@bjgas.test", "chief@bjgas.test"]
    mail = delivery.message
    assert mail["Subject"] == message.title == "【紧急】燃气泄漏：幸福里小区3号楼调压箱燃气探测器"
    assert mail.get_content_type() == "multipart/alternative"
    body = parts(mail)
    assert body["text/plain"].rstrip("\n") == message.text
    assert body["text/html"].rstrip("\n") == message.html
    assert mail["Message-ID"] == message_id(message.key, "lifeline@bjgas.test")
    assert mail["X-Lifeline-Key"] == message.key
    assert mail["Auto-Submitted"] == "auto-generated"
    assert not delivery.tls


async def test_starttls_with_a_private_ca_and_login(certificate: Certificate) -> None:
    with run_mail_server(certificate=certificate, mode="starttls", users=USERS) as server:
        yaml = email_yaml(
            server,
            "starttls",
            ca_file=str(certificate.cert),
            username="lifeline@bjgas.test",
            password="{env: TEST_SMTP_PASSWORD}",
        )
        async with receiver_from(yaml) as receiver:
            await receiver.send(make_message())
            assert receiver.describe()["password"] == "(env TEST_SMTP_PASSWORD)"
    [delivery] = server.mailbox.deliveries
    assert delivery.tls
    assert delivery.login == "lifeline@bjgas.test"


async def test_implicit_tls(certificate: Certificate) -> None:
    with run_mail_server(certificate=certificate, mode="ssl") as server:
        yaml = email_yaml(server, "ssl", ca_file=str(certificate.cert))
        async with receiver_from(yaml) as receiver:
            await receiver.send(make_message())
    [delivery] = server.mailbox.deliveries
    assert delivery.tls


async def test_untrusted_certificate_is_permanent(certificate: Certificate) -> None:
    with run_mail_server(certificate=certificate, mode="starttls") as server:
        async with receiver_from(email_yaml(server, "starttls")) as receiver:  # system CAs
            with pytest.raises(SendError) as error:
                await receiver.send(make_message())
    assert not error.value.retryable
    assert error.value.detail.startswith("TLS certificate not trusted")
    assert server.mailbox.deliveries == []


async def test_wrong_password_is_permanent(
    certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "guessed")
    with run_mail_server(certificate=certificate, mode="starttls", users=USERS) as server:
        yaml = email_yaml(
            server,
            "starttls",
            ca_file=str(certificate.cert),
            username="lifeline@bjgas.test",
            password="{env: TEST_SMTP_PASSWORD}",
        )
        async with receiver_from(yaml) as receiver:
            with pytest.raises(SendError) as error:
                await receiver.send(make_message())
    assert not error.value.retryable
    assert error.value.detail.startswith("SMTP 535")


@pytest.mark.parametrize(
    ("reply", "retryable"), [("451 4.3.0 mailbox busy", True), ("550 5.1.1 no such user", False)]
)
async def test_refused_recipients(reply: str, retryable: bool) -> None:
    with run_mail_server() as server:
        server.mailbox.refuse_rcpt = {"duty@bjgas.test": reply, "chief@bjgas.test": reply}
        async with receiver_from(email_yaml(server, "none")) as receiver:
            with pytest.raises(SendError) as error:
                await receiver.send(make_message())
    assert error.value.retryable is retryable
    assert error.value.detail.startswith("all recipients refused")


async def test_one_refused_recipient_does_not_fail_the_message() -> None:
    with run_mail_server() as server:
        server.mailbox.refuse_rcpt = {"chief@bjgas.test": "550 5.1.1 no such user"}
        async with receiver_from(email_yaml(server, "none")) as receiver:
            result = await receiver.send(make_message())
    assert result == "250 sent, refused chief@bjgas.test: 550"
    assert [d.rcpt_tos for d in server.mailbox.deliveries] == [["duty@bjgas.test"]]


async def test_dead_port_is_retryable() -> None:
    async with receiver_from(email_yaml(None, "none", timeout_s="2")) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert error.value.retryable
    assert "ConnectionRefusedError" in error.value.detail

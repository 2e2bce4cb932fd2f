"""Login, throttling, logout, session cookies and password reset over real SMTP."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse

from kizuna.core.models import AuditLog, User
from tests.conftest import PASSWORD


@pytest.fixture
def user(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user("hr@test.example", "hr")


def test_login_with_email_and_password(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"email": "HR@test.example", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert AuditLog.objects.filter(action="auth.login", actor=user).exists()


def test_wrong_password_shows_translated_inline_error(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"email": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません" in response.content.decode()
    assert AuditLog.objects.filter(action="auth.login_failed").count() == 1


def test_login_is_throttled_after_five_failures_even_with_the_right_password(
    client: Client, user: User
) -> None:
    for _ in range(5):
        client.post(reverse("login"), {"email": user.email, "password": "wrong"})
    response = client.post(reverse("login"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # another account from another address is not affected
    other = Client(REMOTE_ADDR="10.9.9.9")
    User.objects.create_user("other@test.example", PASSWORD)
    assert (
        other.post(
            reverse("login"), {"email": "other@test.example", "password": PASSWORD}
        ).status_code
        == 302
    )


def test_open_redirect_after_login_is_refused(client: Client, user: User) -> None:
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"email": user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_logout_requires_post_and_ends_the_session(client: Client, user: User) -> None:
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_session_cookie_is_httponly_and_samesite(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"email": user.email, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_inactive_user_cannot_log_in(client: Client, user: User) -> None:
    user.is_active = False
    user.save()
    response = client.post(reverse("login"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_passwords_are_stored_with_argon2(user: User) -> None:
    from django.contrib.auth.hashers import make_password

    assert make_password("x", hasher="argon2").startswith("argon2$")
    from django.conf import settings

    from kizuna import settings as real

    assert real.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert "Argon2PasswordHasher" in " ".join(settings.PASSWORD_HASHERS)


class _Sink:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Sink, int]]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.mark.django_db
def test_password_reset_through_a_real_smtp_conversation(
    smtp_server: tuple[_Sink, int],
    make_user,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    from kizuna.config import mailer_from_url

    sink, port = smtp_server
    user = make_user("reset-me@test.example", "employee")
    # KIZUNA_EMAIL_URL as the README documents it, pointed at the local SMTP server
    settings.MAILERS = {"default": mailer_from_url(f"smtp://127.0.0.1:{port}")}
    client = Client()
    response = client.post(reverse("password_reset"), {"email": "reset-me@test.example"})
    assert response.status_code == 302
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert sink.envelopes[0][1] == ["reset-me@test.example"]
    assert "パスワード" in str(message["Subject"]) or "=?utf-8?" in str(message["Subject"])
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    link = re.search(r"http://[^/\s]+(/accounts/password/reset/\S+/)", body)
    assert link, body
    # the reset page redirects once to a token-less URL, then accepts a new password
    page = client.get(link.group(1), follow=True)
    assert page.status_code == 200
    new_password = "a much better passphrase 2026"
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert (
        Client().post(reverse("login"), {"email": user.email, "password": new_password}).status_code
        == 302
    )


def test_password_reset_for_unknown_address_sends_nothing_and_reveals_nothing(
    client: Client,
    db: None,
    mailoutbox,  # type: ignore[no-untyped-def]
) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@test.example"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 0

"""Fixtures for the survey engine: the built-in catalogue, an HR login, a launched survey
with its raw links, a real SMTP server and a fake Slack Web API."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from kizuna.core.models import User
from kizuna.surveys import services
from kizuna.surveys.catalog import install_catalog
from kizuna.surveys.models import Survey

OPENS = dt.date(2026, 5, 11)
CLOSES = dt.date(2026, 5, 25)
DURING = dt.date(2026, 5, 12)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def _catalog(db: None) -> None:
    # the data migration installs it; a flushed test database may not have it
    install_catalog()


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user("hr-surveys@test.example", "hr")


@pytest.fixture
def make_survey(company: dict[str, Any], hr: User) -> Callable[..., Survey]:
    def make(
        template: str = "kizuna-annual",
        kind: str = "annual",
        audience: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Survey:
        return services.create_survey(
            extra.pop("name", "2026年度 エンゲージメントサーベイ"),
            kind,
            template,
            audience=audience or {"all": True},
            opens_on=extra.pop("opens_on", today()),
            closes_on=extra.pop("closes_on", today() + dt.timedelta(days=14)),
            created_by=hr,
            **extra,
        )

    return make


@pytest.fixture
def launched(make_survey: Callable[..., Survey], hr: User) -> tuple[Survey, services.LaunchResult]:
    """An annual survey of the whole company, open from today for two weeks, launched
    without sending; ``result.links`` maps employee pk to the raw link."""
    survey = make_survey()
    result = services.launch(survey, by_user=hr, send=False)
    return survey, result


def path_of(link: str) -> str:
    return urlsplit(link).path


def token_of(link: str) -> str:
    return path_of(link).rstrip("/").rsplit("/", 1)[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailSink:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) on a free port, configured as KIZUNA_EMAIL_URL would."""
    from kizuna.config import mailer_from_url

    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {"default": mailer_from_url(f"smtp://127.0.0.1:{port}")}
    try:
        yield sink
    finally:
        controller.stop()


class SlackRecorder:
    """What the fake Slack Web API received, and which emails it knows."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.calls: list[dict[str, Any]] = []


@pytest.fixture
def slack_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackRecorder]:
    """A local HTTP server speaking just enough of the Slack Web API, with
    KIZUNA_SLACK_API_URL and KIZUNA_SLACK_TOKEN pointing at it."""
    recorder = SlackRecorder({"e004@test.example": "U004", "e006@test.example": "U006"})

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _record(self, params: dict[str, Any]) -> str:
            method = urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1]
            recorder.calls.append(
                {
                    "method": method,
                    "http": self.command,
                    "auth": self.headers.get("Authorization"),
                    "params": params,
                }
            )
            return method

        def do_GET(self) -> None:
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            method = self._record(query)
            if method == "users.lookupByEmail":
                user = recorder.known.get(query.get("email", ""))
                if user:
                    self._reply({"ok": True, "user": {"id": user}})
                else:
                    self._reply({"ok": False, "error": "users_not_found"})
                return
            self._reply({"ok": False, "error": "unknown_method"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(raw or "{}")
            else:
                params = {k: v[-1] for k, v in parse_qs(raw).items()}
            method = self._record(params)
            if method == "chat.postMessage":
                self._reply({"ok": True, "channel": "D" + params.get("channel", ""), "ts": "1.0"})
                return
            if method == "users.lookupByEmail":
                user = recorder.known.get(params.get("email", ""))
                self._reply(
                    {"ok": True, "user": {"id": user}}
                    if user
                    else {"ok": False, "error": "users_not_found"}
                )
                return
            self._reply({"ok": False, "error": "unknown_method"})

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("KIZUNA_SLACK_API_URL", f"http://127.0.0.1:{server.server_port}/api/")
    monkeypatch.setenv("KIZUNA_SLACK_TOKEN", "xoxb-test-token")
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()

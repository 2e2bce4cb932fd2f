"""``kizuna source …`` and ``kizuna drain``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kizuna.core.models import AuditLog
from kizuna.usage import sources
from kizuna.usage.management.commands import drain as drain_command
from kizuna.usage.management.commands import source as source_command
from kizuna.usage.models import Source
from tests.usage.conftest import query

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_a_key_that_works_and_stores_only_its_hash():
    with translation.override("en"):
        out, err = run("source", "create", "web app")
    key = out.strip()
    source = Source.objects.get(name="web app")
    assert sources.source_id_for_key(key) == source.pk
    assert key.startswith(source.key_prefix)
    assert key not in (source.key_hash, source.key_prefix)
    assert "not shown again" in err  # on stderr, so KEY=$(kizuna source create …) works
    assert AuditLog.objects.filter(action="usage.source_created").count() == 1


def test_create_json_for_scripts():
    out, _err = run("source", "create", "backend", "--format", "json")
    payload = json.loads(out)
    assert payload["name"] == "backend"
    assert sources.source_id_for_key(payload["write_key"]) == payload["id"]


def test_duplicate_or_empty_name_is_refused():
    run("source", "create", "web app")
    with pytest.raises(CommandError):
        run("source", "create", "web app")
    with pytest.raises(CommandError):
        run("source", "create", "  ")
    assert Source.objects.count() == 1


def test_list_shows_prefixes_never_keys():
    key = run("source", "create", "web app")[0].strip()
    out, _err = run("source", "list")
    assert "web app" in out
    assert key[:12] in out
    assert key not in out
    rows = json.loads(run("source", "list", "--format", "json")[0])
    assert [(r["name"], r["key_prefix"], r["active"]) for r in rows] == [
        ("web app", key[:12], True)
    ]


def test_deactivate_and_activate():
    key = run("source", "create", "web app")[0].strip()
    run("source", "deactivate", "web app")
    assert sources.source_id_for_key(key) is None
    run("source", "activate", "web app")
    assert sources.source_id_for_key(key) == Source.objects.get().pk
    with pytest.raises(CommandError):
        run("source", "deactivate", "nobody")


@pytest.mark.parametrize("module", [source_command, drain_command])
def test_help_is_plain_translated_text(module):
    with translation.override("en"):
        command = module.Command()
        text = command.create_parser("kizuna", "x").format_help()
    assert isinstance(command.help, str)
    assert "".join(command.help.split()) in "".join(text.split())  # wrapped by argparse


def test_drain_command_moves_spooled_events(post, write_key):
    batch = [{"type": "track", "userId": "u", "event": "e", "messageId": f"m{i}"} for i in range(3)]
    assert post("batch", {"batch": batch}, write_key).status_code == 200
    with translation.override("en"):
        out, _err = run("drain")
    assert out.strip() == "Stored 3 new events (0 duplicates skipped); 0 events still spooled."
    assert query("SELECT count(*) FROM events") == [(3,)]
    report = json.loads(run("drain", "--format", "json")[0])
    assert (report["stored"], report["backlog_events"]) == (0, 0)


# --- kizuna serve ----------------------------------------------------------------------


def test_serve_runs_the_tracking_fast_path_in_front_of_the_site():
    from gunicorn.util import import_app

    from kizuna.core.management.commands import serve
    from kizuna.usage.views import TrackingFastPath

    command = serve.gunicorn_command("127.0.0.1", 8123, workers=2, threads=4)
    assert serve.APPLICATION in command
    app = import_app(serve.APPLICATION)  # as gunicorn loads it in each worker
    assert isinstance(app, TrackingFastPath)


def test_serve_becomes_gunicorn_so_signals_reach_the_server(monkeypatch):
    from kizuna.core.management.commands import serve

    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append((path, argv)))
    run("serve", "--port", "8124", "--workers", "3")
    [(path, argv)] = calls
    assert path == argv[0]
    assert argv == serve.gunicorn_command("127.0.0.1", 8124, 3, 4)


class _Response:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.status = f"{status} X"
        self.sent = 16
        self.headers: list[tuple[str, str]] = [("Content-Type", "application/json")]


def test_the_access_log_keeps_write_keys_and_accepted_tracking_calls_out(tmp_path):
    import base64
    import datetime as dt

    from gunicorn.config import Config

    from kizuna.core.management.commands import serve

    path = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(path))
    log = serve.AccessLog(config)
    key = "kzw_secret-key"
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()

    def request(path_info: str, status: int) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "RAW_URI": path_info,
            "PATH_INFO": path_info,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "192.0.2.1",
            "HTTP_AUTHORIZATION": auth,
        }
        req = type("Request", (), {"headers": [("AUTHORIZATION", auth)]})()
        log.access(_Response(status), req, environ, dt.timedelta(milliseconds=2))

    request("/v1/batch", 200)
    request("/v1/batch", 400)
    request("/accounts/login/", 200)
    for handler in log.access_log.handlers:
        handler.flush()
    lines = path.read_text().splitlines()
    assert [line.split('"')[1] for line in lines] == [
        "POST /v1/batch HTTP/1.1",
        "POST /accounts/login/ HTTP/1.1",
    ]
    assert key not in path.read_text()

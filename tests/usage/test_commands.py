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

"""Private notes are unreachable for everyone but their writer — the other participant,
the manager's manager, HR, admins and executives — through every page, the API (session
and bearer token), the Django admin, exports and dumps; non-participants get 404."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kizuna.core import tokens
from kizuna.core.models import User
from kizuna.practices.oneonones import services
from kizuna.practices.oneonones.models import Meeting, Pair

pytestmark = pytest.mark.django_db

SECRET_MANAGER = "MANAGER-SECRET-転職リスクあり"
SECRET_MEMBER = "MEMBER-SECRET-実は異動したい"
SHARED = "SHARED-次回までに目標を整理"
AGENDA = "AGENDA-評価面談の準備"


@pytest.fixture
def setup(
    pairs: dict[str, Pair],
    company: dict[str, Any],
    role_users: dict[str, User],
    make_user: Callable[..., User],
    meet: Callable[..., Meeting],
) -> dict[str, Any]:
    """E003 (a manager with a login of their own) and E004 (the employee login) met;
    both wrote a private note; the meeting has an agenda item and a shared note."""
    people = company["people"]
    e003 = make_user("e003-login@test.example", "manager", employee=people["E003"])
    meeting = meet(pairs["E003-E004"], dt.date(2026, 6, 1), "scheduled")
    services.add_agenda_item(meeting, people["E004"], AGENDA, "career", "advise")
    services.mark_held(meeting)
    services.add_shared_note(meeting, people["E003"], SHARED)
    services.save_private_note(meeting, people["E003"], SECRET_MANAGER)
    services.save_private_note(meeting, people["E004"], SECRET_MEMBER)
    users = {**role_users, "e003": e003}
    return {"meeting": meeting, "pair": pairs["E003-E004"], "users": users}


def _client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


OUTSIDERS = ["manager", "hr", "admin", "executive", "csm"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_for_the_meeting_pages(setup: dict[str, Any], who: str) -> None:
    client = _client(setup["users"][who])
    meeting, pair = setup["meeting"], setup["pair"]
    for url in (
        reverse("oneonones:meeting", args=[meeting.pk]),
        reverse("oneonones:meeting_ics", args=[meeting.pk]),
        reverse("oneonones:pair", args=[pair.pk]),
        f"/api/one-on-ones/meetings/{meeting.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        for secret in (SECRET_MANAGER, SECRET_MEMBER, SHARED, AGENDA):
            assert secret not in response.content.decode()
    # writing is refused the same way, and nothing is written
    for name, data in (
        ("oneonones:private_note_save", {"text": "x"}),
        ("oneonones:agenda_add", {"text": "x", "topic": "career", "support": "listen"}),
        ("oneonones:shared_note_add", {"text": "x"}),
    ):
        assert client.post(reverse(name, args=[meeting.pk]), data).status_code == 404
    assert not meeting.shared_notes.filter(text="x").exists()


def test_each_participant_sees_only_their_own_private_note(setup: dict[str, Any]) -> None:
    meeting = setup["meeting"]
    url = reverse("oneonones:meeting", args=[meeting.pk])
    for who, own, other in (
        ("e003", SECRET_MANAGER, SECRET_MEMBER),
        ("employee", SECRET_MEMBER, SECRET_MANAGER),
    ):
        page = _client(setup["users"][who]).get(url).content.decode()
        assert own in page and other not in page
        assert SHARED in page and AGENDA in page


@pytest.mark.parametrize("who", ["e003", "employee", "manager", "hr", "admin", "executive"])
def test_the_api_never_returns_private_notes(setup: dict[str, Any], who: str) -> None:
    """Session and bearer token; participants get the meeting without any private note
    (not even their own); everyone else 404."""
    meeting = setup["meeting"]
    user = setup["users"][who]
    _token, raw = tokens.create_token(user, "test")
    bearer = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
    participant = who in ("e003", "employee")
    for client in (_client(user), bearer):
        for path in ("pairs", "meetings", f"meetings/{meeting.pk}"):
            response = client.get(f"/api/one-on-ones/{path}")
            body = response.content.decode()
            assert SECRET_MANAGER not in body and SECRET_MEMBER not in body
            assert "private" not in body.lower()
        detail = client.get(f"/api/one-on-ones/meetings/{meeting.pk}")
        if participant:
            assert detail.status_code == 200
            data = detail.json()
            assert [a["text"] for a in data["agenda"]] == [AGENDA]
            assert [n["text"] for n in data["shared_notes"]] == [SHARED]
        else:
            assert detail.status_code == 404
    # the OpenAPI schema has no field for private notes either
    schema = json.dumps(Client().get("/api/openapi.json").json())
    assert "PrivateNote" not in schema and "private_note" not in schema


def test_django_admin_has_no_1on1_models(setup: dict[str, Any]) -> None:
    assert not [m for m in admin.site._registry if m._meta.app_label == "oneonones"]
    client = _client(setup["users"]["admin"])
    index = client.get("/admin/").content.decode()
    assert "oneonones" not in index and "privatenote" not in index.lower()
    assert client.get("/admin/oneonones/privatenote/").status_code == 404
    assert client.get("/admin/oneonones/meeting/").status_code == 404
    # admin search in every registered changelist that has search fields
    for model, model_admin in admin.site._registry.items():
        if not model_admin.search_fields:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for term in ("SECRET", "転職リスク"):  # parts; the search box echoes the term
            body = client.get(url, {"q": term}).content.decode()
            assert SECRET_MANAGER not in body and SECRET_MEMBER not in body, url


def _plain_urls() -> list[str]:
    """Every URL pattern without arguments (pages, exports, the API lists)."""
    found: list[str] = []

    def walk(entries: list[Any], prefix: str) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if "<" not in route and "(" not in route and "^" not in route:
                    found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return [u for u in found if "logout" not in u]


@pytest.mark.parametrize("who", ["manager", "hr", "admin", "executive"])
def test_no_page_or_export_without_arguments_shows_the_notes(
    setup: dict[str, Any], who: str
) -> None:
    """GET every argument-free URL of the whole site (dashboards, exports, the audit log,
    the cadence statistics, API lists) as each role: no private note, shared note or
    agenda text anywhere."""
    client = _client(setup["users"][who])
    urls = _plain_urls()
    assert {"/one-on-ones/", "/one-on-ones/cadence/", "/api/one-on-ones/meetings"} <= set(urls)
    for url in urls:
        body = client.get(url).content.decode(errors="replace")
        for secret in (SECRET_MANAGER, SECRET_MEMBER, SHARED, AGENDA):
            assert secret not in body, f"{secret} in {url} as {who}"


def test_dumpdata_leaves_private_notes_out(setup: dict[str, Any]) -> None:
    """``dumpdata`` reads the default manager, which lists no private notes."""
    out = io.StringIO()
    call_command("dumpdata", "oneonones", stdout=out)
    dump = out.getvalue()
    assert SHARED in dump  # the dump works and holds the shared note
    assert SECRET_MANAGER not in dump and SECRET_MEMBER not in dump
    assert "oneonones.privatenote" not in dump


def test_cadence_statistics_show_no_contents(setup: dict[str, Any]) -> None:
    for who in ("hr", "admin", "manager"):
        response = _client(setup["users"][who]).get(reverse("oneonones:cadence"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "鈴木 一郎" in body and "高橋 二郎" in body  # the pair is listed
        for secret in (SECRET_MANAGER, SECRET_MEMBER, SHARED, AGENDA):
            assert secret not in body

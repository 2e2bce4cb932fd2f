"""The 1on1 pages and the API as the participants use them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kizuna.core import tokens
from kizuna.core.models import User
from kizuna.practices.oneonones import services, stats
from kizuna.practices.oneonones.models import ActionItem, AgendaItem, Meeting, Pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def e003(company: dict[str, Any], make_user: Callable[..., User]) -> User:
    return make_user("e003-login@test.example", "manager", employee=company["people"]["E003"])


def _login(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # assertions read English
    client.force_login(user)
    return client


def _tomorrow() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=1)


def test_index_as_manager_and_as_member(
    pairs: dict[str, Pair], e003: User, role_users: dict[str, User], meet: Callable[..., Meeting]
) -> None:
    today = timezone.localdate()
    meet(pairs["E003-E004"], today - dt.timedelta(days=12))
    with translation.override("en"):
        page = _login(e003).get(reverse("oneonones:index"), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    # as manager: 高橋 with 12 days since the last meeting; as member: 佐藤 (E002)
    assert "With my members" in body and "高橋 二郎" in body
    assert '<td class="num">12' in body
    assert "With my manager" in body and "佐藤 花子" in body
    member_page = _login(role_users["employee"]).get(reverse("oneonones:index")).content.decode()
    assert "鈴木 一郎" in member_page


def test_index_without_an_employee_record(role_users: dict[str, User]) -> None:
    with translation.override("en"):
        body = _login(role_users["csm"]).get(reverse("oneonones:index")).content.decode()
    assert "not linked to an employee record" in body


def test_schedule_then_agenda_then_held_then_rating(
    pairs: dict[str, Pair], e003: User, role_users: dict[str, User]
) -> None:
    pair = pairs["E003-E004"]
    manager, member = _login(e003), _login(role_users["employee"])
    when = timezone.localtime(_tomorrow()).replace(second=0, microsecond=0)
    response = manager.post(
        reverse("oneonones:schedule", args=[pair.pk]),
        {"scheduled_at": when.strftime("%Y-%m-%dT%H:%M"), "duration_minutes": 30},
    )
    meeting = Meeting.objects.get(pair=pair)
    assert response.status_code == 302 and meeting.scheduled_at == when
    # bad input: inline error, nothing added
    with translation.override("en"):
        bad = member.post(
            reverse("oneonones:agenda_add", args=[meeting.pk]),
            {"text": "", "topic": "career", "support": "listen"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert bad.status_code == 400 and "Write the topic." in bad.content.decode()
    assert not AgendaItem.objects.exists()
    member.post(
        reverse("oneonones:agenda_add", args=[meeting.pk]),
        {"text": "キャリアの相談", "topic": "career", "support": "advise"},
    )
    manager.post(
        reverse("oneonones:agenda_add", args=[meeting.pk]),
        {"text": "四半期の振り返り", "topic": "progress", "support": "decide"},
    )
    assert AgendaItem.objects.filter(meeting=meeting).count() == 2
    # rating before the meeting is held: refused with a message, nothing stored
    assert (
        member.post(reverse("oneonones:rate", args=[meeting.pk]), {"rating": 4}).status_code == 400
    )
    manager.post(reverse("oneonones:meeting_status", args=[meeting.pk]), {"status": "held"})
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.rating is None
    # the manager may not rate; the member may
    assert (
        manager.post(reverse("oneonones:rate", args=[meeting.pk]), {"rating": 5}).status_code == 403
    )
    assert (
        member.post(reverse("oneonones:rate", args=[meeting.pk]), {"rating": 4}).status_code == 302
    )
    meeting.refresh_from_db()
    assert meeting.rating == 4
    # after the meeting no more agenda items
    late = member.post(
        reverse("oneonones:agenda_add", args=[meeting.pk]),
        {"text": "後から", "topic": "career", "support": "listen"},
    )
    assert late.status_code == 400
    assert AgendaItem.objects.filter(meeting=meeting).count() == 2


def test_meeting_page_shows_carried_forward_actions(
    pairs: dict[str, Pair], e003: User, meet: Callable[..., Meeting]
) -> None:
    pair = pairs["E003-E004"]
    first = meet(pair, timezone.localdate() - dt.timedelta(days=14))
    second = Meeting.objects.create(pair=pair, scheduled_at=_tomorrow())
    client = _login(e003)
    client.post(
        reverse("oneonones:action_add", args=[first.pk]),
        {"text": "研修の申込み", "owner": pair.member_id},
    )
    item = ActionItem.objects.get()
    with translation.override("en"):
        page = client.get(reverse("oneonones:meeting", args=[second.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert "Carried over from earlier 1on1s" in body and "研修の申込み" in body
    client.post(reverse("oneonones:action_toggle", args=[second.pk, item.pk]))
    item.refresh_from_db()
    assert item.done and item.done_on == timezone.localdate()


def test_cadence_change_by_the_pairs_manager_and_hr(
    pairs: dict[str, Pair], e003: User, role_users: dict[str, User]
) -> None:
    pair = pairs["E003-E004"]
    url = reverse("oneonones:pair_cadence", args=[pair.pk])
    data = {
        "cadence": "custom",
        "interval_days": "",
        "weekday": "",
        "time": "",
        "duration_minutes": 30,
    }
    with translation.override("en"):
        bad = _login(e003).post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        bad.status_code == 400
        and "Enter an interval between 1 and 90 days." in bad.content.decode()
    )
    pair.refresh_from_db()
    assert pair.cadence == "biweekly"
    _login(e003).post(url, {**data, "interval_days": 21, "weekday": 2, "time": "15:30"})
    pair.refresh_from_db()
    assert (pair.interval, pair.weekday, pair.time) == (21, 2, dt.time(15, 30))
    _login(role_users["hr"]).post(url, {**data, "cadence": "weekly"})
    pair.refresh_from_db()
    assert pair.interval == 7
    # the manager's manager (E002) may not
    assert (
        _login(role_users["manager"]).post(url, {**data, "cadence": "biweekly"}).status_code == 404
    )


def test_cadence_statistics_scope_and_no_ratings(
    pairs: dict[str, Pair],
    role_users: dict[str, User],
    meet: Callable[..., Meeting],
    company: dict[str, Any],
) -> None:
    today = timezone.localdate()
    m = meet(pairs["E003-E004"], today - dt.timedelta(days=3))
    services.rate(m, company["people"]["E004"], 2)
    # the manager (E002 heads 営業部, which holds 営業1課) sees the pairs whose member is in
    # that subtree: E002 herself (営業部, pair with E001), E003 and E004 — not 開発部
    scope, _people = stats.people_in_scope(role_users["manager"])
    report = stats.cadence_report(role_users["manager"], today)
    members = sorted(r.status.pair.member.employee_number for r in report.pairs)
    assert (scope, members) == ("subtree", ["E002", "E003", "E004"])
    hr = stats.cadence_report(role_users["hr"], today)
    assert hr.total.denominator == 5
    # 営業1課 holds two members (E003 under E002, E004 under E003); E003–E004 met once in
    # the 30 days, where every two weeks needs ⌊30 / 14⌋ = 2 → 0 of 2 on cadence
    (sales1,) = [d for d in hr.departments if d.department.code == "SALES1"]
    assert (sales1.coverage.numerator, sales1.coverage.denominator) == (0, 2)
    # the すっきり度 stays with the two participants: not even an average on this page
    for who in ("hr", "admin", "executive", "manager"):
        client = _login(role_users[who])
        body = client.get(reverse("oneonones:cadence")).content.decode()
        assert "すっきり" not in body and "rated" not in body, who


def test_sync_button_for_hr_only(company: dict[str, Any], role_users: dict[str, User]) -> None:
    assert _login(role_users["manager"]).post(reverse("oneonones:sync")).status_code == 403
    assert not Pair.objects.exists()
    assert _login(role_users["hr"]).post(reverse("oneonones:sync")).status_code == 302
    assert Pair.objects.count() == 5


def test_api_lists_and_agenda_with_a_token(
    pairs: dict[str, Pair], role_users: dict[str, User]
) -> None:
    meeting = Meeting.objects.create(pair=pairs["E003-E004"], scheduled_at=_tomorrow())
    _token, raw = tokens.create_token(role_users["employee"], "test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listed = client.get("/api/one-on-ones/pairs").json()
    assert [(p["manager"]["employee_number"], p["my_role"]) for p in listed] == [("E003", "member")]
    assert [m["id"] for m in client.get("/api/one-on-ones/meetings").json()] == [meeting.pk]
    created = client.post(
        f"/api/one-on-ones/meetings/{meeting.pk}/agenda",
        {"text": "在宅勤務の相談", "topic": "concern", "support": "listen"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["topic"] == "concern"
    bad = client.post(
        f"/api/one-on-ones/meetings/{meeting.pk}/agenda",
        {"text": "x", "topic": "gossip"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    detail = client.get(f"/api/one-on-ones/meetings/{meeting.pk}").json()
    assert [a["text"] for a in detail["agenda"]] == ["在宅勤務の相談"]
    # another person's token: 404, nothing added
    _t, other = tokens.create_token(role_users["manager"], "test")
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {other}").post(
        f"/api/one-on-ones/meetings/{meeting.pk}/agenda",
        {"text": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert AgendaItem.objects.count() == 1


def test_post_only_views_refuse_get(pairs: dict[str, Pair], role_users: dict[str, User]) -> None:
    meeting = Meeting.objects.create(pair=pairs["E003-E004"], scheduled_at=_tomorrow())
    client = _login(role_users["employee"])
    for name in ("agenda_add", "shared_note_add", "private_note_save", "rate", "meeting_status"):
        assert client.get(reverse(f"oneonones:{name}", args=[meeting.pk])).status_code == 405


def test_ended_pairs_stay_readable_for_their_participants(
    pairs: dict[str, Pair], role_users: dict[str, User], company: dict[str, Any]
) -> None:
    Pair.objects.filter(pk=pairs["E003-E004"].pk).update(active=False, ended_on=dt.date(2026, 3, 1))
    client = _login(role_users["employee"])
    with translation.override("en"):
        body = client.get(reverse("oneonones:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Earlier 1on1 pairs" in body
    assert reverse("oneonones:pair", args=[pairs["E003-E004"].pk]) in body
    assert client.get(reverse("oneonones:pair", args=[pairs["E003-E004"].pk])).status_code == 200


def test_cadence_page_filters(
    pairs: dict[str, Pair], role_users: dict[str, User], meet: Callable[..., Meeting]
) -> None:
    today = timezone.localdate()
    # E003-E004 held twice in the window (2 >= 2): on track; the four others are behind
    meet(pairs["E003-E004"], today - dt.timedelta(days=3))
    meet(pairs["E003-E004"], today - dt.timedelta(days=17))
    client = _login(role_users["hr"])
    on_track = client.get(reverse("oneonones:cadence"), {"state": "on_track"})
    assert [r.status.pair.pk for r in on_track.context["pairs"]] == [pairs["E003-E004"].pk]
    behind = client.get(reverse("oneonones:cadence"), {"state": "behind"})
    assert len(behind.context["pairs"]) == 4
    dev = pairs["E005-E006"].member.department_id
    in_dev = client.get(reverse("oneonones:cadence"), {"department": dev})
    # members in 開発部: E005 (pair with E001) and E006 (pair with E005)
    assert sorted(r.status.pair.member.employee_number for r in in_dev.context["pairs"]) == [
        "E005",
        "E006",
    ]


def test_scheduling_in_the_past_is_refused(pairs: dict[str, Pair], e003: User) -> None:
    yesterday = timezone.localtime() - dt.timedelta(days=1)
    with translation.override("en"):
        response = _login(e003).post(
            reverse("oneonones:schedule", args=[pairs["E003-E004"].pk]),
            {"scheduled_at": yesterday.strftime("%Y-%m-%dT%H:%M"), "duration_minutes": 30},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert "Choose a date and time from today on." in response.content.decode()
    assert not Meeting.objects.exists()

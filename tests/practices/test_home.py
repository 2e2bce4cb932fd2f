"""The home page's own-practices panel: each person sees their next 1on1, their open
action items, the points left this week and the reviews waiting for them — their own
records only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kizuna.core.models import User
from kizuna.practices import home
from kizuna.practices.evaluation import services as evaluation
from kizuna.practices.oneonones import services as oneonones
from kizuna.practices.oneonones.models import ActionItem, Meeting, MeetingStatus, Pair
from kizuna.practices.recognition import services as recognition
from kizuna.practices.recognition.models import CompanyValue

pytestmark = pytest.mark.django_db


def test_the_panel_counts_only_the_persons_own_records(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    people = company["people"]
    me, boss, other = people["E004"], people["E003"], people["E006"]
    now = timezone.now()
    oneonones.sync_pairs(timezone.localdate())
    mine = Pair.objects.get(manager=boss, member=me)
    theirs = Pair.objects.get(member=other)
    held = Meeting.objects.create(
        pair=mine, scheduled_at=now - dt.timedelta(days=7), status=MeetingStatus.HELD
    )
    later = Meeting.objects.create(pair=mine, scheduled_at=now + dt.timedelta(days=7))
    soon = Meeting.objects.create(pair=mine, scheduled_at=now + dt.timedelta(days=2))
    Meeting.objects.create(pair=theirs, scheduled_at=now + dt.timedelta(hours=1))
    ActionItem.objects.create(pair=mine, meeting=held, owner=me, text="資料をまとめる")
    ActionItem.objects.create(pair=mine, meeting=held, owner=me, text="済み", done=True)
    ActionItem.objects.create(pair=mine, meeting=held, owner=boss, text="上長の宿題")
    value = CompanyValue.objects.create(name="挑戦", name_en="Challenge")
    # 高橋 sends 2 × 30 points this week; 伊藤 thanks 高橋 once
    recognition.post_thanks(me, [boss, other], [value], "ありがとう", 30)
    recognition.post_thanks(other, [me], [value], "助かりました", 10)
    evaluation.create_cycle(
        name="2026年度 第3四半期",
        kind="quarterly",
        starts_on=timezone.localdate() - dt.timedelta(days=10),
        ends_on=timezone.localdate() + dt.timedelta(days=80),
        due_on=timezone.localdate() + dt.timedelta(days=90),
        audience={"all": True},
        by=role_users["hr"],
    )

    got = home.summary(me, now)
    assert got.next_meeting_id == soon.pk != later.pk
    assert got.next_meeting_with == boss.full_name
    assert got.open_actions == 1  # the done one and the manager's own are not counted
    assert (got.points_weekly, got.points_left) == (400, 400 - 2 * 30)
    assert got.thanks_received_30d == 1
    assert got.reviews_to_write == 1  # my own check-in (I manage nobody)
    # 鈴木 (E003) writes his own check-in and 高橋's manager review
    assert home.summary(boss, now).reviews_to_write == 2

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(role_users["employee"])
    page = client.get(reverse("home")).content.decode()
    panel = page[page.index('id="my-practices"') :]
    assert reverse("oneonones:meeting", args=[soon.pk]) in panel
    assert "1 open action item." in panel
    assert "340" in panel and "資料をまとめる" not in panel


def test_no_panel_without_an_employee_record(role_users: dict[str, User]) -> None:
    client = Client()
    client.force_login(role_users["csm"])
    assert 'id="my-practices"' not in client.get(reverse("home")).content.decode()

"""The 1on1 demo: fast, idempotent, and the planted story is in the figures."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from kizuna.engagement.demo import low_one_on_one_teams
from kizuna.org.demo import build_demo as build_org
from kizuna.org.models import Employee
from kizuna.practices.oneonones import demo, metrics, services
from kizuna.practices.oneonones.models import (
    ActionItem,
    Meeting,
    MeetingStatus,
    Pair,
    PrivateNote,
)

TODAY = dt.date(2026, 11, 26)


@pytest.mark.django_db
def test_the_demo_plants_its_story() -> None:
    build_org(300, today=TODAY)
    began = time.perf_counter()
    counts = demo.build_demo(TODAY, lambda message: None)
    elapsed = time.perf_counter() - began
    assert elapsed < 10, f"1on1 demo took {elapsed:.1f} s"
    assert counts["pairs"] == Pair.objects.count() > 250
    assert counts["meetings"] == Meeting.objects.count()
    # about six months of meetings, none held in the future
    assert not Meeting.objects.filter(status=MeetingStatus.HELD, held_on__gte=TODAY).exists()
    assert Meeting.objects.filter(held_on__lt=TODAY - dt.timedelta(days=150)).exists()
    # most pairs on cadence, the two low teams well under 30 %
    overall = metrics.coverage(TODAY).rate
    assert overall is not None and 80 <= overall <= 92
    low = low_one_on_one_teams()
    assert len(low) == 2
    low_rate = metrics.coverage(TODAY, Employee.objects.filter(department__in=low)).rate
    assert low_rate is not None and low_rate < 30
    # carried-forward actions exist; private notes are few, all written by managers
    assert ActionItem.objects.filter(done=False).exists()
    notes = list(PrivateNote._base_manager.select_related("meeting__pair"))
    assert 5 <= len(notes) <= 60
    # the demo logins have meaningful data: tomorrow's meeting with an agenda, an open
    # action carried into it, and their own private note
    for email in ("manager@sample.example", "employee@sample.example"):
        me = Employee.objects.get(user__email=email)
        tomorrow = [
            m
            for m in services.meetings_of(me).filter(status=MeetingStatus.SCHEDULED)
            if timezone.localtime(m.scheduled_at).date() == TODAY + dt.timedelta(days=1)
            and m.agenda_items.exists()
        ]
        assert tomorrow, email
        assert services.action_items_for(tomorrow[0])[1], email
        assert PrivateNote.objects.of_writer(me).exists(), email
    member = Employee.objects.get(user__email="employee@sample.example")
    assert Meeting.objects.filter(
        pair__member=member, status=MeetingStatus.HELD, rating__isnull=True
    ).exists()
    # idempotent
    assert demo.build_demo(TODAY, lambda message: None) == {"pairs": 0, "meetings": 0}
    assert Pair.objects.count() == counts["pairs"]

"""Fixtures for 1on1s: pairs from the test company's org chart, meetings on given days,
the real SMTP server and fake Slack API of the survey tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from kizuna.practices.oneonones import services
from kizuna.practices.oneonones.models import Meeting, MeetingStatus, Pair
from tests.surveys.conftest import slack_api, smtp_server  # noqa: F401

PAIRS_FROM = dt.date(2026, 1, 1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@pytest.fixture
def pairs(company: dict[str, Any]) -> dict[str, Pair]:
    """The five reporting lines of 株式会社テスト as pairs (synced on 2026-01-01; the
    lines go back to everyone's hire date, 2020-04-01), keyed "E003-E004" (manager-member)."""
    services.sync_pairs(PAIRS_FROM)
    return {
        f"{p.manager.employee_number}-{p.member.employee_number}": p
        for p in Pair.objects.select_related("manager", "member")
    }


@pytest.fixture
def meet() -> Callable[..., Meeting]:
    """meet(pair, day, status="held") creates a meeting on ``day`` at 10:00."""

    def make(pair: Pair, day: dt.date, status: str = MeetingStatus.HELD) -> Meeting:
        return Meeting.objects.create(
            pair=pair,
            scheduled_at=at(day),
            status=status,
            held_on=day if status == MeetingStatus.HELD else None,
        )

    return make

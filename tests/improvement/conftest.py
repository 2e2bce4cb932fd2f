"""Fixtures for action plans: a survey with one driver factor, and a plan maker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kizuna.core.models import User
from kizuna.improvement import metrics
from kizuna.improvement.models import Plan
from kizuna.org.models import Department
from kizuna.surveys.models import Factor, FactorKind, Questionnaire, Survey, SurveyStatus

TODAY = dt.date(2026, 5, 15)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Pin "today" so date rules (review date not before creation) read the same any day."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def _no_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no metric providers (another app may have registered one)."""
    monkeypatch.setattr(metrics, "_PROVIDERS", {})
    yield


@pytest.fixture
def surveys(db: None) -> dict[str, Any]:
    questionnaire = Questionnaire.objects.create(
        code="plans-test", name_ja="テスト", name_en="Test"
    )
    # the built-in catalogue may already hold this factor; the names are pinned here
    factor, _created = Factor.objects.update_or_create(
        code="fair_evaluation",
        defaults={
            "kind": FactorKind.DRIVER,
            "name_ja": "評価への納得感",
            "name_en": "Fair evaluation",
        },
    )
    spring = Survey.objects.create(
        name="2026年春パルス",
        kind="pulse",
        status=SurveyStatus.CLOSED,
        questionnaire=questionnaire,
        series="pulse",
        wave=1,
        opens_on=dt.date(2026, 4, 1),
    )
    autumn = Survey.objects.create(
        name="2026年秋パルス",
        kind="pulse",
        status=SurveyStatus.CLOSED,
        questionnaire=questionnaire,
        series="pulse",
        wave=2,
        opens_on=dt.date(2026, 10, 1),
    )
    return {"factor": factor, "spring": spring, "autumn": autumn}


@pytest.fixture
def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def make_plan(company: dict[str, Any]) -> Callable[..., Plan]:
    departments: dict[str, Department] = company["departments"]

    def make(owner: User, scope: str | None, **fields: Any) -> Plan:
        values: dict[str, Any] = {
            "title": f"plan for {scope or 'company'}",
            "owner": owner,
            "scope": departments[scope] if scope else None,
            "target_metric": "eNPS",
            "target_value": 10.0,
            "due_on": TODAY + dt.timedelta(days=30),
            "review_on": TODAY + dt.timedelta(days=90),
        }
        values.update(fields)
        return Plan.objects.create(**values)

    return make


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """These tests compare English messages, some of them lazy ones read after the
    request has ended: keep English active around each test."""
    from django.utils import translation

    with translation.override("en"):
        yield

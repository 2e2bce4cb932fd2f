"""Fixtures for recognition: company values, a helper to post thanks at a given moment,
and the fake Slack Web API / SMTP server of the survey tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kizuna.org.models import Employee
from kizuna.practices.recognition import services
from kizuna.practices.recognition.models import CompanyValue, Thanks
from tests.surveys.conftest import slack_api, smtp_server  # noqa: F401

TOKYO = ZoneInfo("Asia/Tokyo")


def jst(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware moment given in Japan time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def values(db: None) -> dict[str, CompanyValue]:
    rows = [("顧客起点", "Customer first"), ("挑戦", "Challenge"), ("チームワーク", "Teamwork")]
    return {
        en: CompanyValue.objects.create(name=ja, name_en=en, order=i)
        for i, (ja, en) in enumerate(rows)
    }


@pytest.fixture
def people(company: dict[str, Any]) -> dict[str, Employee]:
    found: dict[str, Employee] = company["people"]
    return found


@pytest.fixture
def give(values: dict[str, CompanyValue]) -> Callable[..., Thanks]:
    """post_thanks with defaults: one value, a message, now unless ``moment`` is given."""

    def give(
        sender: Employee,
        recipients: list[Employee] | Employee,
        points: int,
        *,
        moment: dt.datetime | None = None,
        value: str = "Teamwork",
        message: str = "ありがとうございます",
    ) -> Thanks:
        listed = recipients if isinstance(recipients, list) else [recipients]
        return services.post_thanks(sender, listed, [values[value]], message, points, moment=moment)

    return give


@pytest.fixture(autouse=True)
def _english(client: Any) -> None:
    """Pages in English (the ja catalogue is merged later), via the language cookie."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

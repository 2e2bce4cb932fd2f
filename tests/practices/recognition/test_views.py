"""The pages: feed with the form and remaining budget, posting with inline errors,
claps (one per person, not on one's own post), filters, a person's page, the value
leaderboard, management pages, and logins without an employee record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kizuna.core.models import AuditLog, User
from kizuna.org.models import Employee
from kizuna.practices.recognition import services
from kizuna.practices.recognition.models import (
    Clap,
    CompanyValue,
    RecognitionSettings,
    Thanks,
)


@pytest.fixture
def as_employee(client: Client, role_users: dict[str, User]) -> Client:
    client.force_login(role_users["employee"])  # 高橋 E004
    return client


def form(people: dict[str, Employee], values: dict[str, CompanyValue], **extra: Any) -> dict:
    return {
        "recipients": [people["E005"].pk, people["E006"].pk],
        "values": [values["Teamwork"].pk],
        "message": "リリースありがとうございました",
        "points": 50,
        **extra,
    }


def test_feed_shows_the_remaining_budget(
    as_employee: Client, people: dict[str, Employee], give: Callable[..., Thanks]
) -> None:
    give(people["E004"], people["E005"], 100)
    page = as_employee.get(reverse("recognition:feed")).content.decode()
    assert "Points left this week" in page
    # 400 − 100 = 300 left (USE_THOUSAND_SEPARATOR does not touch 300)
    assert ">300<" in page
    assert "田中 美咲" in page


def test_posting_from_the_page(
    as_employee: Client, people: dict[str, Employee], values: dict[str, CompanyValue]
) -> None:
    response = as_employee.post(reverse("recognition:post"), form(people, values))
    assert response.status_code == 302
    thanks = Thanks.objects.get()
    # 50 points × 2 people = 100 from 高橋's budget
    assert services.budget_for(people["E004"]).used == 100
    assert thanks.sender == people["E004"]


def test_over_budget_error_is_shown_next_to_points(
    as_employee: Client,
    people: dict[str, Employee],
    values: dict[str, CompanyValue],
    give: Callable[..., Thanks],
) -> None:
    give(people["E004"], [people["E001"], people["E002"], people["E003"]], 120)  # 360 used
    response = as_employee.post(reverse("recognition:post"), form(people, values))
    assert response.status_code == 422
    html = response.content.decode()
    assert "This post costs 100 points (50 × 2 people) but you have 40 of 400 points left" in html
    assert Thanks.objects.count() == 1


def test_cap_and_self_errors_are_inline(
    as_employee: Client, people: dict[str, Employee], values: dict[str, CompanyValue]
) -> None:
    RecognitionSettings.objects.update_or_create(pk=1, defaults={"max_per_post": 60})
    data = form(people, values, points=61)
    html = as_employee.post(reverse("recognition:post"), data).content.decode()
    assert "At most 60 points per recipient in one post." in html
    # oneself is not offered as a recipient: the form rejects the choice
    data = form(people, values, recipients=[people["E004"].pk])
    response = as_employee.post(reverse("recognition:post"), data)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Thanks.objects.exists()


def test_claps_once_per_person_and_not_ones_own(
    client: Client,
    role_users: dict[str, User],
    people: dict[str, Employee],
    give: Callable[..., Thanks],
) -> None:
    thanks = give(people["E004"], people["E005"], 10)
    url = reverse("recognition:clap", args=[thanks.pk])
    client.force_login(role_users["manager"])  # E002
    client.post(url)
    assert Clap.objects.filter(thanks=thanks).count() == 1
    client.post(url)  # a second click takes the clap back
    assert Clap.objects.filter(thanks=thanks).count() == 0
    client.post(url, HTTP_HX_REQUEST="true")
    assert Clap.objects.filter(thanks=thanks).count() == 1
    client.force_login(role_users["employee"])  # the sender
    client.post(url)
    assert Clap.objects.filter(thanks=thanks).count() == 1
    client.force_login(role_users["support"])  # no employee record
    assert client.post(url).status_code == 403
    assert Clap.objects.filter(thanks=thanks).count() == 1


def test_filters_by_value_and_department(
    as_employee: Client,
    people: dict[str, Employee],
    values: dict[str, CompanyValue],
    give: Callable[..., Thanks],
    company: dict[str, Any],
) -> None:
    give(people["E004"], people["E003"], 10, value="Challenge", message="営業の挑戦")
    give(people["E005"], people["E006"], 10, value="Teamwork", message="開発のチームワーク")
    feed = reverse("recognition:feed")
    by_value = as_employee.get(feed, {"value": values["Challenge"].pk}).content.decode()
    assert "営業の挑戦" in by_value and "開発のチームワーク" not in by_value
    dev = company["departments"]["DEV"].pk
    by_dept = as_employee.get(feed, {"department": dev}).content.decode()
    assert "開発のチームワーク" in by_dept and "営業の挑戦" not in by_dept


def test_feed_is_newest_first_and_paginated(
    as_employee: Client, people: dict[str, Employee], give: Callable[..., Thanks]
) -> None:
    for i in range(21):
        give(people["E005"], people["E006"], 0, message=f"投稿{i:02d}")
    first = as_employee.get(reverse("recognition:feed")).content.decode()
    assert first.index("投稿20") < first.index("投稿19")
    assert "投稿00" not in first  # 21 posts, 20 per page
    second = as_employee.get(reverse("recognition:feed"), {"page": 2}).content.decode()
    assert "投稿00" in second


def test_person_page_shows_points_to_the_person_only(
    client: Client,
    role_users: dict[str, User],
    people: dict[str, Employee],
    give: Callable[..., Thanks],
) -> None:
    give(people["E005"], people["E004"], 70)
    give(people["E006"], people["E004"], 40)
    url = reverse("recognition:person", args=[people["E004"].pk])
    client.force_login(role_users["employee"])
    own = client.get(url).content.decode()
    assert "Points received" in own and ">110<" in own  # 70 + 40
    client.force_login(role_users["manager"])
    other = client.get(url).content.decode()
    assert "Points received" not in other
    assert "Thanks received" in other


def test_leaderboard_counts_values(
    client: Client,
    role_users: dict[str, User],
    people: dict[str, Employee],
    give: Callable[..., Thanks],
) -> None:
    give(people["E004"], people["E005"], 10, value="Challenge")
    give(people["E004"], people["E006"], 10, value="Challenge")
    give(people["E005"], people["E006"], 10, value="Teamwork")
    client.force_login(role_users["employee"])
    response = client.get(reverse("recognition:leaderboard"))
    rows = response.context["rows"]
    assert [(r["name"], r["posts"], r["people"]) for r in rows] == [
        ("Challenge", 2, 2),  # two posts, E005 and E006
        ("Teamwork", 1, 1),
        ("Customer first", 0, 0),
    ]
    assert rows[0]["share"] == pytest.approx(200 / 3)  # 2 of 3 posts
    assert "reach" not in response.context  # the HR part is for HR
    client.force_login(role_users["hr"])
    hr = client.get(reverse("recognition:leaderboard"))
    assert hr.context["reach"].gave.numerator == 2  # E004 and E005 gave


def test_managing_values_and_settings(
    client: Client, role_users: dict[str, User], values: dict[str, CompanyValue]
) -> None:
    client.force_login(role_users["hr"])
    response = client.post(
        reverse("recognition:value_create"),
        {"name": "誠実", "name_en": "Integrity", "description": "", "active": "on", "order": 5},
    )
    assert response.status_code == 302
    assert CompanyValue.objects.filter(name="誠実").exists()
    response = client.post(
        reverse("recognition:settings"),
        {"weekly_budget": 300, "max_per_post": 100, "slack_channel": " #thanks "},
    )
    assert response.status_code == 302
    row = RecognitionSettings.current()
    assert (row.weekly_budget, row.max_per_post, row.slack_channel) == (300, 100, "#thanks")
    assert AuditLog.objects.filter(action="recognition.settings.update").count() == 1
    bad = client.post(
        reverse("recognition:settings"),
        {"weekly_budget": -1, "max_per_post": 100, "slack_channel": ""},
    )
    assert bad.status_code == 200
    assert RecognitionSettings.current().weekly_budget == 300


def test_login_without_employee_record_reads_but_cannot_post(
    client: Client,
    role_users: dict[str, User],
    people: dict[str, Employee],
    values: dict[str, CompanyValue],
) -> None:
    client.force_login(role_users["csm"])
    page = client.get(reverse("recognition:feed"))
    assert page.status_code == 200
    assert "not linked to an employee record" in page.content.decode()
    refused = client.post(reverse("recognition:post"), form(people, values))
    assert refused.status_code == 403
    assert "not linked to an employee record" in refused.content.decode()
    assert not Thanks.objects.exists()


def test_empty_feed_says_what_to_do(as_employee: Client, values: dict[str, CompanyValue]) -> None:
    page = as_employee.get(reverse("recognition:feed")).content.decode()
    assert "No thanks yet. Be the first" in page

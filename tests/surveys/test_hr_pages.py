"""HR pages: list with empty state, create from a template with inline errors, detail
with launch / remind / close, and response rates through the anonymity guard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kizuna.core.models import User
from kizuna.org import services as org
from kizuna.org.models import Employee
from kizuna.surveys import services, visibility
from kizuna.surveys.models import Invitation, Survey, SurveyStatus
from tests.surveys.conftest import today, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_client(hr: User) -> Client:
    client = Client()
    client.force_login(hr)
    return client


def test_empty_list_says_what_to_do_next(hr_client: Client, company: dict[str, Any]) -> None:
    html = hr_client.get(reverse("surveys:list")).content.decode()
    assert "まだサーベイがありません — テンプレートから作成しましょう。" in html
    assert reverse("surveys:create") in html


def test_create_from_a_template_shows_translated_inline_errors(
    hr_client: Client, company: dict[str, Any]
) -> None:
    start = today()
    response = hr_client.post(
        reverse("surveys:create"),
        {
            "questionnaire": "kizuna-pulse",
            "name": "",
            "opens_on": start.isoformat(),
            "closes_on": (start - dt.timedelta(days=1)).isoformat(),
            "min_group_size": "2",
            "comment_min_group_size": "10",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "サーベイ名を入力してください。" in html
    assert "締切日は開始日以降の日付にしてください。" in html
    assert "回答者が特定されないよう、最小集計人数は3人以上にしてください。" in html
    assert not Survey.objects.exists()


def test_create_launch_remind_close(
    hr_client: Client, company: dict[str, Any], mailoutbox: list[Any]
) -> None:
    start = today()
    response = hr_client.post(
        reverse("surveys:create"),
        {
            "questionnaire": "kizuna-pulse",
            "name": "11月のパルス",
            "opens_on": start.isoformat(),
            "closes_on": (start + dt.timedelta(days=7)).isoformat(),
            "audience_department": "SALES",
            "min_group_size": "3",
            "comment_min_group_size": "5",
        },
    )
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:detail", args=[survey.pk])
    assert (survey.kind, survey.series, survey.audience) == (
        "pulse",
        "kizuna-pulse",
        {"department": ["SALES"]},
    )
    detail = hr_client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "下書き" in detail and "配信する" in detail

    launched = hr_client.post(reverse("surveys:launch", args=[survey.pk]))
    assert launched.status_code == 302
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN
    # 営業部 and below: E002, E003, E004 — invited by the worker task (run inline here)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "e002@test.example",
        "e003@test.example",
        "e004@test.example",
    ]
    assert Invitation.objects.filter(survey=survey, invited_on__isnull=False).count() == 3

    mail.outbox.clear()
    hr_client.post(reverse("surveys:remind", args=[survey.pk]))
    assert len(mail.outbox) == 3

    hr_client.post(reverse("surveys:close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED


def test_response_rates_are_guarded(
    hr_client: Client,
    make_survey: Callable[..., Survey],
    hr: User,
    company: dict[str, Any],
) -> None:
    survey = make_survey(k=3)
    result = services.launch(survey, by_user=hr, send=False)
    people = company["people"]
    # respondents: E003, E004 (営業1課) and E005 (開発部); 3 of 6 company-wide
    for number in ("E003", "E004", "E005"):
        invitation = services.invitation_for_token(token_of(result.links[people[number].pk]))
        services.submit(invitation, {"enps": 7})
    html = hr_client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    # company: 3 responded ≥ k = 3, shown with its base
    assert "回答の送信数 ÷ 対象者数（回答者 3人）" in html
    assert '<div class="value">50<span class="unit">%</span>' in html
    # departments: 営業1課 2 and 開発部 1 responded, both below 3: hidden with the reason
    assert "回答者が3人未満のため非表示" in html
    rows = services.response_rates(survey, "department")
    by_id = {r["value"]: r for r in visibility.guard_groups(survey, rows, "department_id")}
    sales1 = by_id[str(company["departments"]["SALES1"].pk)]
    assert (sales1["invited"], sales1["responded"], sales1["visible"]) == (2, None, False)


def test_raw_response_rates_by_department(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any]
) -> None:
    survey = make_survey()
    result = services.launch(survey, by_user=hr, send=False)
    people, depts = company["people"], company["departments"]
    for number in ("E003", "E005", "E006"):
        services.submit(
            services.invitation_for_token(token_of(result.links[people[number].pk])), {}
        )
    rows = {
        r["value"]: (r["invited"], r["responded"])
        for r in services.response_rates(survey, "department")
    }
    assert rows == {
        str(depts["ROOT"].pk): (1, 0),
        str(depts["SALES"].pk): (1, 0),
        str(depts["SALES1"].pk): (2, 1),
        str(depts["DEV"].pk): (2, 2),
    }
    tenure = services.response_rates(survey, "tenure_band")
    assert [(r["value"], r["invited"], r["responded"]) for r in tenure] == [("5-10y", 6, 3)]


def test_hidden_groups_cannot_be_recovered_by_subtraction(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any]
) -> None:
    depts = company["departments"]
    for i, code in enumerate(["SALES1"] * 3 + ["DEV"] * 4):
        employee = Employee.objects.create(
            employee_number=f"X{i}",
            family_name="追加",
            given_name=str(i),
            hire_date=dt.date(2021, 4, 1),
            department=depts[code],
        )
        org.record_employee_change(employee, employee.hire_date)
    survey = make_survey(k=3)
    result = services.launch(survey, by_user=hr, send=False)
    for link in result.links.values():  # everyone answers
        services.submit(services.invitation_for_token(token_of(link)), {})
    rows = services.response_rates(survey, "department")
    guarded = {r["value"]: r for r in visibility.guard_groups(survey, rows, "department_id")}
    shown = {code: guarded[str(depts[code].pk)]["visible"] for code in depts}
    # direct members: 株式会社テスト 1 and 営業部 1 are below k = 3; together they are 2,
    # still below 3, so the total minus the others would reveal them: the next smallest
    # group, 営業1課 (5), is hidden too and only 開発部 (6) is shown
    assert shown == {"ROOT": False, "SALES": False, "SALES1": False, "DEV": True}
    assert guarded[str(depts["DEV"].pk)]["responded"] == 6
    assert guarded[str(depts["SALES1"].pk)]["responded"] is None
    assert guarded[str(depts["SALES1"].pk)]["reason"] != guarded[str(depts["ROOT"].pk)]["reason"]


def test_without_the_guard_module_the_fallback_is_as_strict(
    make_survey: Callable[..., Survey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(visibility, "_guard", lambda: None)
    survey = make_survey(k=5)
    rows = [
        {"value": "a", "invited": 10, "responded": 2},  # hidden: 2 < 5
        {"value": "b", "invited": 10, "responded": 6},  # next smallest: hidden as well
        {"value": "c", "invited": 10, "responded": 9},
    ]
    guarded = {r["value"]: r for r in visibility.guard_groups(survey, rows, "location")}
    assert [guarded[v]["visible"] for v in "abc"] == [False, False, True]
    assert guarded["c"]["responded"] == 9 and guarded["b"]["responded"] is None


def test_the_list_shows_status_and_guarded_rates(
    hr_client: Client, make_survey: Callable[..., Survey], hr: User
) -> None:
    draft = make_survey(name="下書きのサーベイ")
    opened = make_survey(name="実施中のサーベイ")
    services.launch(opened, by_user=hr, send=False)
    html = hr_client.get(reverse("surveys:list")).content.decode()
    assert "下書きのサーベイ" in html and "実施中のサーベイ" in html
    assert "実施中" in html and "下書き" in html
    assert "回答者が5人未満のため非表示" in html
    assert draft.pk and reverse("surveys:detail", args=[opened.pk]) in html


def test_launch_refuses_an_empty_audience_with_a_message(
    hr_client: Client, make_survey: Callable[..., Survey]
) -> None:
    survey = make_survey(audience={"location": "月面"})
    response = hr_client.post(reverse("surveys:launch", args=[survey.pk]), follow=True)
    assert "開始日時点で条件に当てはまる対象者がいません" in response.content.decode()
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT

"""eNPS on the dashboard: the engagement code's figure, hidden by the anonymity guard.

One closed annual survey on the fixture company plus a third top-level department 運用部.
eNPS answers (0–10) by the respondent's department at launch:

- 営業1課 (under 営業部): 10, 9, 9, 8, 7, 6, 3, 0 → 3 promoters, 3 detractors, n = 8
- 開発部: 10, 10 → n = 2 (below k = 5)
- 運用部: 9, 9, 8, 7, 5, 4 → 2 promoters, 2 detractors, n = 6

Company: n = 16, P = 7, D = 5 → eNPS = 100 × (7 − 5) / 16 = 12.5;
half-width = 1.96 × 100 × sqrt((7/16 + 5/16 − (2/16)²) / 16)
           = 196 × sqrt((0.75 − 0.015625) / 16) = 196 × 0.2142392 = 41.9909.
営業部: eNPS = 100 × (3 − 3) / 8 = 0; half-width = 196 × sqrt(0.75 / 8) = 60.0125.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kizuna.core.models import AuditLog
from kizuna.org import services as org_services
from kizuna.org.models import Department
from kizuna.practices.hrkpi import enps
from kizuna.surveys import services as surveys
from kizuna.surveys.catalog import ENPS_QUESTION, install_catalog
from kizuna.surveys.models import Answer, Question, Response, SurveyStatus

SCORES = {
    "SALES1": [10, 9, 9, 8, 7, 6, 3, 0],
    "DEV": [10, 10],
    "OPS": [9, 9, 8, 7, 5, 4],
}


@pytest.fixture
def survey(company: dict[str, Any], role_users: Any) -> Any:
    org_services.save_departments(
        [{"code": "OPS", "name": "運用部", "name_en": "Operations", "parent_code": "ROOT"}],
        dt.date(2020, 4, 1),
    )
    install_catalog()
    today = timezone.localdate()
    made = surveys.create_survey(
        "年次サーベイ",
        "annual",
        "kizuna-annual",
        audience={"all": True},
        opens_on=today - dt.timedelta(days=30),
        closes_on=today - dt.timedelta(days=16),
        created_by=None,
    )
    surveys.launch(made, by_user=role_users["hr"], send=False)
    surveys.close_survey(made, by_user=role_users["hr"])
    assert made.status == SurveyStatus.CLOSED
    question = Question.objects.get(code=ENPS_QUESTION)
    for code, values in SCORES.items():
        dept = Department.objects.get(code=code)
        for value in values:
            response = Response.objects.create(
                survey=made,
                submitted_on=today - dt.timedelta(days=20),
                department_id=dept.pk,
                department_path=dept.path,
            )
            Answer.objects.create(response=response, question=question, value=value)
    return made


def test_company_enps_with_its_interval(survey: Any, role_users: Any) -> None:
    view = enps.enps_view(role_users["hr"])
    assert [w.survey.pk for w in view.waves] == [survey.pk]
    wave = view.waves[0]
    assert not wave.suppressed and wave.respondents == 16
    assert wave.enps == pytest.approx(12.5)
    assert wave.low == pytest.approx(12.5 - 41.9909, abs=1e-3)
    assert wave.high == pytest.approx(12.5 + 41.9909, abs=1e-3)
    assert AuditLog.objects.filter(action="engagement.view_results").exists()


def test_department_breakdown_hides_small_groups_and_their_complement(
    survey: Any, role_users: Any
) -> None:
    rows = {d.department.code: d for d in enps.enps_view(role_users["hr"]).departments}
    assert set(rows) == {"SALES", "DEV", "OPS"}
    # 開発部 has 2 respondents (< 5): hidden. Company (16) − 営業部 (8) − 運用部 (6) would
    # reveal it, so the smaller visible sibling 運用部 is hidden too (complementary).
    assert rows["DEV"].suppressed and rows["DEV"].enps is None and rows["DEV"].respondents is None
    assert rows["OPS"].suppressed and rows["OPS"].enps is None
    sales = rows["SALES"]
    assert not sales.suppressed and sales.respondents == 8
    assert sales.enps == pytest.approx(0.0)
    assert sales.high == pytest.approx(60.0125, abs=1e-3)


def test_the_page_shows_a_lock_not_a_number(survey: Any, role_users: Any) -> None:
    client = Client()
    client.force_login(role_users["hr"])
    page = client.get(reverse("hrkpi:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = page[page.index('id="department-enps"') :]
    table = table[: table.index("</table>")]
    assert table.count('class="lock-icon"') == 2
    assert "12.5" in page


def test_manager_gets_their_subtree_and_executive_no_breakdown(
    survey: Any, role_users: Any
) -> None:
    manager = enps.enps_view(role_users["manager"])
    # 営業部's subtree: the 8 people of 営業1課 → eNPS 0
    assert manager.waves[0].respondents == 8 and manager.waves[0].enps == pytest.approx(0.0)
    # the breakdown starts below 営業部: 営業1課 holds all 8
    assert [(d.department.code, d.respondents) for d in manager.departments] == [("SALES1", 8)]
    executive = enps.enps_view(role_users["executive"])
    assert executive.waves[0].enps == pytest.approx(12.5)
    assert executive.departments == [] and not executive.breakdowns
    client = Client()
    client.force_login(role_users["manager"])
    data = json.loads(client.get(reverse("api:hr_kpis")).content)
    assert data["enps"]["waves"][0]["respondents"] == 8
    assert "開発部" not in json.dumps(data, ensure_ascii=False)


def test_roles_without_results_get_nothing(survey: Any, role_users: Any) -> None:
    view = enps.enps_view(role_users["employee"])
    assert view.refused and view.waves == []

"""The performance band as a guarded attribute of survey results: snapshotted at launch
from the latest finalised annual review, copied to the anonymous response, offered to HR
and admins only, and guarded (k, differencing) like every other attribute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kizuna.core.models import User
from kizuna.engagement import guard, report
from kizuna.org import services as org
from kizuna.org.models import Employee
from kizuna.practices.evaluation import services as evaluation
from kizuna.practices.evaluation.models import Cycle, CycleStatus, Participant
from kizuna.surveys import services as surveys
from kizuna.surveys.catalog import install_catalog
from kizuna.surveys.models import Invitation, Question, Response, Survey

pytestmark = pytest.mark.django_db

OPENS = dt.date(2026, 6, 1)
CLOSES = dt.date(2026, 6, 14)
# 16 people. ROOT: E001 S. 営業部: E002 A; 営業1課: E003 B, E004 B, N01–N05 B, N06 (none).
# 開発部: E005 A, E006 A, N07 C, N08 B, N09 B, N10 (none).
# Totals: S 1, A 3, B 9, C 1, none 2.
BANDS = {"E001": "S", "E002": "A", "E003": "B", "E004": "B", "E005": "A", "E006": "A"}
NEW = [
    ("N01", "SALES1", "B"),
    ("N02", "SALES1", "B"),
    ("N03", "SALES1", "B"),
    ("N04", "SALES1", "B"),
    ("N05", "SALES1", "B"),
    ("N06", "SALES1", ""),
    ("N07", "DEV", "C"),
    ("N08", "DEV", "B"),
    ("N09", "DEV", "B"),
    ("N10", "DEV", ""),
]


def _finalised_review(hr: User, year: int, bands: dict[str, str], finalised_on: dt.date) -> Cycle:
    cycle = evaluation.create_cycle(
        name=f"{year}年度 年次評価",
        kind="annual",
        starts_on=dt.date(year, 4, 1),
        ends_on=dt.date(year + 1, 3, 31),
        due_on=dt.date(year + 1, 4, 20),
        audience={"all": True},
        by=hr,
    )
    for participant in Participant.objects.filter(cycle=cycle).select_related("employee"):
        band = bands.get(participant.employee.employee_number, "")
        if band:
            evaluation.set_final(participant, band=band, by=hr)
    evaluation.set_cycle_status(cycle, CycleStatus.FINALISED, hr, finalised_on)
    return cycle


@pytest.fixture
def staff(company: dict[str, Any], role_users: dict[str, User]) -> dict[str, Any]:
    depts = company["departments"]
    for number, dept, _band in NEW:
        employee = Employee.objects.create(
            employee_number=number,
            family_name="新人",
            given_name=number,
            hire_date=dt.date(2021, 4, 1),
            department=depts[dept],
            manager=depts[dept].head,
        )
        org.record_employee_change(employee, dt.date(2021, 4, 1))
    bands = {**BANDS, **{number: band for number, _dept, band in NEW}}
    hr = role_users["hr"]
    # an older review (the first six people D) and the one that counts (finalised before
    # the launch); N06 and N10 have no band in either
    _finalised_review(hr, 2024, dict.fromkeys(BANDS, "D"), dt.date(2025, 5, 15))
    _finalised_review(hr, 2025, bands, dt.date(2026, 5, 15))
    return {"bands": bands, **company}


@pytest.fixture
def closed_survey(staff: dict[str, Any], role_users: dict[str, User]) -> Survey:
    install_catalog()
    survey = surveys.create_survey(
        "2026 engagement",
        "annual",
        "kizuna-annual",
        audience={"all": True},
        opens_on=OPENS,
        closes_on=CLOSES,
        k=3,
        comment_k=3,
        created_by=role_users["hr"],
    )
    surveys.launch(survey, by_user=role_users["hr"], today=OPENS, send=False)
    item = Question.objects.filter(factor__code="belonging", kind="agreement").first()
    assert item is not None
    for invitation in Invitation.objects.filter(survey=survey):
        assert surveys.submit(invitation, {item.code: 4}, today=OPENS + dt.timedelta(days=2))
    surveys.close_survey(survey, by_user=role_users["hr"])
    return survey


def test_performance_band_on_takes_the_latest_finalised_annual_review(
    staff: dict[str, Any],
) -> None:
    people = staff["people"]
    ids = [people["E001"].pk, people["E004"].pk]
    # before 2025-05-15 only the 2024 review (all D) counted; from that day on the 2025 one
    assert evaluation.performance_band_on(ids, dt.date(2026, 5, 14)) == dict.fromkeys(ids, "D")
    assert evaluation.performance_band_on(ids, dt.date(2026, 5, 15)) == {ids[0]: "S", ids[1]: "B"}
    assert evaluation.performance_band_on(ids, dt.date(2025, 5, 1)) == {}


def test_open_or_closed_cycles_do_not_count(
    staff: dict[str, Any], role_users: dict[str, User]
) -> None:
    people = staff["people"]
    cycle = Cycle.objects.get(name="2025年度 年次評価")
    evaluation.set_cycle_status(cycle, CycleStatus.CLOSED, role_users["hr"])
    # back to the 2024 band while the 2025 review is in calibration again
    assert evaluation.performance_band_on([people["E001"].pk], dt.date(2026, 6, 1)) == {
        people["E001"].pk: "D"
    }


def test_the_band_is_snapshotted_at_launch_and_copied_to_the_response(
    closed_survey: Survey, staff: dict[str, Any]
) -> None:
    people = staff["people"]
    invitation = Invitation.objects.get(survey=closed_survey, employee=people["E001"])
    assert invitation.demographics["performance_band"] == "S"
    counts: dict[str, int] = {}
    for band in Response.objects.filter(survey=closed_survey).values_list(
        "performance_band", flat=True
    ):
        counts[band] = counts.get(band, 0) + 1
    # S 1, A 3, B 9, C 1, none 2 (hand count of BANDS and NEW)
    assert counts == {"S": 1, "A": 3, "B": 9, "C": 1, "": 2}


def test_band_groups_under_k_are_hidden(closed_survey: Survey, role_users: dict[str, User]) -> None:
    result = report.build(closed_survey, role_users["hr"], by=["performance"], language="en")
    rows = {row["key"]: row for row in result["heatmaps"][0]["rows"]}
    # k = 3: S (1), C (1) and no band (2) are hidden (together 4 >= k, so no complementary
    # suppression); A (3) and B (9) are shown
    assert {k for k, r in rows.items() if r["suppressed"]} == {"S", "C", ""}
    assert rows["S"]["respondents"] is None
    assert all(c["value"] is None for c in rows["C"]["cells"])
    assert rows["A"]["respondents"] == 3 and rows["B"]["respondents"] == 9
    with translation.override("en"):
        labelled = report.build(closed_survey, role_users["hr"], by=["performance"], language="en")
    assert labelled["heatmaps"][0]["rows"][0]["label"] == "No band yet"


def test_a_band_filter_is_guarded(closed_survey: Survey, role_users: dict[str, User]) -> None:
    hr = role_users["hr"]
    # A across the company: 3 people, the other 13 >= k -> allowed
    shown = report.build(closed_survey, hr, by=[], filters={"performance": "A"})
    assert shown["summary"]["respondents"] == 3
    assert shown["response_rate"]["invited"] == 3
    # S is one person: refused
    with pytest.raises(guard.Refused) as too_few:
        report.build(closed_survey, hr, by=[], filters={"performance": "S"})
    assert too_few.value.code == guard.TOO_FEW


def test_a_differencing_attack_through_the_band_filter_is_refused(
    closed_survey: Survey, staff: dict[str, Any], role_users: dict[str, User]
) -> None:
    hr = role_users["hr"]
    sales = staff["departments"]["SALES"]
    # 営業部 has 9 respondents (visible); 営業部 ∧ B has 7 (>= k). Subtracting the two would
    # give the 2 others (E002 A and N06 without a band): the guard refuses the second view.
    whole = report.build(closed_survey, hr, by=[], department_id=sales.pk)
    assert whole["summary"]["respondents"] == 9
    with pytest.raises(guard.Refused) as attack:
        report.build(closed_survey, hr, by=[], department_id=sales.pk, filters={"performance": "B"})
    assert attack.value.code == guard.DIFFERENCING
    # the same attack on the whole company: 16 − 9 (B) = 7 >= k, so B may be shown
    assert (
        report.build(closed_survey, hr, by=[], filters={"performance": "B"})["summary"][
            "respondents"
        ]
        == 9
    )


def test_only_hr_and_admins_may_use_the_band(
    closed_survey: Survey, role_users: dict[str, User]
) -> None:
    with pytest.raises(guard.Refused) as refused:
        report.build(closed_survey, role_users["manager"], by=["performance"])
    assert refused.value.code == guard.UNKNOWN_ATTRIBUTE
    for role in ("manager", "executive"):
        with pytest.raises(guard.Refused) as refused:
            report.build(closed_survey, role_users[role], by=[], filters={"performance": "A"})
        assert refused.value.code == guard.UNKNOWN_ATTRIBUTE
    # exports and the API do not offer it (they resolve attributes without a user)
    with pytest.raises(guard.Refused):
        report.resolve_by(["performance"])


def _page(user: User, survey: Survey, query: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(reverse("engagement:results", args=[survey.pk]) + query)


def test_the_results_page_offers_the_band_to_hr_only(
    closed_survey: Survey, role_users: dict[str, User], make_user: Callable[..., User]
) -> None:
    hr_page = _page(role_users["hr"], closed_survey, "?by=performance")
    assert 'name="performance"' in hr_page.content.decode()
    assert hr_page.context["by"] == "performance"
    filtered = _page(role_users["hr"], closed_survey, "?performance=B&by=department")
    assert filtered.context["data"]["summary"]["respondents"] == 9
    # the manager sees neither the select nor the effect of a hand-written query
    manager_page = _page(role_users["manager"], closed_survey, "?by=performance&performance=S")
    body = manager_page.content.decode()
    assert 'name="performance"' not in body
    assert manager_page.context["by"] == "department" and manager_page.context["band"] == ""


def test_exports_offer_the_band_to_hr_only(
    closed_survey: Survey, role_users: dict[str, User]
) -> None:
    from kizuna.engagement import exports

    result = exports.results_groups(closed_survey, role_users["hr"], ["performance"])
    groups = {g["key"]["performance_band"]: g for g in result["groups"]}
    # the same hand count as above: A 3 and B 9 shown, S 1, C 1 and no band 2 hidden
    assert groups["A"]["respondents"] == 3 and not groups["A"]["suppressed"]
    assert groups["B"]["respondents"] == 9
    assert all(groups[b]["suppressed"] and groups[b]["respondents"] is None for b in "SC")
    with pytest.raises(guard.Refused):
        exports.results_groups(closed_survey, role_users["manager"], ["performance"])

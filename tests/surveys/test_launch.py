"""Creating and launching surveys: validation, audiences, demographic snapshots, items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kizuna.core.models import AuditLog, User
from kizuna.org import services as org
from kizuna.org.models import Department, Employee
from kizuna.surveys import audience, services, tokens
from kizuna.surveys.models import Invitation, Survey, SurveyItem, SurveyStatus
from tests.surveys.conftest import CLOSES, OPENS, today, token_of

pytestmark = pytest.mark.django_db


def _change(employee: Employee, day: dt.date, **values: Any) -> None:
    for name, value in values.items():
        setattr(employee, name, value)
    employee.save()
    org.record_employee_change(employee, day)


def _invited(survey: Survey) -> set[str]:
    return set(
        Invitation.objects.filter(survey=survey).values_list("employee__employee_number", flat=True)
    )


# --- create_survey validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "japanese"),
    [
        ({"k": 2}, "min_group_size", "3人以上"),
        ({"k": 5, "comment_k": 4}, "comment_min_group_size", "最小集計人数（5人）以上"),
        ({"closes_on": dt.date(2026, 5, 1)}, "closes_on", "開始日以降"),
        ({"audience": {"department": "NOPE"}}, "audience", "NOPE"),
        ({"audience": {"shoe_size": "27"}}, "audience", "shoe_size"),
    ],
)
def test_invalid_settings_are_refused_with_translated_messages(
    company: dict[str, Any], hr: User, changes: dict[str, Any], field: str, japanese: str
) -> None:
    arguments: dict[str, Any] = {
        "audience": {"all": True},
        "opens_on": OPENS,
        "closes_on": CLOSES,
        "created_by": hr,
        **changes,
    }
    with translation.override("ja"), pytest.raises(ValidationError) as info:
        services.create_survey("テスト", "annual", "kizuna-annual", **arguments)
    messages = info.value.message_dict
    assert field in messages
    assert japanese in " ".join(messages[field])
    assert not Survey.objects.exists()


def test_creating_is_audited_and_pulses_join_a_series(
    make_survey: Callable[..., Survey],
) -> None:
    first = make_survey("kizuna-pulse", "pulse")
    second = make_survey("kizuna-pulse", "pulse")
    assert (first.series, first.wave) == ("kizuna-pulse", 1)
    assert (second.series, second.wave) == ("kizuna-pulse", 2)
    assert first.status == SurveyStatus.DRAFT
    assert AuditLog.objects.filter(action="surveys.create").count() == 2


# --- launch ---------------------------------------------------------------------------------


def test_launch_invites_everyone_employed_on_the_opening_date(
    company: dict[str, Any], make_survey: Callable[..., Survey], hr: User
) -> None:
    people = company["people"]
    _change(people["E006"], dt.date(2025, 1, 1), leave_date=dt.date(2026, 5, 10))  # left before
    newcomer = Employee.objects.create(
        employee_number="E007",
        family_name="新",
        given_name="人",
        hire_date=dt.date(2026, 5, 12),  # joins after the opening date
        department=company["departments"]["DEV"],
    )
    org.record_employee_change(newcomer, newcomer.hire_date)
    survey = make_survey(opens_on=OPENS, closes_on=CLOSES)
    result = services.launch(survey, by_user=hr, today=OPENS, send=False)
    # employed on 2026-05-11: E001–E005; E006 left on 05-10, E007 joins on 05-12
    assert result.invited == 5
    assert _invited(survey) == {"E001", "E002", "E003", "E004", "E005"}


def test_launch_opens_the_survey_stores_only_token_hashes_and_audits(
    launched: tuple[Survey, services.LaunchResult], company: dict[str, Any]
) -> None:
    survey, result = launched
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN and survey.launched_at is not None
    assert result.invited == 6 and len(result.links) == 6
    e004 = company["people"]["E004"]
    token = token_of(result.links[e004.pk])
    invitation = Invitation.objects.get(survey=survey, employee=e004)
    assert invitation.token_hash == tokens.hash_token(token)
    assert token not in str(Invitation.objects.filter(survey=survey).values_list())
    log = AuditLog.objects.get(action="surveys.launch")
    assert log.detail["invited"] == 6


def test_a_survey_cannot_be_launched_twice(
    launched: tuple[Survey, services.LaunchResult], hr: User
) -> None:
    survey, _result = launched
    with pytest.raises(ValidationError):
        services.launch(Survey.objects.get(pk=survey.pk), by_user=hr, today=OPENS, send=False)
    assert Invitation.objects.filter(survey=survey).count() == 6


def test_an_empty_audience_is_refused(make_survey: Callable[..., Survey], hr: User) -> None:
    survey = make_survey(audience={"location": "月面"}, opens_on=OPENS, closes_on=CLOSES)
    with translation.override("ja"), pytest.raises(ValidationError) as info:
        services.launch(survey, by_user=hr, today=OPENS, send=False)
    assert "対象者がいません" in " ".join(info.value.messages)
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT


# --- demographic snapshot ----------------------------------------------------------------------


def test_snapshot_is_taken_as_of_the_opening_date(
    company: dict[str, Any], make_survey: Callable[..., Survey], hr: User
) -> None:
    people, depts = company["people"], company["departments"]
    e004 = people["E004"]
    e004.birth_year, e004.gender = 1990, "female"
    e004.save(update_fields=["birth_year", "gender"])
    _change(e004, dt.date(2025, 4, 1), job_level="S2", location="東京")
    # a transfer after the opening date must not show in the snapshot
    _change(e004, dt.date(2026, 6, 1), department=depts["DEV"], manager=people["E005"])
    survey = make_survey(opens_on=OPENS, closes_on=CLOSES)
    services.launch(survey, by_user=hr, today=dt.date(2026, 6, 10), send=False)
    snapshot = Invitation.objects.get(survey=survey, employee=e004).demographics
    sales1 = depts["SALES1"]
    assert snapshot == {
        "department_id": sales1.pk,
        "department_path": sales1.path,
        "manager_id": people["E003"].pk,
        # hired 2020-04-01, opening 2026-05-11: 6 completed years
        "tenure_band": "5-10y",
        # 2026 - 1990 = 36
        "age_band": "30s",
        "job_level": "S2",
        "location": "東京",
        "employment_type": "full_time",
        "gender": "female",
        # no finalised annual review yet
        "performance_band": "",
        "custom": {},
    }


def test_later_org_changes_do_not_alter_the_snapshot_or_the_response(
    launched: tuple[Survey, services.LaunchResult], company: dict[str, Any]
) -> None:
    survey, result = launched
    people, depts = company["people"], company["departments"]
    e004 = people["E004"]
    before = Invitation.objects.get(survey=survey, employee=e004).demographics
    later = today() + dt.timedelta(days=1)
    _change(e004, later, department=depts["DEV"], job_level="M1")
    # the department itself moves under 開発部 too
    org.save_departments([{"code": "SALES1", "name": "営業1課", "parent_code": "DEV"}], later)
    invitation = services.invitation_for_token(token_of(result.links[e004.pk]), today=later)
    assert invitation.demographics == before
    assert services.submit(invitation, {"belonging_1": 4}, today=later)
    response = survey.responses.get()
    assert response.department_id == depts["SALES1"].pk
    assert response.department_path == before["department_path"]
    assert response.department_path != Department.objects.get(code="SALES1").path
    assert response.job_level == ""


def test_bands() -> None:
    day = dt.date(2026, 5, 11)
    assert audience.tenure_band(dt.date(2025, 5, 12), day) == "<1y"  # one day short of a year
    assert audience.tenure_band(dt.date(2025, 5, 11), day) == "1-3y"  # the anniversary counts
    assert audience.tenure_band(dt.date(2023, 5, 12), day) == "1-3y"
    assert audience.tenure_band(dt.date(2023, 5, 11), day) == "3-5y"
    assert audience.tenure_band(dt.date(2016, 5, 12), day) == "5-10y"
    assert audience.tenure_band(dt.date(2016, 5, 11), day) == "10y+"
    assert audience.age_band(None, day) == ""
    assert audience.age_band(2007, day) == "<20"  # 19
    assert audience.age_band(2006, day) == "20s"  # 20
    assert audience.age_band(1967, day) == "50s"  # 59
    assert audience.age_band(1966, day) == "60+"  # 60


# --- audience filters ----------------------------------------------------------------------------


@pytest.fixture
def varied(company: dict[str, Any]) -> dict[str, Any]:
    """Give the six people different attributes (effective before the opening date)."""
    people = company["people"]
    day = dt.date(2025, 4, 1)
    _change(people["E002"], day, location="大阪", job_level="M2")
    _change(people["E003"], day, location="大阪", custom={"職種": "営業"})
    _change(people["E005"], day, employment_type="contract", custom={"職種": "エンジニア"})
    _change(people["E006"], day, custom={"職種": "エンジニア"})
    people["E006"].gender = "male"
    people["E006"].save(update_fields=["gender"])
    newcomer = Employee.objects.create(
        employee_number="E007",
        family_name="木村",
        given_name="蓮",
        hire_date=dt.date(2026, 1, 5),
        department=company["departments"]["SALES1"],
    )
    org.record_employee_change(newcomer, newcomer.hire_date)
    return company


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"all": True}, {"E001", "E002", "E003", "E004", "E005", "E006", "E007"}),
        ({"department": "SALES"}, {"E002", "E003", "E004", "E007"}),  # the subtree
        ({"department": "SALES1"}, {"E003", "E004", "E007"}),
        ({"department": ["SALES1", "DEV"]}, {"E003", "E004", "E005", "E006", "E007"}),
        ({"location": "大阪"}, {"E002", "E003"}),
        ({"job_level": "M2"}, {"E002"}),
        ({"employment_type": "contract"}, {"E005"}),
        ({"gender": "male"}, {"E006"}),
        ({"custom:職種": "エンジニア"}, {"E005", "E006"}),
        ({"tenure_band": "<1y"}, {"E007"}),
        ({"department": "SALES", "location": "大阪"}, {"E002", "E003"}),
    ],
)
def test_audience_filters(
    varied: dict[str, Any],
    make_survey: Callable[..., Survey],
    hr: User,
    conditions: dict[str, Any],
    expected: set[str],
) -> None:
    survey = make_survey(audience=conditions, opens_on=OPENS, closes_on=CLOSES)
    services.launch(survey, by_user=hr, today=OPENS, send=False)
    assert _invited(survey) == expected


def test_command_line_audience_terms() -> None:
    assert audience.parse_cli(["all"]) == {"all": True}
    with pytest.raises(ValidationError):
        audience.parse_cli(["location"])
    with pytest.raises(ValidationError):
        audience.parse_cli(["all", "location=大阪"])


# --- items ------------------------------------------------------------------------------------


def _asked(survey: Survey) -> list[str]:
    return list(
        SurveyItem.objects.filter(survey=survey)
        .order_by("order")
        .values_list("question__code", flat=True)
    )


def test_an_annual_survey_asks_the_whole_questionnaire(
    launched: tuple[Survey, services.LaunchResult],
) -> None:
    survey, _result = launched
    expected = list(
        survey.questionnaire.questionnaireitem_set.order_by("order").values_list(
            "question__code", flat=True
        )
    )
    assert _asked(survey) == expected and len(expected) == 33


ENGAGEMENT = {f"{f}_{i}" for f in ("understanding", "belonging", "willingness") for i in (1, 2, 3)}


def _factors(codes: list[str]) -> set[str]:
    return {code.rsplit("_", 1)[0] for code in codes if code[-1].isdigit()} - {
        "understanding",
        "belonging",
        "willingness",
    }


def test_pulse_waves_rotate_the_drivers(make_survey: Callable[..., Survey], hr: User) -> None:
    # rotating factors in catalogue order: satisfaction, fair_evaluation, career_growth,
    # manager_support, flexible_work, recognition, workload, communication,
    # growth_opportunities; three per wave, so wave 4 asks what wave 1 asked
    expected = {
        1: {"satisfaction", "fair_evaluation", "career_growth"},
        2: {"manager_support", "flexible_work", "recognition"},
        3: {"workload", "communication", "growth_opportunities"},
        4: {"satisfaction", "fair_evaluation", "career_growth"},
    }
    for wave in (1, 2, 3, 4):
        survey = make_survey("kizuna-pulse", "pulse", name=f"パルス {wave}")
        assert survey.wave == wave
        services.launch(survey, by_user=hr, today=OPENS, send=False)
        asked = _asked(survey)
        assert set(asked) >= ENGAGEMENT, wave
        assert "enps" in asked and "text_improve" in asked
        assert _factors(asked) == expected[wave], wave

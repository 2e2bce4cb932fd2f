"""The built-in Kizuna engagement model: complete, bilingual and installed idempotently."""

from __future__ import annotations

import pytest

from kizuna.surveys import catalog
from kizuna.surveys.catalog import install_catalog
from kizuna.surveys.models import (
    Factor,
    FactorKind,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireItem,
)

pytestmark = pytest.mark.django_db


def _table_state() -> list[tuple[object, ...]]:
    return [
        *Factor.objects.order_by("code").values_list(),
        *Question.objects.order_by("code").values_list(),
        *Questionnaire.objects.order_by("code").values_list(),
        *QuestionnaireItem.objects.order_by("questionnaire__code", "order").values_list(
            "questionnaire__code", "question__code", "order"
        ),
    ]


def test_installing_twice_changes_nothing() -> None:
    before = _table_state()
    assert install_catalog() == {"factors": 0, "questions": 0, "questionnaires": 0, "items": 0}
    assert _table_state() == before


def test_install_repairs_an_edited_builtin_item() -> None:
    Question.objects.filter(code="belonging_1").update(text_ja="改ざん")
    QuestionnaireItem.objects.filter(
        questionnaire__code=catalog.EXIT, question__code="exit_reason"
    ).delete()
    written = install_catalog()
    assert written["questions"] == 1 and written["items"] == 1
    assert Question.objects.get(code="belonging_1").text_ja.startswith("この会社の一員")
    assert QuestionnaireItem.objects.filter(
        questionnaire__code=catalog.EXIT, question__code="exit_reason"
    ).exists()


def test_engagement_is_three_factors_of_at_least_three_agreement_items() -> None:
    engagement = Factor.objects.filter(kind=FactorKind.ENGAGEMENT)
    assert {f.code: f.name_ja for f in engagement} == {
        "understanding": "理解度",
        "belonging": "帰属意識",
        "willingness": "行動意欲",
    }
    for factor in engagement:
        items = Question.objects.filter(factor=factor)
        assert items.count() >= 3
        assert set(items.values_list("kind", flat=True)) == {QuestionKind.AGREEMENT}


def test_satisfaction_is_kept_separate_from_engagement() -> None:
    satisfaction = Question.objects.filter(factor__kind=FactorKind.SATISFACTION)
    assert satisfaction.count() >= 3
    assert not satisfaction.filter(factor__kind=FactorKind.ENGAGEMENT).exists()


def test_enps_is_one_zero_to_ten_question() -> None:
    enps = Question.objects.filter(factor__kind=FactorKind.ENPS)
    assert enps.count() == 1
    question = enps.get()
    assert question.kind == QuestionKind.SCALE
    assert question.text_ja == (
        "この会社を働く場所として親しい友人や知人にどの程度勧めたいと思いますか。"
    )


def test_the_eight_drivers_have_fixed_codes_and_at_least_two_items() -> None:
    drivers = Factor.objects.filter(kind=FactorKind.DRIVER)
    assert set(drivers.values_list("code", flat=True)) == {
        "fair_evaluation",
        "career_growth",
        "manager_support",
        "flexible_work",
        "recognition",
        "workload",
        "communication",
        "growth_opportunities",
    }
    assert Factor.objects.get(code="fair_evaluation").name_ja == "評価の納得感"
    assert Factor.objects.get(code="manager_support").name_ja == "上司の支援と1on1"
    for driver in drivers:
        items = Question.objects.filter(factor=driver)
        assert items.count() >= 2, driver.code
        assert set(items.values_list("kind", flat=True)) == {QuestionKind.AGREEMENT}


def test_every_item_is_written_in_japanese_and_english() -> None:
    for question in Question.objects.filter(is_builtin=True):
        assert question.text_ja.strip() and question.text_en.strip(), question.code
        assert question.text_ja != question.text_en
        for option in question.options:
            assert option["ja"] and option["en"] and option["value"]


def test_two_free_text_questions() -> None:
    texts = set(
        Question.objects.filter(kind=QuestionKind.TEXT, factor__isnull=True).values_list(
            "code", flat=True
        )
    )
    assert texts == {"text_works_well", "text_improve"}


def _codes(questionnaire: str) -> list[str]:
    return list(
        QuestionnaireItem.objects.filter(questionnaire__code=questionnaire)
        .order_by("order")
        .values_list("question__code", flat=True)
    )


def test_annual_and_pulse_templates_hold_every_employee_item() -> None:
    employee_items = set(
        Question.objects.exclude(factor__code__in=["onboarding", "exit"]).values_list(
            "code", flat=True
        )
    )
    assert set(_codes(catalog.ANNUAL)) == employee_items
    assert set(_codes(catalog.PULSE)) == employee_items
    # 9 engagement + 3 satisfaction + 1 eNPS + 18 driver items (3+2+3+2+2+2+2+2) + 2 texts
    assert len(employee_items) == 33


def test_exit_template_is_short_with_a_reason_and_free_text() -> None:
    codes = _codes(catalog.EXIT)
    assert len(codes) <= 10
    reason = Question.objects.get(code="exit_reason")
    assert reason.kind == QuestionKind.SINGLE and len(reason.options) >= 5
    assert "exit_reason" in codes and "exit_text" in codes and "enps" in codes


def test_onboarding_template_exists() -> None:
    codes = _codes(catalog.ONBOARDING)
    assert {"onboarding_1", "onboarding_2", "onboarding_3", "enps"} <= set(codes)

"""One click from a result to a plan: the prefill, the creation, and bad input refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kizuna.core.models import AuditLog, User
from kizuna.improvement import services, sources
from kizuna.improvement.models import Plan, PlanStatus

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def _one_click(surveys: dict[str, Any], department_pk: int) -> str:
    """The link a heatmap cell would carry: 営業1課's fair-evaluation favourable %."""
    return sources.create_url(
        {
            "kind": "engagement",
            "survey_id": surveys["spring"].pk,
            "metric": "factor_favourable",
            "factor": "fair_evaluation",
            "group": {"attribute": "department", "value": department_pk},
        },
        baseline_value=42.0,
        baseline_n=12,
    )


def test_the_one_click_link_prefills_the_form_from_the_result(
    english: Client, role_users: dict[str, User], company: dict[str, Any], surveys: dict[str, Any]
) -> None:
    sales1 = company["departments"]["SALES1"]
    english.force_login(role_users["hr"])
    response = english.get(_one_click(surveys, sales1.pk))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["title"] == "Improve “Fair evaluation” (Sales 1)"
    assert form.initial["target_metric"] == "Favourable %: Fair evaluation"
    assert form.initial["scope"] == sales1.pk
    assert form.initial["owner"] == role_users["hr"].pk
    assert form.initial["baseline"] == 42.0 and form.initial["n"] == 12
    # default dates: actions in 60 days, review in 90
    assert form.initial["review_on"] == TODAY + dt.timedelta(days=90)
    page = response.content.decode()
    assert "2026年春パルス" in page and "12 respondents" in page


def test_posting_the_prefilled_form_creates_the_plan_with_its_source_and_actions(
    english: Client, role_users: dict[str, User], company: dict[str, Any], surveys: dict[str, Any]
) -> None:
    sales1 = company["departments"]["SALES1"]
    hr = role_users["hr"]
    english.force_login(hr)
    initial = english.get(_one_click(surveys, sales1.pk)).context["form"].initial
    data = {k: "" if v is None else v for k, v in initial.items()}
    data.update(
        target_value="55",
        actions="Explain the evaluation criteria in the team meeting\n\n1on1 on goals every month",
        shared_with_team="on",
    )
    response = english.post(reverse("improvement:plan_create"), data)
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("improvement:plan_detail", args=[plan.pk])
    assert plan.source == {
        "kind": "engagement",
        "survey_id": surveys["spring"].pk,
        "metric": "factor_favourable",
        "factor": "fair_evaluation",
        "item": None,
        "group": {"attribute": "department", "value": sales1.pk},
    }
    assert (plan.scope, plan.owner, plan.created_by) == (sales1, hr, hr)
    assert (plan.baseline_value, plan.baseline_n, plan.target_value) == (42.0, 12, 55.0)
    assert plan.status == PlanStatus.ACTIVE and plan.shared_with_team
    assert [a.text for a in plan.actions.all()] == [
        "Explain the evaluation criteria in the team meeting",
        "1on1 on goals every month",
    ]
    assert all(a.owner == hr for a in plan.actions.all())
    assert AuditLog.objects.filter(action="improvement.create_plan", target_id=str(plan.pk))


def _valid_post(surveys: dict[str, Any], owner: User, scope_pk: int) -> dict[str, str]:
    return {
        "source": "engagement",
        "survey": str(surveys["spring"].pk),
        "metric": "factor_favourable",
        "factor": "fair_evaluation",
        "group_attribute": "department",
        "group_value": str(scope_pk),
        "baseline": "42",
        "n": "12",
        "title": "評価への納得感を高める",
        "owner": str(owner.pk),
        "scope": str(scope_pk),
        "target_metric": "好意的回答率",
        "target_value": "55",
        "due_on": (TODAY + dt.timedelta(days=30)).isoformat(),
        "review_on": (TODAY + dt.timedelta(days=90)).isoformat(),
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"review_on": (TODAY - dt.timedelta(days=1)).isoformat()},
            "review_on",
            "The review date cannot be before the plan was created (15 May 2026).",
        ),
        (
            {"target_value": "120"},
            "target_value",
            "Enter a value from 0 to 100 for this metric.",
        ),
        (
            {"target_value": "-5"},
            "target_value",
            "Enter a value from 0 to 100 for this metric.",
        ),
    ],
)
def test_bad_input_shows_an_inline_error_and_creates_nothing(
    english: Client,
    role_users: dict[str, User],
    company: dict[str, Any],
    surveys: dict[str, Any],
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    english.force_login(role_users["hr"])
    data = _valid_post(surveys, role_users["hr"], company["departments"]["SALES1"].pk)
    data.update(change)
    response = english.post(reverse("improvement:plan_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    # rendered next to its field, inside the field's own wrapper
    page = response.content.decode()
    start = page.rindex('<div class="field', 0, page.index(f'id="id_{field}"'))
    end = page.index('<div class="field', start + 1)
    assert "has-error" in page[start:end] and message in page[start:end]
    assert not Plan.objects.exists()


def test_the_error_is_translated_into_japanese(
    client: Client, role_users: dict[str, User], company: dict[str, Any], surveys: dict[str, Any]
) -> None:
    from django.utils import translation

    client.force_login(role_users["hr"])
    data = _valid_post(surveys, role_users["hr"], company["departments"]["SALES1"].pk)
    data["target_value"] = "120"
    response = client.post(reverse("improvement:plan_create"), data)
    assert response["Content-Language"] == "ja"
    with translation.override("ja"):
        expected = translation.gettext("Enter a value from %(low)s to %(high)s for this metric.")
    assert expected % {"low": "0", "high": "100"} in response.content.decode()
    assert not Plan.objects.exists()


def test_enps_targets_may_be_negative_but_not_beyond_minus_100(
    role_users: dict[str, User], company: dict[str, Any], surveys: dict[str, Any]
) -> None:
    source = {"kind": "engagement", "survey_id": surveys["spring"].pk, "metric": "enps"}
    common: dict[str, Any] = {
        "title": "eNPS",
        "owner": role_users["hr"],
        "due_on": TODAY,
        "review_on": TODAY,
        "scope": None,
    }
    plan = services.create_plan_from_result(role_users["hr"], source, target_value=-20, **common)
    assert plan.target_value == -20 and plan.target_metric == "eNPS"
    with pytest.raises(services.ValidationError) as caught:
        services.create_plan_from_result(role_users["hr"], source, target_value=-101, **common)
    assert "target_value" in caught.value.message_dict
    assert Plan.objects.count() == 1


def test_a_source_that_does_not_exist_is_refused(
    role_users: dict[str, User], company: dict[str, Any], surveys: dict[str, Any]
) -> None:
    with pytest.raises(services.ValidationError) as caught:
        services.create_plan_from_result(
            role_users["hr"],
            {"kind": "engagement", "survey_id": 999, "metric": "engagement_index"},
            title="x",
            target_metric="Engagement index",
            owner=role_users["hr"],
            target_value=60,
            due_on=TODAY,
            review_on=TODAY,
            scope=None,
        )
    assert caught.value.messages == ["The survey this plan starts from no longer exists."]
    assert not Plan.objects.exists()


def test_a_manager_plans_only_for_their_own_subtree(
    role_users: dict[str, User], company: dict[str, Any]
) -> None:
    manager = role_users["manager"]  # heads 営業部
    common: dict[str, Any] = {
        "title": "1on1",
        "target_metric": "1on1 coverage",
        "owner": manager,
        "target_value": 70,
        "due_on": TODAY,
        "review_on": TODAY,
    }
    plan = services.create_plan_from_result(
        manager, {"kind": "manual"}, scope=company["departments"]["SALES1"], **common
    )
    assert plan.scope == company["departments"]["SALES1"]
    for scope in (company["departments"]["DEV"], None):
        with pytest.raises(services.ValidationError) as caught:
            services.create_plan_from_result(manager, {"kind": "manual"}, scope=scope, **common)
        assert list(caught.value.message_dict) == ["scope"]
    # an owner outside the manager's team is refused too
    with pytest.raises(services.ValidationError) as caught:
        services.create_plan_from_result(
            manager,
            {"kind": "manual"},
            scope=company["departments"]["SALES"],
            **{**common, "owner": role_users["hr"]},
        )
    assert list(caught.value.message_dict) == ["owner"]
    assert Plan.objects.count() == 1

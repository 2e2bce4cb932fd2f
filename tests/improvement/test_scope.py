"""Who sees which plan: managers their subtree, owners their own, employees their team's
shared plans on "you said, we did" — everything else is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kizuna.core.models import User
from kizuna.improvement import rules
from kizuna.improvement.models import Action, PlanStatus, Review

pytestmark = pytest.mark.django_db


def test_a_manager_sees_plans_in_their_subtree_and_not_another_departments(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    hr, manager = role_users["hr"], role_users["manager"]  # manager heads 営業部
    sales1 = make_plan(hr, "SALES1")
    dev = make_plan(hr, "DEV")
    company_wide = make_plan(hr, None)
    client.force_login(manager)
    assert client.get(reverse("improvement:plan_detail", args=[sales1.pk])).status_code == 200
    assert client.get(reverse("improvement:plan_detail", args=[dev.pk])).status_code == 404
    assert client.get(reverse("improvement:plan_edit", args=[dev.pk])).status_code == 404
    toggle = client.post(reverse("improvement:check_in_add", args=[dev.pk]), {"progress": "50"})
    assert toggle.status_code == 404
    listed = client.get(reverse("improvement:plans")).context["rows"]
    assert [row["plan"] for row in listed] == [sales1]
    assert not rules.can_view(manager, company_wide)
    assert not dev.check_ins.exists()


def test_hr_and_executives_see_every_plan_but_executives_cannot_change_them(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plans = {make_plan(role_users["manager"], "SALES1"), make_plan(role_users["hr"], None)}
    for role in ("hr", "executive"):
        assert set(rules.visible_plans(role_users[role])) == plans
    plan = next(iter(plans))
    client.force_login(role_users["executive"])
    assert client.get(reverse("improvement:plan_detail", args=[plan.pk])).status_code == 200
    response = client.post(reverse("improvement:plan_status", args=[plan.pk]), {"status": "done"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_an_owner_always_sees_and_updates_their_own_plan_whatever_their_role(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    employee = role_users["employee"]  # no plan capability at all
    own = make_plan(employee, "DEV")  # even outside their own department
    other = make_plan(role_users["hr"], "SALES1")
    client.force_login(employee)
    assert client.get(reverse("improvement:plan_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("improvement:plan_detail", args=[other.pk])).status_code == 404
    assert [r["plan"] for r in client.get(reverse("improvement:plans")).context["rows"]] == [own]
    response = client.post(
        reverse("improvement:check_in_add", args=[own.pk]), {"progress": "40", "note": "始めました"}
    )
    assert response.status_code == 302
    assert own.check_ins.get().progress == 40


def test_an_action_owner_sees_the_plan_and_ticks_only_their_action(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plan = make_plan(role_users["hr"], "DEV")
    mine = Action.objects.create(plan=plan, text="勉強会を開く", owner=role_users["csm"])
    theirs = Action.objects.create(plan=plan, text="評価基準を説明する", owner=role_users["hr"])
    client.force_login(role_users["csm"])
    assert client.get(reverse("improvement:plan_detail", args=[plan.pk])).status_code == 200
    url = reverse("improvement:action_toggle", args=[plan.pk, mine.pk])
    assert client.post(url).status_code == 302
    url = reverse("improvement:action_toggle", args=[plan.pk, theirs.pk])
    assert client.post(url).status_code == 403
    assert client.get(reverse("improvement:plan_edit", args=[plan.pk])).status_code == 403
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_done and not theirs.is_done


def test_you_said_we_did_shows_the_teams_shared_plans_only(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    """The employee (高橋) works in 営業1課 under 営業部 under the company root."""
    hr = role_users["hr"]
    shown = [
        make_plan(hr, "SALES1", title="営業1課の施策", shared_with_team=True),
        make_plan(hr, "SALES", title="営業部の施策", shared_with_team=True),
        make_plan(hr, "ROOT", title="全社（ルート部署）の施策", shared_with_team=True),
        make_plan(hr, None, title="全社の施策", shared_with_team=True, status=PlanStatus.DONE),
    ]
    hidden = [
        make_plan(hr, "DEV", title="開発部の施策", shared_with_team=True),
        make_plan(hr, "SALES1", title="共有していない施策", shared_with_team=False),
        make_plan(hr, "SALES1", title="下書きの施策", shared_with_team=True, status="draft"),
        make_plan(hr, "SALES1", title="中止した施策", shared_with_team=True, status="cancelled"),
    ]
    client.force_login(role_users["employee"])
    response = client.get(reverse("improvement:team"))
    assert response.status_code == 200
    assert {card["plan"] for card in response.context["cards"]} == set(shown)
    page = response.content.decode()
    for plan in hidden:
        assert plan.title not in page
    # 山田 (the executive) sits in the root department: only root and company-wide plans
    client.force_login(role_users["executive"])
    titles = {c["plan"].title for c in client.get(reverse("improvement:team")).context["cards"]}
    assert titles == {"全社（ルート部署）の施策", "全社の施策"}


def test_you_said_we_did_shows_what_was_done_and_the_verdict_but_no_numbers(
    client: Client,
    role_users: dict[str, User],
    make_plan: Callable[..., Any],
    surveys: dict[str, Any],
    company: dict[str, Any],
) -> None:
    import datetime as dt

    plan = make_plan(
        role_users["hr"],
        "SALES1",
        title="評価の納得感を高める",
        shared_with_team=True,
        source={
            "kind": "engagement",
            "survey_id": surveys["spring"].pk,
            "metric": "factor_favourable",
            "factor": "fair_evaluation",
            "item": None,
            "group": {"attribute": "department", "value": company["departments"]["SALES1"].pk},
        },
        baseline_value=37.5,
        baseline_n=8,
    )
    Action.objects.create(plan=plan, text="評価基準の説明会", done_on=dt.date(2026, 6, 1))
    Action.objects.create(plan=plan, text="四半期ごとの振り返り")
    Review.objects.create(
        plan=plan,
        on=dt.date(2026, 10, 20),
        method="proportion",
        before_value=37.5,
        before_n=8,
        after_value=87.5,
        after_n=8,
        diff=50.0,
        ci_low=4.2,
        ci_high=72.1,
        p_value=0.03,
        verdict="improved",
    )
    client.force_login(role_users["employee"])
    page = client.get(reverse("improvement:team")).content.decode()
    assert "評価の納得感を高める" in page
    assert "2026年春パルス" in page and "評価への納得感" in page  # what was heard, in words
    assert "評価基準の説明会" in page  # what was done
    assert "四半期ごとの振り返り" not in page  # not done yet: counted, not listed
    for number in ("37.5", "87.5", "50.0", "4.2", "72.1", "0.03", "8人"):
        assert number not in page
    with translation.override("ja"):
        assert translation.gettext("When we asked again, the result had clearly improved.") in page

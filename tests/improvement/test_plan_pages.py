"""Working on a plan: the action checklist (htmx), check-ins with their chart, status,
editing, and the list's filters."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kizuna.core.models import User
from kizuna.improvement import services
from kizuna.improvement.models import Action, CheckIn, PlanStatus

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_ticking_an_action_with_htmx_returns_just_its_row(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plan = make_plan(role_users["manager"], "SALES1")
    action = Action.objects.create(plan=plan, text="週1回の1on1", owner=role_users["manager"])
    client.force_login(role_users["manager"])
    url = reverse("improvement:action_toggle", args=[plan.pk, action.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="action-{action.pk}">')
    assert 'aria-pressed="true"' in html and "<html" not in html
    action.refresh_from_db()
    assert action.done_on == TODAY
    # the same button again reopens it; without htmx the page reloads at the checklist
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].endswith("#actions")
    action.refresh_from_db()
    assert action.done_on is None


def test_adding_an_action_and_a_bad_one(
    english: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plan = make_plan(role_users["hr"], "SALES1")
    english.force_login(role_users["hr"])
    url = reverse("improvement:action_add", args=[plan.pk])
    english.post(url, {"text": "評価基準を説明する", "due_on": "2026-06-30"})
    assert [(a.text, a.owner, a.due_on) for a in plan.actions.all()] == [
        ("評価基準を説明する", role_users["hr"], dt.date(2026, 6, 30))
    ]
    response = english.post(url, {"text": "過去の期限", "due_on": "2026-01-01"}, follow=True)
    assert "The due date cannot be before the plan was created (15 May 2026)." in (
        response.content.decode()
    )
    assert plan.actions.count() == 1


def test_check_ins_draw_a_progress_chart_with_its_table(
    english: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plan = make_plan(role_users["hr"], "SALES1")
    english.force_login(role_users["hr"])
    url = reverse("improvement:check_in_add", args=[plan.pk])
    response = english.post(url, {"progress": "150"}, follow=True)
    assert "Enter progress as a percentage from 0 to 100." in response.content.decode()
    assert not CheckIn.objects.exists()
    CheckIn.objects.create(plan=plan, on=TODAY - dt.timedelta(days=14), progress=20)
    english.post(url, {"progress": "45", "note": "説明会を2回実施"})
    page = english.get(reverse("improvement:plan_detail", args=[plan.pk]))
    spec = page.context["chart"]
    assert spec["data"]["datasets"][0]["data"] == [20, 45]
    assert spec["options"]["scales"]["y"]["max"] == 100
    html = page.content.decode()
    assert 'data-chart="progress-chart"' in html and "Show as table" in html
    assert json.loads(html.split('id="progress-chart" type="application/json">')[1].split("<")[0])
    assert "説明会を2回実施" in html


def test_status_changes_are_recorded(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plan = make_plan(role_users["hr"], "SALES1")
    client.force_login(role_users["manager"])
    client.post(reverse("improvement:plan_status", args=[plan.pk]), {"status": "done"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DONE
    client.post(reverse("improvement:plan_status", args=[plan.pk]), {"status": "nonsense"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DONE


def test_editing_keeps_the_rules_of_creation(
    english: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plan = make_plan(role_users["hr"], "SALES1", target_metric="eNPS")
    english.force_login(role_users["manager"])
    url = reverse("improvement:plan_edit", args=[plan.pk])
    data = {
        "title": "新しい題名",
        "owner": str(role_users["hr"].pk),  # HR assigned it; the manager may keep HR
        "scope": str(plan.scope_id),
        "target_metric": "eNPS",
        "target_value": "15",
        "due_on": "2026-07-31",
        "review_on": "2026-05-01",
    }
    response = english.post(url, data)
    assert response.context["form"].errors["review_on"] == [
        "The review date cannot be before the plan was created (15 May 2026)."
    ]
    plan.refresh_from_db()
    assert plan.title == "plan for SALES1"
    data["review_on"] = "2026-10-31"
    assert english.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.target_value, plan.review_on) == (
        "新しい題名",
        15.0,
        dt.date(2026, 10, 31),
    )


def test_the_list_filters_by_status_and_by_owner(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    hr = role_users["hr"]
    mine_active = make_plan(hr, "SALES1")
    mine_done = make_plan(hr, "DEV", status=PlanStatus.DONE)
    theirs = make_plan(role_users["manager"], "SALES1")
    CheckIn.objects.create(plan=mine_active, on=TODAY, progress=30)
    client.force_login(hr)

    def listed(query: str) -> set[Any]:
        response = client.get(reverse("improvement:plans") + query)
        return {row["plan"] for row in response.context["rows"]}

    assert listed("") == {mine_active, mine_done, theirs}
    assert listed("?status=done") == {mine_done}
    assert listed("?mine=on") == {mine_active, mine_done}
    rows = client.get(reverse("improvement:plans")).context["rows"]
    assert {row["plan"]: row["progress"] for row in rows}[mine_active] == 30


def test_services_refuse_users_outside_the_plan(
    role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    plan = make_plan(role_users["hr"], "DEV")
    with pytest.raises(services.PermissionDenied):
        services.add_check_in(plan, role_users["manager"], 50)
    with pytest.raises(services.PermissionDenied):
        services.create_plan_from_result(
            role_users["employee"],
            {"kind": "manual"},
            title="x",
            owner=role_users["employee"],
            target_value=1,
            due_on=TODAY,
            review_on=TODAY,
            scope=None,
        )


def test_an_employee_owner_edits_their_company_wide_plan(
    client: Client, role_users: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    employee = role_users["employee"]
    plan = make_plan(employee, None, title="全社の1on1")
    client.force_login(employee)
    url = reverse("improvement:plan_edit", args=[plan.pk])
    assert client.get(url).status_code == 200
    data = {
        "title": "全社の1on1を定着させる",
        "owner": str(employee.pk),
        "scope": "",
        "target_metric": "eNPS",
        "target_value": "10",
        "due_on": "2026-06-14",
        "review_on": "2026-08-13",
    }
    assert client.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert plan.title == "全社の1on1を定着させる" and plan.scope is None
    # moving it to a department is a planning decision the employee cannot make
    data["scope"] = str(role_users["employee"].employee.department_id)
    response = client.post(url, data)
    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.scope is None

"""Exports, the CLI and the API answer only what the guard allows, in one shape."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from kizuna.core.models import AuditLog, User
from kizuna.engagement import demo
from kizuna.org.demo import build_demo
from kizuna.org.models import Department
from kizuna.surveys.models import Survey

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def sample(db: None) -> Survey:
    build_demo(150, today=TODAY)
    demo.build_demo_surveys(today=TODAY)
    return (
        Survey.objects.filter(series=demo.PULSE_SERIES, status="closed").order_by("-wave").first()
    )  # type: ignore[return-value]


def _export(survey: Survey, by: str, email: str = "hr@sample.example") -> dict[str, Any]:
    out = StringIO()
    call_command(
        "export",
        "results",
        str(survey.pk),
        "--by",
        by,
        "--format",
        "json",
        "--as",
        email,
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_cli_export_by_team_hides_small_groups_and_cannot_be_differenced(sample: Survey) -> None:
    result = _export(sample, "team")
    groups = result["groups"]
    assert groups and {"key", "respondents", "suppressed", "scores"} <= set(groups[0])
    hidden = [g for g in groups if g["suppressed"]]
    assert hidden, "the sample company has teams under five people"
    for group in groups:
        if group["suppressed"]:
            assert group["respondents"] is None
            assert all(v is None for v in group["scores"].values())
        else:
            assert group["respondents"] >= 5
    # company total minus the visible teams must not reveal one hidden team: either no
    # team is hidden, or at least two hidden teams share the remainder (≥ k together)
    company = _export(sample, "")["groups"][0]["respondents"]
    remainder = company - sum(g["respondents"] for g in groups if not g["suppressed"])
    assert remainder == 0 or (len(hidden) >= 2 and remainder >= 5)


def test_cli_export_team_by_tenure_keeps_both_margins_safe(sample: Survey) -> None:
    result = _export(sample, "team,tenure")
    by_team: dict[Any, list[dict[str, Any]]] = {}
    for group in result["groups"]:
        by_team.setdefault(group["key"]["department_id"], []).append(group)
    teams = {g["key"]["department_id"]: g for g in _export(sample, "team")["groups"]}
    for team_id, cells in by_team.items():
        team = teams.get(team_id)
        if team is None or team["suppressed"]:
            continue
        hidden = [c for c in cells if c["suppressed"]]
        remainder = team["respondents"] - sum(
            c["respondents"] for c in cells if not c["suppressed"]
        )
        # a team's hidden cells never come down to exactly one recoverable cell
        assert remainder == 0 or len(hidden) >= 2 or remainder >= 5


def test_cli_export_refuses_roles_without_results_and_logs_every_export(sample: Survey) -> None:
    with pytest.raises(CommandError):
        _export(sample, "team", email="employee@sample.example")
    before = AuditLog.objects.filter(action="engagement.view_results").count()
    _export(sample, "team")
    assert AuditLog.objects.filter(action="engagement.view_results").count() == before + 1


def test_executives_get_company_level_only(sample: Survey) -> None:
    assert _export(sample, "", email="executive@sample.example")["groups"][0]["respondents"]
    with pytest.raises(CommandError):
        _export(sample, "team", email="executive@sample.example")


def test_manager_sees_only_their_subtree(sample: Survey) -> None:
    manager = User.objects.get(email="manager@sample.example")
    head_of = Department.objects.get(head__user=manager)
    result = _export(sample, "team", email=manager.email)
    ids = {g["key"]["department_id"] for g in result["groups"]}
    inside = set(
        Department.objects.filter(path__startswith=head_of.path).values_list("pk", flat=True)
    )
    assert ids <= inside


def test_api_and_pages_answer_the_same_guarded_numbers(sample: Survey) -> None:
    client = Client()
    client.force_login(User.objects.get(email="hr@sample.example"))
    api = client.get(f"/api/results/{sample.pk}", {"by": "team"})
    assert api.status_code == 200
    assert api.json()["groups"] == _export(sample, "team")["groups"]
    page = client.get(reverse("engagement:results", args=[sample.pk]))
    assert page.status_code == 200 and "lock-icon" in page.content.decode()
    for fmt in ("csv", "xlsx", "pdf"):
        response = client.get(reverse("engagement:export", args=[sample.pk, fmt]), {"by": "team"})
        assert response.status_code == 200 and len(response.content) > 200
    denied = Client()
    denied.force_login(User.objects.get(email="employee@sample.example"))
    assert denied.get(f"/api/results/{sample.pk}").status_code == 403
    assert denied.get(reverse("engagement:results", args=[sample.pk])).status_code == 403

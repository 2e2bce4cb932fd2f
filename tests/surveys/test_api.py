"""The REST API: a script with a token creates and launches a survey, a respondent
submits through the token link, and results come back guarded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kizuna.core import tokens
from kizuna.surveys.catalog import install_catalog
from kizuna.surveys.models import Invitation, Response, Survey


@pytest.fixture
def api(role_users: dict[str, Any]) -> Client:
    install_catalog()
    _token, raw = tokens.create_token(role_users["hr"], "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_create_launch_submit_and_read_guarded_results(api: Client, company: Any) -> None:
    today = timezone.localdate()
    created = api.post(
        "/api/surveys/",
        {
            "name": "API pulse",
            "kind": "annual",
            "template": "kizuna-annual",
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=7)).isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    survey_id = created.json()["id"]
    launched = api.post(f"/api/surveys/{survey_id}/launch")
    assert launched.status_code == 200 and launched.json()["invited"] == 6

    # a respondent: the raw token is only in the emailed link, so issue a fresh one here
    from kizuna.surveys import tokens as survey_tokens

    invitation = Invitation.objects.filter(survey_id=survey_id).first()
    assert invitation is not None
    raw = survey_tokens.new_token()
    digest = survey_tokens.hash_token(raw)
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=digest)
    public = Client()
    body = {"answers": {"enps": 9, "understanding_1": 4}}
    first = public.post(f"/api/surveys/answers/{raw}", body, content_type="application/json")
    again = public.post(f"/api/surveys/answers/{raw}", body, content_type="application/json")
    assert first.json() == {"stored": True} and again.json() == {"stored": False}
    assert Response.objects.filter(survey_id=survey_id).count() == 1
    bad = public.post("/api/surveys/answers/nope", body, content_type="application/json")
    assert bad.status_code == 404

    # results of an open survey are refused; once closed, one respondent is hidden
    assert api.get(f"/api/results/{survey_id}").status_code == 403
    Survey.objects.filter(pk=survey_id).update(status="closed")
    results = api.get(f"/api/results/{survey_id}").json()
    (company_row,) = results["groups"]
    assert company_row["suppressed"] and company_row["respondents"] is None


def test_the_api_refuses_bad_tokens_and_other_roles(role_users: dict[str, Any]) -> None:
    assert Client(HTTP_AUTHORIZATION="Bearer kz_not-a-token").get("/api/me").status_code == 401
    _token, raw = tokens.create_token(role_users["employee"], "test")
    employee = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert employee.get("/api/me").json()["roles"] == ["employee"]
    assert employee.get("/api/surveys/").status_code == 403
    schema = Client().get("/api/openapi.json").json()
    assert "/api/surveys/" in schema["paths"] and "/api/results/{survey_id}" in schema["paths"]

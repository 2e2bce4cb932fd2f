"""Surveys over the REST API: create, launch and list surveys (HR and admins), and submit
answers with an invitation token (no login: the token is the credential, exactly as on
the answer page). Results are under /api/results (kizuna.engagement.api)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from kizuna.core import access
from kizuna.surveys import services
from kizuna.surveys.answers import AnswerErrors
from kizuna.surveys.models import Survey

router = Router(tags=["surveys"])


class SurveyIn(Schema):
    name: str
    kind: str
    template: str
    audience: dict[str, Any] = {"all": True}
    opens_on: dt.date
    closes_on: dt.date
    min_group_size: int = 5
    comment_min_group_size: int = 10


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    series: str
    wave: int
    opens_on: dt.date | None
    closes_on: dt.date | None
    min_group_size: int


class LaunchOut(Schema):
    id: int
    status: str
    invited: int
    emailed: int
    slack: int


class AnswersIn(Schema):
    answers: dict[str, Any]


class SubmitOut(Schema):
    stored: bool


def _require_manager(request: HttpRequest) -> None:
    if not access.can(request.user, "surveys.manage"):
        raise HttpError(403, "forbidden")


def _validation_error(error: ValidationError) -> HttpError:
    detail = (
        {k: [str(m) for m in v] for k, v in error.message_dict.items()}
        if hasattr(error, "error_dict")
        else {"__all__": [str(m) for m in error.messages]}
    )
    return HttpError(422, str(detail))


@router.get("/", response=list[SurveyOut])
def list_surveys(request: HttpRequest) -> Any:
    _require_manager(request)
    return Survey.objects.order_by("-opens_on", "-pk")[:200]


@router.post("/", response={201: SurveyOut})
def create(request: HttpRequest, payload: SurveyIn) -> Any:
    """Create a draft survey from a template (kizuna-annual, kizuna-pulse, …)."""
    _require_manager(request)
    try:
        survey = services.create_survey(
            payload.name,
            payload.kind,
            payload.template,
            audience=payload.audience,
            opens_on=payload.opens_on,
            closes_on=payload.closes_on,
            k=payload.min_group_size,
            comment_k=payload.comment_min_group_size,
            created_by=request.user,
        )
    except ValidationError as error:
        raise _validation_error(error) from error
    return Status(201, survey)


@router.post("/{survey_id}/launch", response=LaunchOut)
def launch(request: HttpRequest, survey_id: int) -> Any:
    """Open the survey and send the invitations (email, and Slack when configured)."""
    _require_manager(request)
    survey = get_object_or_404(Survey, pk=survey_id)
    try:
        result = services.launch(survey, by_user=request.user)
    except ValidationError as error:
        raise _validation_error(error) from error
    return {
        "id": survey.pk,
        "status": result.survey.status,
        "invited": result.invited,
        "emailed": result.emailed,
        "slack": result.slack,
    }


@router.post("/answers/{token}", response=SubmitOut, auth=None)
def submit(request: HttpRequest, token: str, payload: AnswersIn) -> Any:
    """Submit answers ({question code: value}); every item may be skipped. Idempotent:
    a retry returns ``stored: false`` and stores nothing. Answers are stored without any
    link to the person."""
    try:
        invitation = services.invitation_for_token(token)
        stored = services.submit(invitation, payload.answers)
    except services.InvitationUnavailable as error:
        raise HttpError(404, error.reason) from error
    except AnswerErrors as error:
        raise HttpError(422, str({k: str(v) for k, v in error.errors.items()})) from error
    return {"stored": stored}

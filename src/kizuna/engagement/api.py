"""Guarded survey results over the REST API (the same shape as ``kizuna export``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from kizuna.core import access
from kizuna.engagement import exports, guard
from kizuna.surveys.models import Survey

router = Router(tags=["results"])


class ResultsQuery(Schema):
    by: str = ""
    department: int | None = None


class Group(Schema):
    key: dict[str, Any]
    respondents: int | None
    suppressed: bool
    reason: str | None = None
    scores: dict[str, float | None]


class ResultsOut(Schema):
    survey: dict[str, Any]
    by: list[str]
    policy: dict[str, int]
    scope: dict[str, Any]
    measures: list[str]
    groups: list[Group]


@router.get("/{survey_id}", response=ResultsOut)
def results(request: HttpRequest, survey_id: int, query: Query[ResultsQuery]) -> dict[str, Any]:
    """Results by group (``by``: comma-separated attributes). Groups hidden by the
    anonymity guard have ``suppressed: true`` and null ``respondents`` and scores."""
    if not access.can(request.user, "engagement.view_results"):
        raise HttpError(403, "forbidden")
    survey = get_object_or_404(Survey, pk=survey_id)
    by = [part for part in query.by.split(",") if part.strip()]
    try:
        return exports.results_groups(
            survey,
            request.user,
            by,
            department_id=query.department,
            request=request,
            what="api",
        )
    except guard.Refused as refused:
        raise HttpError(403, refused.message) from refused

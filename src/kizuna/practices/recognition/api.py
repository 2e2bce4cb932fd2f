"""REST endpoints of the recognition app (django-ninja router, mounted by ``kizuna.api``
at /api/recognition): the company feed, posting thanks, clapping and one's own budget.

Errors of a refused post are JSON with field paths, in the shape django-ninja uses for
schema errors: ``{"detail": [{"loc": ["body", "points"], "msg": "…"}]}`` (status 422).
Callers without an employee record get 403 with a ``detail`` message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kizuna.core import access
from kizuna.org.models import Department, Employee
from kizuna.practices.recognition import presenters, services
from kizuna.practices.recognition.models import CompanyValue, Thanks

router = Router(tags=["recognition"])

FEED_PAGE_SIZE = 50


class PersonOut(Schema):
    id: int
    name: str


class ThanksOut(Schema):
    id: int
    sender: PersonOut
    recipients: list[PersonOut]
    values: list[str]
    message: str
    points: int
    claps: int
    clapped: bool
    posted_on: dt.date
    created_at: dt.datetime


class FeedOut(Schema):
    items: list[ThanksOut]
    page: int
    pages: int
    total: int


class ThanksIn(Schema):
    recipients: list[int]
    values: list[int]
    message: str
    points: int


class ErrorItem(Schema):
    loc: list[str]
    msg: str


class ErrorsOut(Schema):
    detail: list[ErrorItem]


class DetailOut(Schema):
    detail: str


class ClapOut(Schema):
    clapped: bool
    claps: int


class BudgetOut(Schema):
    weekly: int
    used: int
    remaining: int
    max_per_post: int
    week_start: dt.date
    week_end: dt.date


def _language() -> str:
    return (get_language() or "ja")[:2]


def _no_employee() -> Status:
    return Status(
        403,
        {"detail": _("Your login is not linked to an employee record.")},
    )


def _field_errors(error: ValidationError) -> Status:
    items: list[dict[str, Any]] = []
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            loc = ["body"] if field == "__all__" else ["body", field]
            items.extend({"loc": loc, "msg": str(m)} for m in messages)
    else:
        items = [{"loc": ["body"], "msg": str(m)} for m in error.messages]
    return Status(422, {"detail": items})


@router.get("/feed", response=FeedOut, url_name="recognition_feed")
def recognition_feed(
    request: HttpRequest,
    value: int | None = None,
    department: int | None = None,
    page: int = 1,
) -> Any:
    """Company feed, newest first, 50 per page; filter by value id or department id
    (posts whose sender or a recipient is in that department's subtree)."""
    me = access.own_employee(request.user)
    chosen_value = CompanyValue.objects.filter(pk=value).first() if value else None
    chosen_dept = Department.objects.filter(pk=department).first() if department else None
    posts = presenters.feed_queryset(me, value=chosen_value, department=chosen_dept)
    paginator = Paginator(posts, FEED_PAGE_SIZE)
    current = paginator.get_page(page)
    language = _language()
    return {
        "items": [presenters.api_item(p, me, language) for p in current.object_list],
        "page": current.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
    }


@router.post(
    "/thanks",
    response={201: ThanksOut, 403: DetailOut, 422: ErrorsOut},
    url_name="recognition_post_thanks",
)
def recognition_post_thanks(request: HttpRequest, payload: ThanksIn) -> Any:
    """Thank one or more colleagues. Costs ``points × recipients`` from your weekly
    budget; refused (422, nothing saved) over the budget or the per-post maximum."""
    me = access.own_employee(request.user)
    if me is None:
        return _no_employee()
    wanted = list(dict.fromkeys(payload.recipients))
    people = list(Employee.objects.filter(pk__in=wanted))
    values = list(CompanyValue.objects.filter(pk__in=set(payload.values)))
    errors: dict[str, list[str]] = {}
    if len(people) != len(wanted):
        errors["recipients"] = [_("Unknown person.")]
    if len(values) != len(set(payload.values)):
        errors["values"] = [_("Unknown company value.")]
    try:
        if errors:
            raise ValidationError(errors)
        thanks = services.post_thanks(me, people, values, payload.message, payload.points)
    except ValidationError as error:
        return _field_errors(error)
    found = presenters.feed_queryset(me).get(pk=thanks.pk)
    return Status(201, presenters.api_item(found, me, _language()))


@router.post(
    "/thanks/{thanks_id}/clap",
    response={200: ClapOut, 403: DetailOut, 422: ErrorsOut},
    url_name="recognition_clap",
)
def recognition_clap(request: HttpRequest, thanks_id: int) -> Any:
    """Clap a post, or take your clap back (one clap per person per post)."""
    me = access.own_employee(request.user)
    if me is None:
        return _no_employee()
    post = get_object_or_404(Thanks, pk=thanks_id)
    try:
        clapped = services.toggle_clap(post, me)
    except ValidationError as error:
        return _field_errors(error)
    return {"clapped": clapped, "claps": post.claps.count()}


@router.get("/budget", response={200: BudgetOut, 403: DetailOut}, url_name="recognition_budget")
def recognition_budget(request: HttpRequest) -> Any:
    """Your points budget this week (Monday–Sunday, Japan time)."""
    me = access.own_employee(request.user)
    if me is None:
        return _no_employee()
    budget = services.budget_for(me)
    return {
        "weekly": budget.weekly,
        "used": budget.used,
        "remaining": budget.remaining,
        "max_per_post": budget.max_per_post,
        "week_start": budget.week_start,
        "week_end": budget.week_end,
    }

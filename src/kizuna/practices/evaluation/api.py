"""REST endpoints of the evaluation app (django-ninja router, mounted at /api/reviews).

Same rules as the pages (``services``): a person reads their own reviews, their manager
chain and HR read theirs; peer and upward feedback only as per-category aggregates with
at least k raters, never with a rater's identity. Errors are JSON with field paths:
``{"errors": [{"field": "scores.outcome", "message": "…"}]}`` (HTTP 422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from kizuna.core import access
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import (
    NAMED_KINDS,
    CycleStatus,
    Participant,
    RaterAssignment,
    ReviewKind,
)

router = Router(tags=["evaluation"])


class FieldError(Schema):
    field: str
    message: str


class ErrorsOut(Schema):
    errors: list[FieldError]


class CycleOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    due_on: dt.date


class AboutMeOut(Schema):
    participant_id: int
    cycle: CycleOut
    self_submitted: bool
    band: str | None


class ToWriteOut(Schema):
    participant_id: int | None = None
    assignment_id: int | None = None
    kind: str
    reviewee: str
    cycle: CycleOut


class MineOut(Schema):
    about_me: list[AboutMeOut]
    to_write: list[ToWriteOut]


class CriteriaOut(Schema):
    id: int
    title: str
    body: str
    department: str | None
    job_level: str
    version: int
    published_at: dt.datetime


class WishesIn(Schema):
    transfer: bool = False
    promotion: bool = False
    comment: str = ""


class ReviewIn(Schema):
    scores: dict[str, Any] = {}
    goals: str = ""
    progress: str = ""
    comment: str = ""
    wishes: WishesIn = WishesIn()
    submit: bool = True


class SubmittedOut(Schema):
    stored: bool
    submitted_on: dt.date | None = None


class CategoryOut(Schema):
    category: str
    visible: bool
    reason: str
    raters: int | None
    outcome: float | None
    process: float | None
    comments: list[str]


class ReviewOut(Schema):
    kind: str
    author: str | None
    outcome: int | None
    process: int | None
    goals: str
    progress: str
    comment: str
    submitted_on: dt.date | None
    wish_transfer: bool | None = None
    wish_promotion: bool | None = None
    wish_comment: str | None = None


class ResultsOut(Schema):
    participant_id: int
    employee: str
    cycle: CycleOut
    reviews: list[ReviewOut]
    feedback: list[CategoryOut]
    band: str | None


def _errors(error: services.ReviewErrors) -> Status:
    return Status(
        422, {"errors": [{"field": k, "message": str(v)} for k, v in error.errors.items()]}
    )


def _me(request: HttpRequest) -> Any:
    me = access.own_employee(request.user)
    if me is None:
        raise HttpError(404, "no employee record")
    return me


def _cycle(participant: Participant) -> dict[str, Any]:
    c = participant.cycle
    return {
        "id": c.pk,
        "name": c.name,
        "kind": c.kind,
        "status": c.status,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "due_on": c.due_on,
    }


@router.get("/mine", response=MineOut)
def review_list_mine(request: HttpRequest) -> Any:
    """Reviews about me and reviews I am to write (manager reviews and feedback requests)."""
    me = _me(request)
    about = []
    for p in (
        Participant.objects.filter(employee=me)
        .select_related("cycle")
        .order_by("-cycle__starts_on")
    ):
        own = services.named_review(p, ReviewKind.SELF)
        about.append(
            {
                "participant_id": p.pk,
                "cycle": _cycle(p),
                "self_submitted": bool(own and own.submitted),
                "band": p.band or None if p.cycle.status == CycleStatus.FINALISED else None,
            }
        )
    to_write: list[dict[str, Any]] = []
    managed = Participant.objects.filter(cycle__status=CycleStatus.OPEN, manager=me).select_related(
        "cycle", "employee"
    )
    for p in managed:
        review = services.named_review(p, ReviewKind.MANAGER)
        if review is None or not review.submitted:
            to_write.append(
                {
                    "participant_id": p.pk,
                    "kind": ReviewKind.MANAGER,
                    "reviewee": p.employee.full_name,
                    "cycle": _cycle(p),
                }
            )
    for a in services.feedback_to_write(me):
        to_write.append(
            {
                "assignment_id": a.pk,
                "kind": a.category,
                "reviewee": a.participant.employee.full_name,
                "cycle": _cycle(a.participant),
            }
        )
    return {"about_me": about, "to_write": to_write}


@router.get("/criteria", response=list[CriteriaOut])
def review_criteria(request: HttpRequest) -> Any:
    """The published criteria that apply to me (HR and admins: all current versions)."""
    if access.can(request.user, "evaluation.manage"):
        items = services.current_criteria()
    else:
        items = services.criteria_for(_me(request))
    return [
        {
            "id": c.pk,
            "title": c.title,
            "body": c.body,
            "department": c.department.code if c.department else None,
            "job_level": c.job_level,
            "version": c.version,
            "published_at": c.published_at,
        }
        for c in items
    ]


def _readable(request: HttpRequest, participant_id: int) -> Participant:
    participant = get_object_or_404(
        Participant.objects.select_related("cycle", "employee"), pk=participant_id
    )
    if not services.can_read(request.user, participant):
        raise HttpError(404, "not found")
    return participant


@router.get("/{int:participant_id}/results", response=ResultsOut)
def review_results(request: HttpRequest, participant_id: int) -> Any:
    """Named self and manager reviews, and peer/report feedback per category (guarded)."""
    participant = _readable(request, participant_id)
    is_me = services.is_member(request.user, participant)
    reviews = []
    for review in participant.reviews.select_related("author").order_by("kind"):
        if not review.submitted:
            continue
        row: dict[str, Any] = {
            "kind": review.kind,
            "author": review.author.full_name if review.author else None,
            "outcome": review.outcome,
            "process": review.process,
            "goals": review.goals,
            "progress": review.progress,
            "comment": review.comment,
            "submitted_on": review.submitted_on,
        }
        if review.kind == ReviewKind.SELF:
            row.update(
                wish_transfer=review.wish_transfer,
                wish_promotion=review.wish_promotion,
                wish_comment=review.wish_comment,
            )
        reviews.append(row)
    categories = services.category_results(participant) if participant.cycle.has_360 else []
    band_visible = not is_me or participant.cycle.status == CycleStatus.FINALISED
    return {
        "participant_id": participant.pk,
        "employee": participant.employee.full_name,
        "cycle": _cycle(participant),
        "reviews": reviews,
        "feedback": [
            {
                "category": c.category,
                "visible": c.visible,
                "reason": c.reason,
                "raters": c.raters,
                "outcome": c.outcome,
                "process": c.process,
                "comments": c.comments,
            }
            for c in categories
        ],
        "band": (participant.band or None) if band_visible else None,
    }


def _input(payload: ReviewIn) -> services.ReviewInput:
    return services.ReviewInput(
        outcome=payload.scores.get("outcome"),
        process=payload.scores.get("process"),
        goals=payload.goals,
        progress=payload.progress,
        comment=payload.comment,
        wish_transfer=payload.wishes.transfer,
        wish_promotion=payload.wishes.promotion,
        wish_comment=payload.wishes.comment,
    )


@router.post(
    "/{int:participant_id}/{kind}", response={200: SubmittedOut, 403: ErrorsOut, 422: ErrorsOut}
)
def review_submit(request: HttpRequest, participant_id: int, kind: str, payload: ReviewIn) -> Any:
    """Save (``submit: false``) or submit the self-assessment (``kind=self``, the member)
    or the manager review (``kind=manager``, the reviewer). Idempotent: submitting again
    stores nothing and returns ``stored: false``."""
    participant = _readable(request, participant_id)
    me = _me(request)
    if kind not in NAMED_KINDS:
        return Status(422, {"errors": [{"field": "kind", "message": "self or manager"}]})
    allowed = (kind == ReviewKind.SELF and me.pk == participant.employee_id) or (
        kind == ReviewKind.MANAGER and me.pk == services.reviewer_of(participant)
    )
    if not allowed:
        return Status(403, {"errors": [{"field": "kind", "message": "forbidden"}]})
    try:
        review, stored = services.save_review(
            participant, kind, me, _input(payload), submit=payload.submit
        )
    except services.ReviewErrors as error:
        return _errors(error)
    return Status(
        200, {"stored": stored or not payload.submit, "submitted_on": review.submitted_on}
    )


@router.post("/feedback/{int:assignment_id}", response={200: SubmittedOut, 422: ErrorsOut})
def review_feedback_submit(request: HttpRequest, assignment_id: int, payload: ReviewIn) -> Any:
    """Give the peer or upward feedback one was asked for (stored without the rater)."""
    me = _me(request)
    assignment = get_object_or_404(
        RaterAssignment.objects.select_related("participant__cycle"), pk=assignment_id
    )
    if assignment.rater_id != me.pk:
        raise HttpError(404, "not found")
    try:
        stored = services.submit_feedback(assignment, _input(payload))
    except services.ReviewErrors as error:
        return _errors(error)
    return Status(200, {"stored": stored})

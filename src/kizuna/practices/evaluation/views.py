"""Pages of the evaluation app. Thin: rules and changes in ``services``, figures for the
calibration view in ``calibration``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kizuna.core import access
from kizuna.org.models import Department, Employee
from kizuna.practices.evaluation import calibration as calib
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import (
    BANDS,
    DEFAULT_TARGET,
    NAMED_KINDS,
    AssignmentStatus,
    Band,
    Criteria,
    Cycle,
    CycleKind,
    CycleStatus,
    Participant,
    RaterAssignment,
    ReviewKind,
)


def _no_record(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/no_employee.html")


def _participant(request: HttpRequest, pk: int) -> Participant:
    participant = get_object_or_404(
        Participant.objects.select_related("cycle", "employee", "manager", "department"), pk=pk
    )
    if not services.can_read(request.user, participant):
        raise Http404
    return participant


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _input(post: Any) -> services.ReviewInput:
    return services.ReviewInput(
        outcome=post.get("outcome"),
        process=post.get("process"),
        goals=post.get("goals", ""),
        progress=post.get("progress", ""),
        comment=post.get("comment", ""),
        wish_transfer=post.get("wish_transfer") == "on",
        wish_promotion=post.get("wish_promotion") == "on",
        wish_comment=post.get("wish_comment", ""),
    )


def _for_template(errors: dict[str, str]) -> dict[str, str]:
    """Field paths ("scores.outcome") as template-friendly keys ("scores_outcome")."""
    return {
        ("form" if key == "__all__" else key.replace(".", "_")): message
        for key, message in errors.items()
    }


def _scales() -> dict[str, list[tuple[int, str]]]:
    return {
        "outcome": [(v, str(label)) for v, label in services.OUTCOME_ANCHORS.items()],
        "process": [(v, str(label)) for v, label in services.PROCESS_ANCHORS.items()],
    }


# --------------------------------------------------------------------------- member pages


@access.require("practices.use")
def index(request: HttpRequest) -> HttpResponse:
    """My reviews: about me (each cycle I take part in) and the ones I am to write."""
    me = access.own_employee(request.user)
    can_manage = access.can(request.user, "evaluation.manage")
    if me is None:
        if can_manage:
            return redirect("evaluation:cycles")
        return _no_record(request)
    mine = (
        Participant.objects.filter(employee=me)
        .select_related("cycle")
        .prefetch_related("reviews")
        .order_by("-cycle__starts_on", "-cycle_id")
    )
    about_me = []
    for p in mine:
        reviews = {r.kind: r for r in p.reviews.all()}
        about_me.append({"participant": p, "self": reviews.get(ReviewKind.SELF)})
    managed = (
        Participant.objects.filter(cycle__status=CycleStatus.OPEN)
        .filter(Q(manager=me) | Q(manager__isnull=True, employee__manager=me))
        .select_related("cycle", "employee")
        .annotate(
            manager_done=Count(
                "reviews",
                filter=Q(reviews__kind=ReviewKind.MANAGER, reviews__submitted_on__isnull=False),
            ),
            proposed=Count("assignments", filter=Q(assignments__status=AssignmentStatus.PROPOSED)),
        )
        .order_by("cycle_id", "employee__employee_number")
    )
    return render(
        request,
        "evaluation/index.html",
        {
            "about_me": about_me,
            "managed": managed,
            "feedback": services.feedback_to_write(me),
            "can_manage": can_manage,
        },
    )


@access.require("practices.use")
def criteria(request: HttpRequest) -> HttpResponse:
    """The criteria that apply to me (HR and admins also see every published version)."""
    me = access.own_employee(request.user)
    can_manage = access.can(request.user, "evaluation.manage")
    if me is None and not can_manage:
        return _no_record(request)
    mine = services.criteria_for(me) if me is not None else []
    everything = services.current_criteria() if can_manage else []
    return render(
        request,
        "evaluation/criteria.html",
        {"mine": mine, "everything": everything, "me": me, "can_manage": can_manage},
    )


@access.require("practices.use")
def results(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk)
    cycle = participant.cycle
    reviews = {r.kind: r for r in participant.reviews.select_related("author")}
    is_me = services.is_member(request.user, participant)
    self_review = reviews.get(ReviewKind.SELF)
    if not is_me and self_review is not None and not self_review.submitted:
        self_review = None  # a draft is its writer's until submitted
    manager_review = reviews.get(ReviewKind.MANAGER)
    if not _is_reviewer(request, participant) and manager_review and not manager_review.submitted:
        manager_review = None
    categories = services.category_results(participant) if cycle.has_360 else []
    assignments = []
    if services.can_manage_raters(request.user, participant) or is_me:
        assignments = list(
            participant.assignments.select_related("rater").order_by(
                "category", "rater__employee_number"
            )
        )
    candidates: list[Employee] = []
    if (
        cycle.has_360
        and cycle.status == CycleStatus.OPEN
        and (is_me or services.can_manage_raters(request.user, participant))
    ):
        taken = {a.rater_id for a in assignments} | {participant.employee_id}
        candidates = list(
            Employee.objects.filter(leave_date__isnull=True)
            .exclude(pk__in=taken)
            .exclude(pk=services.reviewer_of(participant) or 0)
            .select_related("department")
            .order_by("department__path", "employee_number")[:500]
        )
    show_band = not is_me or cycle.status == CycleStatus.FINALISED
    return render(
        request,
        "evaluation/results.html",
        {
            "participant": participant,
            "cycle": cycle,
            "self_review": self_review,
            "manager_review": manager_review,
            "categories": categories,
            "k": services.k_of(cycle),
            "is_me": is_me,
            "can_write_self": is_me and cycle.status == CycleStatus.OPEN,
            "can_write_manager": _is_reviewer(request, participant)
            and cycle.status == CycleStatus.OPEN,
            "can_set_final": services.can_set_final(request.user, participant)
            and cycle.status != CycleStatus.FINALISED,
            "can_manage_raters": services.can_manage_raters(request.user, participant),
            "assignments": assignments,
            "candidates": candidates,
            "bands": Band.choices,
            "show_band": show_band,
            "scales": _scales(),
        },
    )


def _is_reviewer(request: HttpRequest, participant: Participant) -> bool:
    me = access.own_employee(request.user)
    return me is not None and me.pk == services.reviewer_of(participant)


@access.require("practices.use")
def review_form(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The self-assessment (the member) or the manager review (the reviewer)."""
    participant = _participant(request, pk)
    if kind not in NAMED_KINDS:
        raise Http404
    me = access.own_employee(request.user)
    allowed = (kind == ReviewKind.SELF and services.is_member(request.user, participant)) or (
        kind == ReviewKind.MANAGER and _is_reviewer(request, participant)
    )
    if not allowed or me is None:
        raise PermissionDenied
    cycle = participant.cycle
    review = services.named_review(participant, kind)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        submit = request.POST.get("action") == "submit"
        data = _input(request.POST)
        try:
            review, stored = services.save_review(participant, kind, me, data, submit=submit)
        except services.ReviewErrors as error:
            errors = error.errors
            values = {**request.POST.dict()}
            values["wish_transfer"] = data.wish_transfer
            values["wish_promotion"] = data.wish_promotion
        else:
            if submit and stored:
                messages.success(request, _("Your review was submitted."))
            elif submit:
                messages.info(request, _("This review had already been submitted."))
            else:
                messages.success(request, _("Your draft was saved."))
            return redirect("evaluation:results", pk=participant.pk)
    elif review is not None:
        values = {
            "outcome": str(review.outcome or ""),
            "process": str(review.process or ""),
            "goals": review.goals,
            "progress": review.progress,
            "comment": review.comment,
            "wish_transfer": review.wish_transfer,
            "wish_promotion": review.wish_promotion,
            "wish_comment": review.wish_comment,
        }
    status = 200  # the form again, with its errors inline (nothing was stored)
    return render(
        request,
        "evaluation/review_form.html",
        {
            "participant": participant,
            "cycle": cycle,
            "kind": kind,
            "kind_label": dict(ReviewKind.choices)[kind],
            "review": review,
            "locked": (review is not None and review.submitted) or cycle.status != CycleStatus.OPEN,
            "values": values,
            "errors": _for_template(errors),
            "scales": _scales(),
            "criteria": services.criteria_for(participant.employee),
            "self_review": services.named_review(participant, ReviewKind.SELF)
            if kind == ReviewKind.MANAGER
            else None,
        },
        status=status,
    )


@access.require("practices.use")
def feedback_form(request: HttpRequest, pk: int) -> HttpResponse:
    """Peer or upward feedback: only the asked rater opens it (404 for everyone else)."""
    me = access.own_employee(request.user)
    assignment = get_object_or_404(
        RaterAssignment.objects.select_related("participant__employee", "participant__cycle"),
        pk=pk,
    )
    if me is None or assignment.rater_id != me.pk:
        raise Http404
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        try:
            stored = services.submit_feedback(assignment, _input(request.POST))
        except services.ReviewErrors as error:
            errors, values = error.errors, request.POST.dict()
        else:
            if stored:
                messages.success(
                    request, _("Thank you. Your feedback was stored without your name.")
                )
            else:
                messages.info(request, _("You have already given this feedback."))
            return redirect("evaluation:index")
    return render(
        request,
        "evaluation/feedback_form.html",
        {
            "assignment": assignment,
            "participant": assignment.participant,
            "cycle": assignment.participant.cycle,
            "values": values,
            "errors": _for_template(errors),
            "scales": _scales(),
            "k": services.k_of(assignment.participant.cycle),
            "locked": assignment.completed
            or assignment.status != AssignmentStatus.APPROVED
            or assignment.participant.cycle.status != CycleStatus.OPEN,
        },
        status=200,
    )


@require_POST
@access.require("practices.use")
def rater_add(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk)
    if not (
        services.is_member(request.user, participant)
        or services.can_manage_raters(request.user, participant)
    ):
        raise PermissionDenied
    rater_id = request.POST.get("rater", "")
    rater = Employee.objects.filter(pk=int(rater_id)).first() if rater_id.isdigit() else None
    if rater is None:
        messages.error(request, _("Choose a person."))
        return redirect("evaluation:results", pk=participant.pk)
    try:
        assignment = services.propose_rater(
            participant, rater, request.POST.get("category", ""), request.user, request=request
        )
    except services.ReviewErrors as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        if assignment.status == AssignmentStatus.APPROVED:
            messages.success(request, _("%(name)s was asked for feedback.") % {"name": rater})
        else:
            messages.success(
                request, _("%(name)s was proposed; your manager will approve.") % {"name": rater}
            )
    return redirect("evaluation:results", pk=participant.pk)


@require_POST
@access.require("practices.use")
def rater_decide(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        RaterAssignment.objects.select_related("participant__cycle", "participant__employee"),
        pk=pk,
    )
    participant = assignment.participant
    if not services.can_read(request.user, participant):
        raise Http404
    if not services.can_manage_raters(request.user, participant):
        raise PermissionDenied
    try:
        services.decide_rater(
            assignment, request.POST.get("decision") == "approve", request.user, request=request
        )
    except services.ReviewErrors as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, _("The request for feedback was updated."))
    return redirect("evaluation:results", pk=participant.pk)


@require_POST
@access.require("practices.use")
def final(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk)
    if not services.can_set_final(request.user, participant):
        raise PermissionDenied
    try:
        changed = services.set_final(
            participant,
            band=request.POST.get("band", ""),
            outcome=request.POST.get("final_outcome") or None,
            process=request.POST.get("final_process") or None,
            note=request.POST.get("note", "").strip(),
            by=request.user,
            request=request,
            via="hr" if access.can(request.user, "evaluation.manage") else "manager",
        )
    except services.ReviewErrors as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        if changed:
            messages.success(request, _("The final rating was saved."))
    return redirect("evaluation:results", pk=participant.pk)


# --------------------------------------------------------------------------- HR pages


@access.require("evaluation.manage")
def criteria_manage(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        dept_id = request.POST.get("department", "")
        department = (
            Department.objects.filter(pk=int(dept_id)).first() if dept_id.isdigit() else None
        )
        try:
            if dept_id and department is None:
                raise services.ReviewErrors({"department": _("Choose an existing department.")})
            created = services.create_criteria(
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                department=department,
                job_level=request.POST.get("job_level", ""),
                by=request.user,
                publish=request.POST.get("action") == "publish",
                request=request,
            )
        except services.ReviewErrors as error:
            errors, values = error.errors, request.POST.dict()
        else:
            messages.success(
                request,
                _("Version %(version)s was saved.") % {"version": created.version},
            )
            return redirect("evaluation:criteria_manage")
    versions = Criteria.objects.select_related("department").order_by(
        "department__path", "job_level", "-version"
    )
    return render(
        request,
        "evaluation/criteria_manage.html",
        {
            "versions": versions,
            "departments": Department.objects.order_by("path"),
            "job_levels": sorted(
                {j for j in Employee.objects.values_list("job_level", flat=True) if j}
            ),
            "errors": errors,
            "values": values,
        },
        status=200,
    )


@require_POST
@access.require("evaluation.manage")
def criteria_publish(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Criteria, pk=pk)
    if services.publish_criteria(item, request.user, request=request):
        messages.success(request, _("The criteria were published."))
    return redirect("evaluation:criteria_manage")


@access.require("evaluation.manage")
def cycles(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        post = request.POST
        target: dict[str, int] = {}
        for band in BANDS:
            raw = post.get(f"target_{band}", "").strip()
            target[band] = int(raw) if raw.isdigit() else -1000
        min_raters = post.get("min_raters", "3").strip()
        audience = (
            {"all": True}
            if post.get("audience", "all") == "all"
            else {"department": post.get("department", "")}
        )
        try:
            cycle = services.create_cycle(
                name=post.get("name", ""),
                kind=post.get("kind", ""),
                starts_on=_date(post.get("starts_on", "")),
                ends_on=_date(post.get("ends_on", "")),
                due_on=_date(post.get("due_on", "")),
                audience=audience,
                min_raters=int(min_raters) if min_raters.isdigit() else 0,
                target=target,
                by=request.user,
                request=request,
            )
        except services.ReviewErrors as error:
            errors, values = error.errors, post.dict()
        else:
            messages.success(
                request,
                _("The cycle was created with %(n)s participants.")
                % {"n": cycle.participants.count()},
            )
            return redirect("evaluation:cycle_detail", pk=cycle.pk)
    listing = Cycle.objects.annotate(n=Count("participants")).order_by("-starts_on", "-pk")
    if not values:
        values = {"min_raters": "3", **{f"target_{b}": str(v) for b, v in DEFAULT_TARGET.items()}}
    return render(
        request,
        "evaluation/cycles.html",
        {
            "cycles": listing,
            "kinds": CycleKind.choices,
            "departments": Department.objects.order_by("path"),
            "bands": BANDS,
            "errors": errors,
            "values": values,
        },
        status=200,
    )


@access.require("evaluation.manage")
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=pk)
    participants = (
        cycle.participants.select_related("employee", "department", "manager")
        .annotate(
            self_done=Count(
                "reviews",
                filter=Q(reviews__kind=ReviewKind.SELF, reviews__submitted_on__isnull=False),
            ),
            manager_done=Count(
                "reviews",
                filter=Q(reviews__kind=ReviewKind.MANAGER, reviews__submitted_on__isnull=False),
            ),
            raters=Count("assignments", filter=Q(assignments__status=AssignmentStatus.APPROVED)),
        )
        .order_by("department__path", "employee__employee_number")
    )
    totals = calib.progress(cycle)
    return render(
        request,
        "evaluation/cycle_detail.html",
        {
            "cycle": cycle,
            "participants": participants,
            "totals": totals,
            "statuses": CycleStatus.choices,
        },
    )


@require_POST
@access.require("evaluation.manage")
def cycle_status(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=pk)
    try:
        services.set_cycle_status(
            cycle, request.POST.get("status", ""), request.user, timezone.localdate(), request
        )
    except services.ReviewErrors as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        messages.success(
            request, _("The cycle is now: %(status)s.") % {"status": cycle.get_status_display()}
        )
    return redirect("evaluation:cycle_detail", pk=cycle.pk)


@access.require("evaluation.manage")
def calibration(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=pk)
    group = request.GET.get("group", "department")
    if group not in ("department", "manager"):
        group = "department"
    view = calib.build(cycle, group=group, language=request.LANGUAGE_CODE)
    return render(
        request,
        "evaluation/calibration.html",
        {"cycle": cycle, "view": view, "group": group, "bands": Band.choices},
    )


@require_POST
@access.require("evaluation.manage")
def calibration_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=pk)
    ids = [int(v) for v in request.POST.getlist("people") if v.isdigit()]
    chosen = list(cycle.participants.filter(pk__in=ids).select_related("cycle", "employee"))
    try:
        if cycle.status == CycleStatus.FINALISED:
            raise services.ReviewErrors(
                {"__all__": _("This cycle is finalised. Close it again to change ratings.")}
            )
        changed = services.bulk_adjust(
            chosen,
            request.POST.get("band", ""),
            request.user,
            note=request.POST.get("note", "").strip(),
            request=request,
        )
    except services.ReviewErrors as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)s band was changed and written to the audit log.",
                "%(n)s bands were changed and written to the audit log.",
                changed,
            )
            % {"n": changed},
        )
    group = "manager" if request.POST.get("group") == "manager" else "department"
    return redirect(reverse("evaluation:calibration", args=[cycle.pk]) + f"?group={group}")

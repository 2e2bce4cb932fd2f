"""Pages of the flexwork app. Thin: rules in ``eligibility``, figures in ``metrics``,
changes in ``services``, the file rules in ``importing``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kizuna.core import access, audit
from kizuna.core.charts import bar_chart
from kizuna.org.importing.types import ImportRejected, RowError
from kizuna.org.models import Department, Employee, ImportStatus, Organization
from kizuna.practices.flexwork import forms, importing, metrics, periods, services
from kizuna.practices.flexwork.models import (
    AttendanceDay,
    AttendanceImport,
    Policy,
    SideJobRequest,
    SideJobStatus,
)
from kizuna.practices.flexwork.templatetags.flexwork_ui import ratio_text

MAX_ERRORS_SHOWN = 500
# Okabe–Ito: managers blue, everyone else orange (the palette used across Kizuna)
MANAGER_COLOUR, OTHERS_COLOUR = "#0072B2", "#E69F00"


# --- everyone: what applies to me ----------------------------------------------------------


@access.require("practices.use")
def index(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    employee = access.own_employee(request.user)
    items = services.policies_for(employee, today)
    side_jobs = (
        SideJobRequest.objects.filter(employee=employee).order_by("-created_at")
        if employee
        else SideJobRequest.objects.none()
    )
    return render(
        request,
        "flexwork/index.html",
        {
            "items": items,
            "employee": employee,
            "side_jobs": side_jobs,
            "may_apply": employee is not None and services.may_apply_for_side_job(employee, today),
            "can_manage": access.can(request.user, "flexwork.manage"),
            "can_view_utilisation": access.can(request.user, "flexwork.view_utilisation"),
            "pending_count": SideJobRequest.objects.filter(status=SideJobStatus.PENDING).count()
            if access.can(request.user, "flexwork.manage")
            else 0,
        },
    )


# --- policy admin ----------------------------------------------------------------------------


@access.require("flexwork.manage")
def policies(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [
        {"policy": policy, "eligible": services.eligible_count(policy, today)}
        for policy in Policy.objects.prefetch_related("departments")
    ]
    return render(request, "flexwork/policies.html", {"rows": rows, "today": today})


@access.require("flexwork.manage")
def policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_form(request, Policy())


@access.require("flexwork.manage")
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _policy_form(request, get_object_or_404(Policy, pk=pk))


def _policy_form(request: HttpRequest, policy: Policy) -> HttpResponse:
    creating = policy.pk is None
    form = forms.PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        audit.record(
            request.user,
            "flexwork.policy.create" if creating else "flexwork.policy.update",
            saved,
            request=request,
        )
        messages.success(request, _("The policy was saved."))
        return redirect("flexwork:policies")
    return render(request, "flexwork/policy_form.html", {"form": form, "creating": creating})


# --- attendance import -------------------------------------------------------------------


@access.require("flexwork.manage")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = forms.AttendanceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        result = importing.validate(content, upload.name)
        job = AttendanceImport.objects.create(
            filename=upload.name[:255],
            # a rejected file is never applied: only a file ready to import is kept
            content=content if result.ok else b"",
            status=ImportStatus.READY if result.ok else ImportStatus.INVALID,
            encoding=result.encoding,
            total_rows=result.total_rows,
            errors=[error.as_dict() for error in result.errors],
            summary=dict(result.summary),
            preview=result.preview,
            created_by=request.user if request.user.is_authenticated else None,
        )
        return redirect("flexwork:import_detail", pk=job.pk)
    recent = AttendanceImport.objects.defer("content")[:10]
    latest = AttendanceDay.objects.aggregate(last=Max("date"))["last"]
    return render(
        request,
        "flexwork/import_upload.html",
        {"form": form, "recent": recent, "latest": latest, "columns": importing.COLUMNS},
    )


@access.require("flexwork.manage")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(AttendanceImport.objects.defer("content"), pk=pk)
    errors = [
        {"row": error.row, "column": error.column, "message": importing.message(error)}
        for error in (RowError.from_dict(item) for item in job.errors)
    ]
    return render(
        request,
        "flexwork/import_detail.html",
        {
            "job": job,
            "errors": errors[:MAX_ERRORS_SHOWN],
            "error_count": len(errors),
            "preview_columns": importing.preview_columns(),
        },
    )


@require_POST
@access.require("flexwork.manage")
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(AttendanceImport, pk=pk)
    if job.status != ImportStatus.READY:
        # pressed twice, or a rejected file: nothing to do
        return redirect("flexwork:import_detail", pk=job.pk)
    # claim the job once even when the button is pressed twice
    claimed = AttendanceImport.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.RUNNING
    )
    if not claimed:
        return redirect("flexwork:import_detail", pk=job.pk)
    try:
        job.result = importing.apply(bytes(job.content), job.filename, actor=request.user)
    except ImportRejected as rejected:  # the data changed between the check and now
        job.status = ImportStatus.INVALID
        job.errors = [error.as_dict() for error in rejected.errors]
    else:
        job.status = ImportStatus.DONE
        job.content = b""  # attendance is personal data: keep the file no longer than needed
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "result", "content", "finished_at"])
    return redirect("flexwork:import_detail", pk=job.pk)


@access.require("flexwork.manage")
def import_template(request: HttpRequest) -> HttpResponse:
    body = importing.template_csv(request.LANGUAGE_CODE)
    response = HttpResponse(
        ("\ufeff" + body).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="kizuna-attendance-template.csv"'
    return response


# --- utilisation ---------------------------------------------------------------------------


def default_period(start_month: int) -> periods.Period:
    """The month of the latest attendance imported, or the month before when that is
    the current, still unfinished month (today's month when nothing is imported)."""
    today = timezone.localdate()
    latest = AttendanceDay.objects.filter(date__lte=today).aggregate(last=Max("date"))["last"]
    if latest is None:
        return periods.month(today)
    if (latest.year, latest.month) == (today.year, today.month):
        return periods.month(today.replace(day=1) - dt.timedelta(days=1))
    return periods.month(latest)


def scope_for(user: Any) -> tuple[list[Department], Any]:
    """The departments the user may break down, and the people the totals cover (None:
    everyone). Managers: their subtrees only."""
    if access.has_role(user, access.ADMIN, access.HR, access.EXECUTIVE):
        return list(Department.objects.filter(closed_on__isnull=True).order_by("path")), None
    departments = list(access.managed_departments(user).order_by("path"))
    return departments, Employee.objects.filter(department__in=departments)


@access.require("flexwork.view_utilisation")
def utilisation(request: HttpRequest) -> HttpResponse:
    start_month = Organization.current().fiscal_year_start_month
    period = periods.parse(request.GET.get("period", ""), start_month) or default_period(
        start_month
    )
    departments, people = scope_for(request.user)
    is_scoped = people is not None
    if is_scoped and not departments:
        return render(request, "flexwork/utilisation.html", {"no_scope": True, "period": period})
    overall = metrics.utilisation(period.start, period.end, people)
    by_department = metrics.utilisation_by_department(period.start, period.end, departments, people)
    min_depth = min((d.depth for d in departments), default=0)
    team_rows = [
        {
            "department": row.department,
            "indent": min(row.department.depth - min_depth, 11),
            "cells": [ratio_text(item.everyone) for item in row.policies],
        }
        for row in by_department
    ]
    chart = bar_chart(
        [item.policy.name for item in overall],
        [
            {
                "label": _("Managers"),
                "data": [_round(item.managers.rate) for item in overall],
                "backgroundColor": MANAGER_COLOUR,
            },
            {
                "label": _("Everyone else"),
                "data": [_round(item.others.rate) for item in overall],
                "backgroundColor": OTHERS_COLOUR,
            },
        ],
        y_title=_("Used at least once (%)"),
    )
    chart["options"]["scales"]["y"]["max"] = 100
    chart_rows = [
        [item.policy.name, ratio_text(item.managers), ratio_text(item.others)] for item in overall
    ]
    has_attendance = AttendanceDay.objects.filter(
        date__gte=period.start, date__lte=period.end
    ).exists()
    return render(
        request,
        "flexwork/utilisation.html",
        {
            "period": period,
            "choices": periods.choices(timezone.localdate(), start_month),
            "overall": overall,
            "team_rows": team_rows,
            "chart": chart,
            "chart_rows": chart_rows,
            "chart_headers": [_("Policy"), _("Managers"), _("Everyone else")],
            "absence": metrics.absence_rate(period.start, period.end, people),
            "lateness": metrics.lateness_rate(period.start, period.end, people),
            "has_attendance": has_attendance,
            "is_scoped": is_scoped,
            "can_manage": access.can(request.user, "flexwork.manage"),
        },
    )


def _round(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 1)


# --- side jobs -----------------------------------------------------------------------------


@access.require("practices.use")
def side_job_apply(request: HttpRequest) -> HttpResponse:
    employee = access.own_employee(request.user)
    today = timezone.localdate()
    if employee is None:
        return render(request, "flexwork/side_job_form.html", {"no_employee": True})
    if not services.may_apply_for_side_job(employee, today):
        return render(request, "flexwork/side_job_form.html", {"not_eligible": True})
    form = forms.SideJobForm(request.POST or None, initial={"starts_on": today})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "confirm"}
        try:
            services.apply_for_side_job(employee, data, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your request was sent to HR."))
            return redirect("flexwork:index")
    return render(request, "flexwork/side_job_form.html", {"form": form})


@require_POST
@access.require("practices.use")
def side_job_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    employee = access.own_employee(request.user)
    item = get_object_or_404(SideJobRequest, pk=pk)
    if employee is None or item.employee_id != employee.pk:
        raise Http404
    try:
        services.withdraw(item, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your request was withdrawn."))
    return redirect("flexwork:index")


@access.require("flexwork.manage")
def side_jobs(request: HttpRequest) -> HttpResponse:
    items = SideJobRequest.objects.select_related("employee", "employee__department", "decided_by")
    pending = [item for item in items if item.status == SideJobStatus.PENDING]
    decided = [item for item in items if item.status != SideJobStatus.PENDING][:100]
    return render(
        request,
        "flexwork/side_jobs.html",
        {"pending": pending, "decided": decided, "form": forms.DecisionForm()},
    )


@require_POST
@access.require("flexwork.manage")
def side_job_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SideJobRequest, pk=pk)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or decline."))
        return redirect("flexwork:side_jobs")
    try:
        services.decide(
            item,
            form.cleaned_data["decision"] == "approve",
            form.cleaned_data["note"],
            user=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The decision was saved."))
    return redirect("flexwork:side_jobs")

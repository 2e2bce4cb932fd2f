"""People directory, org chart and imports. Thin: access from ``core.access``, data from
``org.services``/``org.importing``, rendering in templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kizuna.core import access, audit
from kizuna.org import tasks
from kizuna.org.importing import columns, messages, service
from kizuna.org.importing.types import RowError
from kizuna.org.importing.upload import check_import_file, import_file_field
from kizuna.org.models import Department, Employee, ImportJob, ImportKind, ImportStatus
from kizuna.org.services import subtree


def _active_filter(day: dt.date) -> Q:
    return Q(hire_date__lte=day) & (Q(leave_date__isnull=True) | Q(leave_date__gte=day))


@access.require("org.view_directory")
def departments(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    visible = list(access.visible_departments(request.user).select_related("head"))
    direct = dict(
        Employee.objects.filter(_active_filter(today), department__in=visible)
        .values_list("department")
        .annotate(n=Count("pk"))
        .values_list("department", "n")
    )
    # subtree totals: add each department's own count to itself and all its ancestors
    by_id = {d.pk: d for d in visible}
    totals: dict[int, int] = dict.fromkeys(by_id, 0)
    for dept_id, count in direct.items():
        for ancestor in by_id[dept_id].path.strip("/").split("/"):
            if int(ancestor) in totals:
                totals[int(ancestor)] += count
    min_depth = min((d.depth for d in visible), default=0)
    rows = [
        {
            "dept": d,
            "direct": direct.get(d.pk, 0),
            "total": totals[d.pk],
            "indent": d.depth - min_depth,
        }
        for d in visible
    ]
    return render(request, "org/departments.html", {"rows": rows})


@access.require("org.view_directory")
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dept = get_object_or_404(Department.objects.select_related("head", "parent"), pk=pk)
    if not access.can_view_department(request.user, dept):
        raise Http404
    today = timezone.localdate()
    members = (
        Employee.objects.filter(_active_filter(today), department__in=subtree(dept))
        .select_related("department", "manager")
        .order_by("department__path", "employee_number")
    )
    children = dept.children.all().order_by("sort_order", "code")
    return render(
        request,
        "org/department_detail.html",
        {"dept": dept, "members": members, "children": children, "count": members.count()},
    )


@access.require("org.view_directory")
def employees(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    qs = access.visible_employees(request.user).select_related("department", "manager")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        qs = qs.filter(
            Q(family_name__icontains=query)
            | Q(given_name__icontains=query)
            | Q(family_name_kana__icontains=query)
            | Q(given_name_kana__icontains=query)
            | Q(employee_number__icontains=query)
            | Q(email__icontains=query)
        )
    dept_id = request.GET.get("department", "")
    visible_depts = access.visible_departments(request.user)
    selected = None
    if dept_id.isdigit():
        selected = visible_depts.filter(pk=int(dept_id)).first()
        if selected is not None:
            qs = qs.filter(department__path__startswith=selected.path)
    show = request.GET.get("status", "active")
    if show == "active":
        qs = qs.filter(_active_filter(today))
    elif show == "left":
        qs = qs.filter(leave_date__lt=today)
    page = Paginator(qs.order_by("employee_number"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "departments": visible_depts.order_by("path"),
        "selected_department": selected,
        "status": show,
        "today": today,
    }
    partial = request.headers.get("HX-Request") == "true"
    template = "org/employees.html#results" if partial else "org/employees.html"
    return render(request, template, context)


@access.require("org.view_directory")
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_object_or_404(
        Employee.objects.select_related("department", "manager", "user"), pk=pk
    )
    if not access.can_view_employee(request.user, employee):
        raise Http404
    sensitive = access.can_view_sensitive(request.user, employee)
    audit.record(request.user, "org.view_employee", employee, request=request, sensitive=sensitive)
    history = (
        employee.history.select_related("department", "manager").order_by("-valid_from")
        if sensitive
        else None
    )
    return render(
        request,
        "org/employee_detail.html",
        {
            "employee": employee,
            "sensitive": sensitive,
            "history": history,
            "reports": employee.reports.filter(_active_filter(timezone.localdate())),
        },
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Data"), choices=ImportKind.choices)
    file = import_file_field()
    as_of = forms.DateField(
        label=_("Effective date"),
        help_text=_(
            "Changes to departments, managers and other attributes take effect on this date."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_file(self) -> Any:
        return check_import_file(self.cleaned_data["file"])


@access.require("org.import")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"as_of": timezone.localdate(), "kind": request.GET.get("kind", "employees")},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        job = service.create_job(
            kind=form.cleaned_data["kind"],
            content=content,
            filename=upload.name,
            as_of=form.cleaned_data["as_of"],
            actor=request.user,
        )
        return redirect("org:import_detail", pk=job.pk)
    recent = ImportJob.objects.defer("content")[:10]
    return render(request, "org/import_upload.html", {"form": form, "recent": recent})


def _job(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.defer("content"), pk=pk)


def _progress(job: ImportJob) -> dict[str, Any]:
    done, total = cache.get(tasks.progress_key(job.pk)) or (0, job.total_rows)
    percent = int(100 * done / total) if total else 0
    return {"done": done, "total": total, "percent": percent}


@access.require("org.import")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    errors = [
        {"row": e.row, "column": e.column, "message": messages.message(e)}
        for e in (RowError.from_dict(d) for d in job.errors)
    ]
    summary = job.summary or {}
    return render(
        request,
        "org/import_detail.html",
        {
            "job": job,
            "errors": errors[:500],
            "error_count": len(errors),
            "counts": summary.get("counts", {}),
            "result": summary.get("result", {}),
            "preview": summary.get("preview", []),
            "preview_columns": columns.preview_columns(job.kind),
            "progress": _progress(job),
            "in_progress": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        },
    )


@require_POST
@access.require("org.import")
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    service.queue_job(job)
    return redirect("org:import_detail", pk=job.pk)


@access.require("org.import")
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    response = render(
        request,
        "org/import_detail.html#progress",
        {"job": job, "progress": _progress(job), "in_progress": True},
    )
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        response["HX-Refresh"] = "true"
    return response


@access.require("org.import")
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ImportKind.values:
        raise Http404
    body = columns.template_csv(kind, request.LANGUAGE_CODE)
    response = HttpResponse(
        ("\ufeff" + body).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="kizuna-{kind}-template.csv"'
    return response

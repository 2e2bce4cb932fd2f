from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kizuna.core import access, charts
from kizuna.core.models import AuditLog
from kizuna.core.roles import Role
from kizuna.org import stats
from kizuna.org.models import Organization


@login_required
def home(request: HttpRequest) -> HttpResponse:
    employee = access.own_employee(request.user)
    context: dict[str, object] = {"employee": employee}
    if employee is not None:
        from kizuna.practices.home import summary

        context["practices"] = summary(employee)
    if access.can(request.user, "org.view_dashboard"):
        today = timezone.localdate()
        org = Organization.current()
        employees = access.visible_employees(request.user)
        monthly = stats.monthly_movements(employees, today, months=24)
        by_department = stats.headcount_by_top_department(
            request.user, today, request.LANGUAGE_CODE
        )
        month_labels = [date_format(row["month"], "YEAR_MONTH_FORMAT") for row in monthly]
        context.update(
            org=org,
            summary=stats.headcount_summary(employees, today, org.fiscal_year_start_month),
            monthly_rows=[
                (label, row["hires"], row["leavers"], row["headcount"])
                for label, row in zip(month_labels, monthly, strict=True)
            ],
            monthly_chart=charts.bar_and_line_chart(
                month_labels,
                [
                    {
                        "label": _("Hires"),
                        "data": [r["hires"] for r in monthly],
                        "color": "#0072B2",
                    },
                    {
                        "label": _("Leavers"),
                        "data": [r["leavers"] for r in monthly],
                        "color": "#D55E00",
                    },
                ],
                {
                    "label": _("Headcount (month end)"),
                    "data": [r["headcount"] for r in monthly],
                    "color": "#009E73",
                },
                bar_title=_("People per month"),
                line_title=_("Headcount"),
            ),
            monthly_headers=[_("Month"), _("Hires"), _("Leavers"), _("Headcount (month end)")],
            department_headers=[_("Department"), _("Headcount")],
            can_import=access.can(request.user, "org.import"),
            department_rows=[(d["department"], d["headcount"]) for d in by_department],
            department_chart=charts.bar_chart(
                [d["department"] for d in by_department],
                [{"label": _("Headcount"), "data": [d["headcount"] for d in by_department]}],
                horizontal=True,
                y_title=_("Number of people"),
            ),
        )
    return render(request, "core/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Load balancer probe: answers 200 only when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; remembered on the account (signed in) and in a cookie (always)."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.HTTPS,
        httponly=True,
    )
    return response


@login_required
def me(request: HttpRequest) -> HttpResponse:
    employee = access.own_employee(request.user)
    return render(
        request,
        "core/me.html",
        {
            "employee": employee,
            "role_labels": [Role(r).label for r in sorted(access.roles_of(request.user))],
        },
    )


@access.require("core.view_audit_log")
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditLog.objects.all()
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "action": action})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)

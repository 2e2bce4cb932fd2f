from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kizuna.core import access
from kizuna.core.models import AuditLog
from kizuna.org import stats
from kizuna.org.models import Organization


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"employee": access.own_employee(request.user)}
    if access.can(request.user, "org.view_dashboard"):
        today = timezone.localdate()
        org = Organization.current()
        employees = access.visible_employees(request.user)
        context.update(
            org=org,
            summary=stats.headcount_summary(employees, today, org.fiscal_year_start_month),
            monthly=stats.monthly_movements(employees, today, months=24),
            by_department=stats.headcount_by_top_department(
                request.user, today, request.LANGUAGE_CODE
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
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
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
        {"employee": employee, "roles": access.roles_of(request.user)},
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

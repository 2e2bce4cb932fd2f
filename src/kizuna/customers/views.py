"""Customer success pages: portfolio, at-risk accounts, renewals, the account directory
and the account page. Thin: access from ``core.access``, numbers from ``pages`` and
``account_page``, the one change (a CSM assessment) from ``health``.

Health settings, the back-test and the churn model are in ``views_health``, feature
definitions in ``views_features`` and imports in ``views_imports``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kizuna.core import access
from kizuna.customers import account_page, pages
from kizuna.customers.forms import AssessmentForm, PeriodForm, PortfolioFilterForm
from kizuna.customers.models import Account

PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without ``names`` (for sort and page links)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@access.require("customers.view_portfolio")
def portfolio(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filter_form = PortfolioFilterForm(request.GET or None)
    filters = filter_form.filters()
    sort = request.GET.get("sort", "name")
    if sort not in pages.SORTS:
        sort = "name"
    data = pages.portfolio(today, filters, sort)
    rows = data.pop("frame")
    page = Paginator(range(rows.height), PAGE_SIZE).get_page(request.GET.get("page"))
    table = pages.table_rows(rows.slice(page.start_index() - 1, PAGE_SIZE), today)
    context: dict[str, Any] = {
        **data,
        "today": today,
        "filter_form": filter_form,
        "filtered": bool(filters),
        "sort": sort,
        "page": page,
        "table": table,
        "sort_query": _query_without(request, "sort", "page", "part"),
        "can_import": access.can(request.user, "customers.import"),
        "owns_accounts": Account.objects.filter(csm_owner=request.user.pk).exists(),
    }
    if _is_htmx(request) and request.GET.get("part") == "accounts":
        return render(request, "customers/portfolio.html#accounts", context)
    default_start, default_end = PeriodForm.default_period(today)
    period_form = PeriodForm(
        request.GET if "start" in request.GET else None,
        initial={"start": default_start, "end": default_end},
    )
    start, end = period_form.period(today)
    context.update(
        period_form=period_form,
        start=start,
        end=end,
        revenue=pages.revenue_figures(start, end),
    )
    return render(request, "customers/portfolio.html", context)


@access.require("customers.view_portfolio")
def at_risk(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filter_form = PortfolioFilterForm(request.GET or None)
    filter_form.fields.pop("band")
    filters = filter_form.filters()
    filters.pop("band", None)
    try:
        threshold = float(request.GET.get("threshold", pages.DEFAULT_RISK_THRESHOLD))
    except ValueError:
        threshold = pages.DEFAULT_RISK_THRESHOLD
    if threshold not in pages.RISK_THRESHOLDS:
        threshold = pages.DEFAULT_RISK_THRESHOLD
    sort = request.GET.get("sort", "")
    if sort and sort not in pages.SORTS:
        sort = ""
    data = pages.at_risk(today, threshold, filters, sort)
    return render(
        request,
        "customers/at_risk.html",
        {
            **data,
            "today": today,
            "filter_form": filter_form,
            "threshold": threshold,
            "thresholds": pages.RISK_THRESHOLDS,
            "sort": sort or ("risk" if data["gate"].usable else "score"),
            "sort_query": _query_without(request, "sort"),
        },
    )


@access.require("customers.view_portfolio")
def renewals(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filter_form = PortfolioFilterForm(request.GET or None)
    for name in ("segment", "stage"):
        filter_form.fields.pop(name)
    filters = filter_form.filters()
    try:
        horizon = int(request.GET.get("days", "90"))
    except ValueError:
        horizon = 90
    if horizon not in pages.HORIZONS:
        horizon = 90
    data = pages.renewals(today, horizon, filters)
    return render(
        request,
        "customers/renewals.html",
        {
            **data,
            "today": today,
            "filter_form": filter_form,
            "horizon": horizon,
            "horizons": pages.HORIZONS,
            "filtered": bool(filters),
        },
    )


@access.require("customers.view_accounts")
def accounts(request: HttpRequest) -> HttpResponse:
    """Every account, searchable: the way in for support agents and marketers."""
    query = request.GET.get("q", "").strip()[:100]
    qs = Account.objects.select_related("csm_owner")
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(name_kana__icontains=query)
            | Q(external_id__icontains=query)
            | Q(industry__icontains=query)
        )
    page = Paginator(qs.order_by("name_kana", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "query": query,
        "can_import": access.can(request.user, "customers.import"),
        "any_accounts": bool(query) or page.paginator.count > 0,
    }
    template = "customers/accounts.html#results" if _is_htmx(request) else "customers/accounts.html"
    return render(request, template, context)


def _account_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    today = timezone.localdate()
    revenue_visible = access.can(request.user, "customers.view_portfolio")
    context: dict[str, Any] = {
        "account": account,
        "today": today,
        "header": account_page.header(account, today),
        "revenue_visible": revenue_visible,
        "can_assess": access.can(request.user, "customers.assess"),
        "contacts": list(account.contacts.all()),
        "health": account_page.health_now(account, today),
        "history": account_page.health_history(account, today),
        "usage": account_page.usage(account, today, compute=False),
        "assessments": account_page.assessments(account),
    }
    if revenue_visible:
        context["subscriptions"] = account_page.subscriptions(account, today)
        context["churn"] = account_page.churn_risk(account)
    return context


@access.require("customers.view_accounts")
def account(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_object_or_404(Account.objects.select_related("csm_owner", "parent"), pk=pk)
    if _is_htmx(request) and request.GET.get("part") == "usage":
        usage = account_page.usage(obj, timezone.localdate())
        return render(request, "customers/account.html#usage", {"account": obj, "usage": usage})
    context = _account_context(request, obj)
    context["form"] = AssessmentForm()
    return render(request, "customers/account.html", context)


@require_POST
@access.require("customers.assess")
def assess(request: HttpRequest, pk: int) -> HttpResponse:
    from kizuna.customers import health

    obj = get_object_or_404(Account.objects.select_related("csm_owner", "parent"), pk=pk)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            health.record_assessment(
                obj, form.cleaned_data["rating"], form.cleaned_data["note"], by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "Your assessment was saved. It counts in the health score from the next "
                    "daily update."
                ),
            )
            return redirect("customers:account", pk=obj.pk)
    context = _account_context(request, obj)
    context["form"] = form
    return render(request, "customers/account.html", context, status=400)

"""The HR KPI dashboard and the leaver list. Thin: figures from ``metrics``, ``enps`` and
``compose``; who sees which part of the company from ``pages.viewer_for``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kizuna.core import access
from kizuna.org.models import Department
from kizuna.practices.hrkpi import compose, enps, metrics, pages, trends


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["period"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = pages.period_choices(today)
        field.error_messages["invalid_choice"] = _(
            "Choose a fiscal year, quarter or month from the list."
        )

    def chosen(self, today: dt.date) -> metrics.Period:
        """The period asked for, cut at today; the current fiscal year to date by default
        (also when the input is not valid: the error is shown next to the picker)."""
        default = metrics.period_containing(metrics.YEAR, today).until(today)
        if not self.is_bound or not self.is_valid() or not self.cleaned_data["period"]:
            return default
        return metrics.parse_period(self.cleaned_data["period"]).until(today)


def _no_scope(request: HttpRequest) -> HttpResponse:
    return render(request, "hrkpi/no_scope.html", status=403)


@access.require("hrkpi.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer = pages.viewer_for(request.user)
    if viewer is None:
        return _no_scope(request)
    today = timezone.localdate()
    form = PeriodForm(request.GET if "period" in request.GET else None, today=today)
    chosen = form.chosen(today)
    parent = _parent(request, viewer)
    staff = metrics.Staff.load()
    # drilled into a department: its subtree is what the cards, trends and cohorts show
    roots = [parent] if parent is not None else viewer.roots
    total = staff.turnover(chosen.start, chosen.end, metrics.scope_ids(roots))
    months = metrics.previous_periods(metrics.MONTH, chosen, 24)
    quarters = metrics.previous_periods(metrics.QUARTER, chosen, 8)
    monthly = [
        (p.until(today), t)
        for p, t in zip(months, _series(staff, months, roots, today), strict=True)
    ]
    quarterly = [
        (p.until(today), t)
        for p, t in zip(quarters, _series(staff, quarters, roots, today), strict=True)
    ]
    # a manager heading one department sees its children straight away
    below = parent
    if below is None and viewer.roots is not None and len(viewer.roots) == 1:
        below = viewer.roots[0]
    breakdown = metrics.department_breakdown(
        chosen.start, chosen.end, below, viewer.roots, staff=staff
    )
    enps_view = enps.enps_view(request.user, parent=parent, request=request)
    as_of = min(chosen.end, today)
    # the practices' figures follow the drill-down like the turnover cards do
    people = pages.people_of(roots)
    context: dict[str, Any] = {
        "viewer": viewer,
        "form": form,
        "period": chosen,
        "cards": pages.turnover_cards(total),
        "total": total,
        "monthly": pages.monthly_trend(monthly),
        "quarterly": pages.quarterly_trend(quarterly),
        "parent": parent,
        "parent_chain": _chain(parent, viewer),
        "breakdown": [
            {
                "department": row.department,
                "name": row.department.display_name(request.LANGUAGE_CODE),
                "direct": row.direct,
                "has_children": row.has_children,
                "headcount": row.turnover.headcount,
                "leavers": row.turnover.leavers,
                "voluntary": row.turnover.voluntary,
                "rate": pages.pct(row.turnover.rate),
                "annualised": pages.pct(row.turnover.annualised),
            }
            for row in breakdown
        ],
        "cohort_tables": [
            (_("After 1 year"), metrics.cohort_retention(1, today, roots, staff=staff)),
            (_("After 3 years"), metrics.cohort_retention(3, today, roots, staff=staff)),
        ],
        "enps": enps_view,
        "enps_chart": _enps_chart(enps_view),
        "composed": compose.composed(chosen.start, chosen.end, as_of, people),
        "practice_trend": trends.practice_trends(months[-trends.MONTHS :], today, people),
        "as_of": as_of,
        "help": pages.HELP,
    }
    return render(request, "hrkpi/dashboard.html", context)


def _series(
    staff: metrics.Staff,
    periods: list[metrics.Period],
    roots: list[Department] | None,
    today: dt.date,
) -> list[metrics.Turnover]:
    ids = metrics.scope_ids(roots)
    return [staff.turnover(p.start, min(p.end, today), ids) for p in periods]


def _parent(request: HttpRequest, viewer: pages.Viewer) -> Department | None:
    raw = request.GET.get("department", "")
    if not raw.isdigit():
        return None
    department = Department.objects.filter(pk=int(raw)).first()
    if department is None or not viewer.allows(department):
        raise Http404
    return department


def _chain(parent: Department | None, viewer: pages.Viewer) -> list[Department]:
    """The breadcrumb from the viewer's top level down to ``parent``."""
    chain: list[Department] = []
    node = parent
    # the company root is the "top level" itself, not a step of the path
    while node is not None and node.parent_id is not None and viewer.allows(node):
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def _enps_chart(view: enps.EnpsView) -> dict[str, Any] | None:
    if not view.waves:
        return None
    labels = [w.survey.name for w in view.waves]
    spec = pages.line_chart(
        labels,
        [
            {"label": _("eNPS"), "data": [None if w.suppressed else w.enps for w in view.waves]},
            {
                "label": _("95% interval, low"),
                "data": [None if w.suppressed else w.low for w in view.waves],
                "borderDash": [4, 4],
            },
            {
                "label": _("95% interval, high"),
                "data": [None if w.suppressed else w.high for w in view.waves],
                "borderDash": [4, 4],
            },
        ],
        _("eNPS (−100 to 100)"),
    )
    rows = [
        [
            w.survey.name,
            pages.score(w.enps),
            "—" if w.suppressed else f"{pages.score(w.low)} – {pages.score(w.high)}",
            w.reason_text if w.suppressed else pages.num(w.respondents or 0),
        ]
        for w in view.waves
    ]
    headers = [_("Survey"), _("eNPS"), _("95% interval"), _("Respondents")]
    return {"spec": spec, "rows": rows, "headers": headers}


@access.require("hrkpi.view")
def leavers(request: HttpRequest, department_id: int) -> HttpResponse:
    """Who left a department's subtree in the period: names and dates for the viewer's
    scope (managers: their subtree, 404 elsewhere); the reason for HR and admins only."""
    viewer = pages.viewer_for(request.user)
    if viewer is None:
        return _no_scope(request)
    department = get_object_or_404(Department, pk=department_id)
    if not viewer.allows(department):
        raise Http404
    today = timezone.localdate()
    form = PeriodForm(request.GET if "period" in request.GET else None, today=today)
    chosen = form.chosen(today)
    staff = metrics.Staff.load()
    people = metrics.leavers(chosen.start, chosen.end, department, viewer.roots, staff=staff)
    figure = staff.turnover(
        chosen.start,
        chosen.end,
        (metrics.scope_ids([department]) or frozenset())
        & (metrics.scope_ids(viewer.roots) or frozenset())
        if viewer.roots is not None
        else metrics.scope_ids([department]),
    )
    return render(
        request,
        "hrkpi/leavers.html",
        {
            "viewer": viewer,
            "department": department,
            "name": department.display_name(request.LANGUAGE_CODE),
            "form": form,
            "period": chosen,
            "people": people,
            "figure": figure,
            "rate": pages.pct(figure.rate),
            "base": pages.turnover_base(figure),
            "help": pages.HELP,
        },
    )

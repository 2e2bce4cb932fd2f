"""REST endpoints of the hrkpi app (django-ninja router, mounted by ``kizuna.api`` at
``/api/hr-kpis``): the KPIs of one fiscal period as JSON, scoped like the dashboard
(managers: their subtree). Dates are ISO 8601; every ratio is numerator, denominator and
rate (percent, null when the denominator is 0)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from kizuna.core import access
from kizuna.org.models import Department
from kizuna.practices.hrkpi import compose, enps, metrics, pages

router = Router(tags=["hrkpi"])


class KpiQuery(Schema):
    period: str = ""  # "2026" (fiscal year), "2026-Q1", "2026-M01"; default: this FY to date
    department: int | None = None  # break down the children of this department


def _viewer(request: HttpRequest) -> pages.Viewer:
    if not access.can(request.user, "hrkpi.view"):
        raise HttpError(403, "forbidden")
    viewer = pages.viewer_for(request.user)
    if viewer is None:
        raise HttpError(403, "no department in your scope")
    return viewer


@router.get("/", url_name="hr_kpis")
def hr_kpis(request: HttpRequest, query: Query[KpiQuery]) -> dict[str, Any]:
    """Turnover, retention, department breakdown, hire cohorts, eNPS per wave (guarded) and
    the practices apps' KPIs for the period, within the caller's scope."""
    viewer = _viewer(request)
    today = timezone.localdate()
    try:
        chosen = (metrics.parse_period(query.period) if query.period else None) or (
            metrics.period_containing(metrics.YEAR, today)
        )
    except ValueError:
        raise HttpError(
            422, "period: use a fiscal year (2026), quarter (2026-Q1) or month (2026-M01)"
        ) from None
    chosen = chosen.until(today)
    parent = None
    if query.department is not None:
        parent = Department.objects.filter(pk=query.department).first()
        if parent is None or not viewer.allows(parent):
            raise HttpError(404, "department: not found in your scope")
    staff = metrics.Staff.load()
    total = staff.turnover(chosen.start, chosen.end, metrics.scope_ids(viewer.roots))
    below = parent
    if below is None and viewer.roots is not None and len(viewer.roots) == 1:
        below = viewer.roots[0]  # a manager heading one department: its children
    breakdown = metrics.department_breakdown(
        chosen.start, chosen.end, below, viewer.roots, staff=staff
    )
    enps_view = enps.enps_view(request.user, parent=parent, request=request)
    as_of = min(chosen.end, today)
    return {
        "period": {
            "kind": chosen.kind,
            "key": chosen.key,
            "fiscal_year": chosen.fiscal_year,
            "start": chosen.start.isoformat(),
            "end": chosen.end.isoformat(),
            "to_date": chosen.cut,
        },
        "scope": {
            "company_wide": viewer.company_wide,
            "departments": [d.pk for d in viewer.roots or []],
        },
        "turnover": pages.turnover_json(total),
        "departments": [
            {
                "department_id": row.department.pk,
                "code": row.department.code,
                "name": row.department.name,
                "own_members_only": row.direct,
                **pages.turnover_json(row.turnover),
            }
            for row in breakdown
        ],
        "cohorts": {
            str(years): [
                {"fiscal_year": c.fiscal_year, **(pages.ratio_json(c.ratio) or {})}
                for c in metrics.cohort_retention(years, today, viewer.roots, staff=staff)
            ]
            for years in (1, 3)
        },
        "enps": {
            "refused": enps_view.refused or None,
            "waves": [
                {
                    "survey_id": w.survey.pk,
                    "name": w.survey.name,
                    "closes_on": w.survey.closes_on.isoformat() if w.survey.closes_on else None,
                    "suppressed": w.suppressed,
                    "reason": w.reason_text or None,
                    "enps": w.enps,
                    "low": w.low,
                    "high": w.high,
                    "respondents": w.respondents,
                }
                for w in enps_view.waves
            ],
            "departments": [
                {
                    "department_id": d.department.pk,
                    "suppressed": d.suppressed,
                    "reason": d.reason_text or None,
                    "enps": d.enps,
                    "low": d.low,
                    "high": d.high,
                    "respondents": d.respondents,
                }
                for d in enps_view.departments
            ],
        },
        "practices": [
            {
                "key": kpi.key,
                "available": kpi.available and not kpi.error,
                "figures": {f.key: pages.ratio_json(f.ratio) for f in kpi.figures},
                "policies": [
                    {
                        "policy": r["policy"],
                        "all": pages.ratio_json(r["all"]),
                        "managers": pages.ratio_json(r["managers"]),
                        "others": pages.ratio_json(r["others"]),
                    }
                    for r in kpi.rows
                ],
            }
            for kpi in compose.composed(chosen.start, chosen.end, as_of, viewer.people())
        ],
    }

"""Survey results pages and exports. Thin: numbers from ``report``/``exports`` (which pass
the guard), access from ``core.access``; a refusal by the guard is shown as a message."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kizuna.core import access, charts
from kizuna.engagement import exports, guard, report
from kizuna.surveys.models import Survey, SurveyStatus

BREAKDOWNS = (
    "department",
    "team",
    "tenure",
    "job_level",
    "location",
    "employment_type",
    "gender",
    "age",
    "manager",
)
# Breakdowns and filters for users with ``org.view_sensitive`` (HR, admins) only.
SENSITIVE_BREAKDOWNS = ("performance",)
PERFORMANCE_BANDS = ("S", "A", "B", "C", "D")


def _breakdowns_for(request: HttpRequest) -> tuple[str, ...]:
    if report.may_use_sensitive(request.user):
        return BREAKDOWNS + SENSITIVE_BREAKDOWNS
    return BREAKDOWNS


def _band_filter(request: HttpRequest) -> str | None:
    """The performance band filter (HR and admins only; ignored for anyone else)."""
    value = request.GET.get("performance", "")
    if value in PERFORMANCE_BANDS and report.may_use_sensitive(request.user):
        return value
    return None


def _closed_surveys() -> Any:
    return Survey.objects.filter(status=SurveyStatus.CLOSED).order_by("-closes_on", "-pk")


@access.require("engagement.view_results")
def index(request: HttpRequest) -> HttpResponse:
    latest = _closed_surveys().first()
    if latest is not None:
        return redirect("engagement:results", survey_id=latest.pk)
    return render(request, "engagement/empty.html")


def _department_param(request: HttpRequest) -> int | None:
    value = request.GET.get("department", "")
    return int(value) if value.isdigit() else None


@access.require("engagement.view_results")
def results(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    breakdowns = _breakdowns_for(request)
    by = request.GET.get("by", "department")
    if by not in breakdowns:
        by = "department"
    department_id = _department_param(request)
    band = _band_filter(request)
    context: dict[str, Any] = {
        "survey": survey,
        "surveys": _closed_surveys()[:24],
        "by": by,
        "breakdowns": [(b, _breakdown_label(b)) for b in breakdowns],
        "bands": PERFORMANCE_BANDS if report.may_use_sensitive(request.user) else (),
        "band": band or "",
        "department_id": department_id,
        "departments": access.visible_departments(request.user).order_by("path"),
        "can_plan": access.can(request.user, "improvement.manage")
        if "improvement.manage" in access.CAPABILITIES
        else False,
    }
    try:
        data = report.build(
            survey,
            request.user,
            by=[by],
            department_id=department_id,
            language=request.LANGUAGE_CODE,
            request=request,
            filters={"performance": band} if band else None,
        )
    except guard.Refused as refused:
        context["refused"] = refused.message
        return render(request, "engagement/results.html", context, status=200)
    labels: dict[str, str] = {"engagement_index": _("Engagement"), "enps": "eNPS"}
    labels.update({f"{f['code']}__favourable": f["name"] for f in data["factors"]})
    plan_attribute = {"team": "department", "tenure": "tenure_band", "age": "age_band"}.get(by, by)
    context.update(
        data=data,
        charts=_charts(data),
        measure_labels=labels,
        plan_url=_plan_url(),
        plan_attribute=plan_attribute,
    )
    return render(request, "engagement/results.html", context)


def _plan_url() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("improvement:plan_create")
    except NoReverseMatch:
        return ""


def _breakdown_label(name: str) -> str:
    labels = {
        "department": _("Department (tree)"),
        "team": _("Team"),
        "tenure": _("Tenure"),
        "job_level": _("Job level"),
        "location": _("Location"),
        "employment_type": _("Employment type"),
        "gender": _("Gender"),
        "age": _("Age band"),
        "manager": _("Manager"),
        "performance": _("Performance band"),
    }
    return labels.get(name, name)


def _charts(data: dict[str, Any]) -> dict[str, Any]:
    trend = list(data["trend"])
    labels = [
        date_format(p["opens_on"], "YEAR_MONTH_FORMAT") if p.get("opens_on") else p["name"]
        for p in trend
    ]
    out: dict[str, Any] = {}
    if len(trend) > 1:
        out["trend"] = {
            "type": "line",
            "data": {
                "labels": labels,
                "datasets": [
                    {
                        "label": _("Engagement index"),
                        "data": [p.get("engagement_index") for p in trend],
                        "color": "#0072B2",
                        "spanGaps": False,
                        "tension": 0.2,
                    },
                ],
            },
            "options": {
                "scales": {
                    "y": {
                        "min": 0,
                        "max": 100,
                        "title": {"display": True, "text": _("Index (0–100)")},
                    }
                }
            },
        }
        out["trend_rows"] = [
            (
                label,
                "—" if p.get("engagement_index") is None else f"{p['engagement_index']:.1f}",
                _change_text(p),
            )
            for label, p in zip(labels, trend, strict=True)
        ]
    factors = [f for f in data["factors"] if f.get("favourable") is not None]
    if factors:
        out["factors"] = charts.bar_chart(
            [f["name"] for f in factors],
            [
                {
                    "label": _("Favourable %"),
                    "data": [round(f["favourable"], 1) for f in factors],
                    "color": "#009E73",
                }
            ],
            horizontal=True,
            y_title=_("Favourable %"),
        )
        out["factors"]["options"]["scales"]["x"]["max"] = 100
        out["factor_rows"] = [
            (f["name"], f"{f['favourable']:.1f}%", f"{f['score']:.1f}" if f.get("score") else "—")
            for f in factors
        ]
    categories = data["categories"]
    if categories.get("engaged") is not None:
        out["categories"] = charts.bar_chart(
            [_("Kizuna (this survey)"), _("Gallup: Japan"), _("Gallup: United States")],
            [
                {
                    "label": _("Engaged"),
                    "data": [
                        round(categories["engaged"], 1),
                        sum(categories["gallup"]["ja"]) / 2,
                        sum(categories["gallup"]["us"]) / 2,
                    ],
                    "color": "#009E73",
                },
            ],
            horizontal=True,
            y_title=_("Engaged %"),
        )
    drivers = data.get("drivers") or {}
    if drivers.get("available"):
        out["drivers"] = {
            "type": "scatter",
            "data": {
                "datasets": [
                    {
                        "label": row["name"],
                        "data": [{"x": row["share"], "y": row["favourable"]}],
                        "pointRadius": 7,
                    }
                    for row in drivers["rows"]
                ]
            },
            "options": {
                "scales": {
                    "x": {"title": {"display": True, "text": _("Importance (% of R²)")}, "min": 0},
                    "y": {
                        "title": {"display": True, "text": _("Favourable %")},
                        "min": 0,
                        "max": 100,
                    },
                }
            },
        }
    return out


def _change_text(point: dict[str, Any]) -> str:
    change = (point.get("change") or {}).get("engagement_index")
    if not change or change.get("diff") is None:
        return ""
    text = f"{change['diff']:+.1f}"
    if change.get("significant"):
        text += " " + _("(significant, p < 0.05)")
    return text


@access.require("engagement.view_results")
def export(request: HttpRequest, survey_id: int, fmt: str) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    if fmt not in ("csv", "xlsx", "pdf"):
        raise Http404
    by = [b for b in request.GET.get("by", "department").split(",") if b in BREAKDOWNS][:2]
    try:
        result = exports.results_groups(
            survey,
            request.user,
            by,
            department_id=_department_param(request),
            request=request,
            what=f"export_{fmt}",
        )
    except guard.Refused as refused:
        return render(request, "engagement/refused.html", {"message": refused.message}, status=403)
    filename = f"kizuna-results-{survey.pk}-{'-'.join(by) or 'company'}.{fmt}"
    if fmt == "csv":
        body: bytes = ("\ufeff" + exports.to_csv(result)).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.to_xlsx(result)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.to_pdf(result, survey.name)
        content_type = "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

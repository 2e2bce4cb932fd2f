"""eNPS per closed survey wave for the HR KPI dashboard, through the engagement code.

Nothing here computes eNPS: the respondent table (``engagement.scoring.respondent_table``),
the group figures with their 95% interval (``scoring.group_scores`` → ``stats.enps_arrays``)
and every visibility decision (``engagement.guard``) are the survey results' own, with the
viewer's scope from ``engagement.report.scope_for`` (managers: their subtree; executives:
company level, no breakdown). Each wave shown is written to the audit log like any results
view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from kizuna.engagement import data, guard, report, scoring
from kizuna.org.models import Department
from kizuna.surveys.models import FactorKind, Survey, SurveyStatus


@dataclass
class WaveEnps:
    survey: Survey
    suppressed: bool
    reason_text: str = ""
    enps: float | None = None
    low: float | None = None
    high: float | None = None
    respondents: int | None = None  # who answered the eNPS question


@dataclass
class DepartmentEnps:
    department: Department
    suppressed: bool
    reason_text: str = ""
    enps: float | None = None
    low: float | None = None
    high: float | None = None
    respondents: int | None = None
    has_children: bool = False


@dataclass
class EnpsView:
    waves: list[WaveEnps] = field(default_factory=list)
    departments: list[DepartmentEnps] = field(default_factory=list)
    breakdown_survey: Survey | None = None
    breakdowns: bool = False
    refused: str = ""  # why nothing can be shown to this viewer (no scope)


def enps_surveys(limit: int = 12) -> list[Survey]:
    """Closed surveys that asked an eNPS (0–10) question, oldest first (at most ``limit``)."""
    surveys = (
        Survey.objects.filter(
            status=SurveyStatus.CLOSED,
            items__question__factor__kind=FactorKind.ENPS,
            items__question__kind="scale",
        )
        .distinct()
        .order_by("-closes_on", "-pk")
    )
    return list(reversed(list(surveys[:limit])))


def _row_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "enps": row.get("enps"),
        "low": row.get("enps_low"),
        "high": row.get("enps_high"),
        "respondents": row.get("enps_n"),
    }


def enps_view(
    user: Any,
    *,
    parent: Department | None = None,
    request: Any = None,
    limit: int = 12,
) -> EnpsView:
    """The company (or scope) eNPS per wave, and for the latest wave the breakdown by the
    children of ``parent`` (top level when ``None``), hidden groups as the guard says."""
    out = EnpsView()
    try:
        scope = report.scope_for(user)
    except guard.Refused as refused:
        out.refused = refused.message
        return out
    surveys = enps_surveys(limit)
    if not surveys:
        return out
    frames = data.load([s.pk for s in surveys])
    respondents = scoring.respondent_table(frames.answers, frames.questions, frames.responses)
    scoped_latest: pl.DataFrame | None = None
    for survey in surveys:
        policy = guard.Policy.for_survey(survey)
        guard.audit_view(user, survey, "hrkpi_enps", scope.filters, [], request=request)
        current = respondents.filter(pl.col("survey_id") == survey.pk)
        try:
            scoped = report.scoped_respondents(current, scope, policy)
        except guard.Refused as refused:
            out.waves.append(WaveEnps(survey, True, refused.message))
            continue
        table = scoring.group_scores(scoped, [], [])
        row = report.plain_rows(guard.guard_table(table, scoped, [], policy))[0]
        if row["suppressed"]:
            out.waves.append(WaveEnps(survey, True, guard.reason_text(row.get("reason"), policy)))
            continue
        out.waves.append(WaveEnps(survey, False, "", **_row_values(row)))
        scoped_latest = scoped
    out.breakdowns = scope.breakdowns
    latest = out.waves[-1] if out.waves else None
    if (
        scope.breakdowns
        and latest is not None
        and not latest.suppressed
        and scoped_latest is not None
    ):
        out.breakdown_survey = latest.survey
        out.departments = _departments(scoped_latest, latest.survey, scope, parent)
    return out


def _departments(
    scoped: pl.DataFrame, survey: Survey, scope: report.Scope, parent: Department | None
) -> list[DepartmentEnps]:
    """Like the results page's department tree: the guard judges every department of the
    scope at once (so this view and the heatmap hide the same groups), then the rows for
    the children of ``parent`` are shown."""
    policy = guard.Policy.for_survey(survey)
    departments = Department.objects.all().order_by("path")
    subtree = scope.filters.get("subtree")
    if subtree is not None:
        root = Department.objects.get(pk=int(str(subtree)))
        departments = departments.filter(path__startswith=root.path)
    listed = list(departments)
    visibility = guard.guard_tree(scoped, [(d.pk, d.path, d.parent_id) for d in listed], policy)
    table = scoring.subtree_scores(scoped, [])
    guarded = guard.apply(
        table, visibility.select("department_id", "visible", "reason"), ["department_id"]
    )
    by_id = {row["department_id"]: row for row in report.plain_rows(guarded)}
    verdicts = {row["department_id"]: row for row in report.plain_rows(visibility)}
    if parent is None:
        top_depth = min((d.depth for d in listed), default=0)
        # the company's top-level departments, or the children of the viewer's subtree
        shown = [d for d in listed if d.depth == top_depth + 1]
    else:
        shown = [d for d in listed if d.parent_id == parent.pk]
    parents = {d.parent_id for d in listed}
    rows = []
    for dept in shown:
        row = by_id.get(dept.pk)
        suppressed = row is None or row["suppressed"]
        reason = (row or {}).get("reason") or verdicts.get(dept.pk, {}).get("reason")
        if suppressed:
            rows.append(
                DepartmentEnps(
                    dept,
                    True,
                    guard.reason_text(reason or guard.TOO_FEW, policy),
                    has_children=dept.pk in parents,
                )
            )
        else:
            assert row is not None
            rows.append(
                DepartmentEnps(dept, False, "", **_row_values(row), has_children=dept.pk in parents)
            )
    return rows

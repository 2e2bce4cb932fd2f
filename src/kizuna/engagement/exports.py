"""Guarded group results for exports, the CLI and the API: one shape everywhere.

``groups`` lists every group of the requested breakdown with its key, ``respondents``
(null when suppressed), ``suppressed`` and the scores (all null when suppressed). The
numbers come from ``scoring`` and pass ``guard`` exactly as on the results page, and every
export is written to the audit log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from kizuna.engagement import data, guard, report, scoring
from kizuna.org.models import Department
from kizuna.surveys.models import Survey

SCORE_COLUMNS = (
    "engagement_index",
    "engagement_favourable",
    "enps",
    "enps_low",
    "enps_high",
    "engaged",
    "not_engaged",
    "actively_disengaged",
)


def results_groups(
    survey: Survey,
    user: Any,
    by: Sequence[str],
    *,
    department_id: int | None = None,
    request: Any = None,
    what: str = "export",
) -> dict[str, Any]:
    policy = guard.Policy.for_survey(survey)
    guard.require_closed(survey)
    scope = report.scope_for(user, department_id)
    columns = report.resolve_by(by, user)
    if columns and not scope.breakdowns:
        raise guard.Refused("no_breakdowns", _("Your role sees company-level results only."))
    guard.audit_view(user, survey, what, scope.filters, columns, request=request)
    frames = data.load([survey.pk])
    respondents = scoring.respondent_table(frames.answers, frames.questions, frames.responses)
    scoped = report.scoped_respondents(respondents, scope, policy)
    codes = [
        f["code"]
        for f in report.factors("en")
        if f["kind"] != "enps" and f"{f['code']}__sum" in scoped.columns
    ]
    measures = [*SCORE_COLUMNS, *[f"{c}__favourable" for c in codes]]
    if columns == ["department_tree"]:
        groups = _tree_groups(scoped, scope, policy, codes, measures)
    else:
        table = scoring.group_scores(scoped, columns, codes)
        guarded = guard.guard_table(table, scoped, columns, policy)
        groups = [
            {
                "key": {c: report.plain_value(row[c]) for c in columns},
                "respondents": row.get("respondents"),
                "suppressed": row["suppressed"],
                "reason": row.get("reason"),
                "scores": {m: _round(row.get(m)) for m in measures},
            }
            for row in report.plain_rows(guarded)
        ]
        if "department_id" in columns:
            names = dict(Department.objects.values_list("pk", "name"))
            for group in groups:
                key = group["key"].get("department_id")
                group["key"]["department"] = names.get(key) if key is not None else None
    return {
        "survey": {"id": survey.pk, "name": survey.name, "wave": survey.wave},
        "by": list(by),
        "policy": {"k": policy.k, "comment_k": policy.comment_k},
        "scope": scope.filters,
        "measures": measures,
        "groups": groups,
    }


def _round(value: Any) -> Any:
    return round(value, 1) if isinstance(value, float) else value


def _tree_groups(
    scoped: pl.DataFrame,
    scope: report.Scope,
    policy: guard.Policy,
    codes: list[str],
    measures: list[str],
) -> list[dict[str, Any]]:
    departments = Department.objects.order_by("path")
    subtree = scope.filters.get("subtree")
    if subtree is not None:
        root = Department.objects.get(pk=int(str(subtree)))
        departments = departments.filter(path__startswith=root.path)
    listed = list(departments)
    visibility = guard.guard_tree(scoped, [(d.pk, d.path, d.parent_id) for d in listed], policy)
    guarded = guard.apply(
        scoring.subtree_scores(scoped, codes),
        visibility.select("department_id", "visible", "reason"),
        ["department_id"],
    )
    rows = {row["department_id"]: row for row in report.plain_rows(guarded)}
    out = []
    for dept in listed:
        row = rows.get(dept.pk)
        suppressed = row is None or row["suppressed"]
        out.append(
            {
                "key": {"department_id": dept.pk, "department": dept.name, "code": dept.code},
                "respondents": None if suppressed else row.get("respondents"),  # type: ignore[union-attr]
                "suppressed": suppressed,
                "reason": (row or {}).get("reason") if suppressed else None,
                "scores": {m: None if suppressed else _round(row.get(m)) for m in measures},  # type: ignore[union-attr]
            }
        )
    return out


def to_csv(result: dict[str, Any]) -> str:
    """One row per group: key columns, respondents, suppressed, then the scores; hidden
    values are empty cells next to suppressed=true (never 0)."""
    buffer = io.StringIO()
    keys = list(result["groups"][0]["key"]) if result["groups"] else []
    writer = csv.writer(buffer)
    writer.writerow([*keys, "respondents", "suppressed", "reason", *result["measures"]])
    for group in result["groups"]:
        writer.writerow(
            [
                *[group["key"].get(k) for k in keys],
                "" if group["respondents"] is None else group["respondents"],
                "true" if group["suppressed"] else "false",
                group.get("reason") or "",
                *[
                    "" if group["scores"][m] is None else group["scores"][m]
                    for m in result["measures"]
                ],
            ]
        )
    return buffer.getvalue()


def to_xlsx(result: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "results"
    rows = list(csv.reader(io.StringIO(to_csv(result))))
    for row in rows:
        sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: str) -> Any:
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        return value


def to_pdf(result: dict[str, Any], title: str) -> bytes:
    """A printable table with a Japanese font built into ReportLab (HeiseiKakuGo-W5: an
    Adobe CID font, so nothing is embedded or downloaded)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "HeiseiKakuGo-W5"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title)
    keys = list(result["groups"][0]["key"]) if result["groups"] else []
    shown = [m for m in result["measures"] if m in ("engagement_index", "enps")] + [
        m for m in result["measures"] if m.endswith("__favourable")
    ][:8]
    header = [*keys, _("Respondents"), *[_measure_label(m) for m in shown]]
    body = [header]
    for group in result["groups"]:
        body.append(
            [
                *[
                    str(group["key"].get(k) if group["key"].get(k) is not None else "—")
                    for k in keys
                ],
                "—" if group["respondents"] is None else str(group["respondents"]),
                *[
                    "—" if group["scores"][m] is None else f"{group['scores'][m]:.0f}"
                    for m in shown
                ],
            ]
        )
    table = Table(body, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7f0fa")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d7de")),
            ]
        )
    )
    note = _(
        "Groups with fewer than %(k)s respondents are hidden (—), as are groups whose values "
        "could otherwise be computed by subtraction."
    ) % {"k": result["policy"]["k"]}
    doc.build(
        [Paragraph(title, styles["Title"]), Paragraph(note, styles["Normal"]), Spacer(1, 8), table]
    )
    return buffer.getvalue()


def _measure_label(measure: str) -> str:
    if measure == "engagement_index":
        return _("Engagement")
    if measure == "enps":
        return "eNPS"
    code = measure.split("__")[0]
    from django.utils.translation import get_language

    names = {f["code"]: f["name"] for f in report.factors(get_language() or "ja")}
    return names.get(code, code)

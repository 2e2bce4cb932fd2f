"""Survey results as people see them: every number here has passed the anonymity guard.

``build`` assembles the results page (and the API/exports) from three layers written once:
``data`` loads the wave(s) as polars frames, ``scoring`` aggregates answers per respondent
once and then per group, ``guard`` decides what may be shown. Nothing in this module
computes a statistic itself or shows a number the guard has not seen.

Scope by role (``kizuna.core.access``): HR and admins see the whole company and any
breakdown; managers see the subtrees of the departments they head (as a filter the guard
checks); executives see company-level figures only, without breakdowns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from django.db.models import Q
from django.db.models.fields.json import KT

from kizuna.core import access
from kizuna.engagement import data, drivers, guard, scoring, stats, text
from kizuna.org.models import Department
from kizuna.surveys.models import Factor, FactorKind, Invitation, Survey

# Gallup, State of the Global Workplace: share of engaged employees (the instrument
# differs from ours, so this is a reference, not a benchmark).
GALLUP_ENGAGED = {"ja": (5, 7), "us": (31, 34)}

# What a person may ask to break results down by, and the snapshot column behind it.
ATTRIBUTES: dict[str, str] = {
    "department": "department_tree",
    "team": "department_id",
    "manager": "manager_id",
    "tenure": "tenure_band",
    "job_level": "job_level",
    "location": "location",
    "employment_type": "employment_type",
    "gender": "gender",
    "age": "age_band",
    # sensitive (org.view_sensitive): the views offer it to HR and admins only
    "performance": "performance_band",
}
MIN_DRIVER_RESPONDENTS = 30


@dataclass
class Scope:
    """Who is looking and at what part of the company."""

    company_wide: bool
    filters: dict[str, object] = field(default_factory=dict)
    breakdowns: bool = True
    label: str = ""


def scope_for(user: Any, department_id: int | None = None) -> Scope:
    if access.has_role(user, access.ADMIN, access.HR):
        if department_id:
            return Scope(False, {"subtree": department_id})
        return Scope(True)
    if access.has_role(user, access.MANAGER):
        managed = list(access.managed_departments(user).order_by("depth", "path"))
        if not managed:
            raise guard.Refused("no_scope", str(_no_scope_message()))
        roots = [
            d
            for d in managed
            if not any(d.path.startswith(o.path) and d.pk != o.pk for o in managed)
        ]
        chosen = next((d for d in managed if d.pk == department_id), roots[0])
        return Scope(False, {"subtree": chosen.pk})
    if access.has_role(user, access.EXECUTIVE):
        return Scope(True, breakdowns=False)
    raise guard.Refused("no_scope", str(_no_scope_message()))


def _no_scope_message() -> str:
    from django.utils.translation import gettext as _

    return _("Your role does not include survey results.")


# Attributes only users with ``org.view_sensitive`` (HR, admins) may group or filter by.
SENSITIVE_COLUMNS = frozenset({"performance_band"})
# Attribute filters a results page may add to the viewer's scope (checked by the guard).
FILTERABLE_COLUMNS = frozenset({"performance_band"})


def may_use_sensitive(user: Any) -> bool:
    return user is not None and access.can(user, "org.view_sensitive")


def resolve_by(names: Sequence[str], user: Any = None) -> list[str]:
    """Map user-facing attribute names (or raw column names) to snapshot columns. A
    sensitive attribute needs ``user`` with ``org.view_sensitive``; without a user it is
    refused like an unknown one."""
    columns = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        column = ATTRIBUTES.get(name, name)
        if column not in ATTRIBUTES.values() and not column.startswith("custom_"):
            raise guard.Refused(guard.UNKNOWN_ATTRIBUTE, str(_unknown_attribute(name)))
        if column in SENSITIVE_COLUMNS and not may_use_sensitive(user):
            raise guard.Refused(guard.UNKNOWN_ATTRIBUTE, str(_unknown_attribute(name)))
        columns.append(column)
    return columns


def resolve_filters(filters: Mapping[str, Any] | None, user: Any) -> dict[str, object]:
    """Attribute filters (user-facing names or columns → value) the viewer may apply; the
    guard checks the filtered population (k, differencing) like any scope."""
    resolved: dict[str, object] = {}
    for name, value in (filters or {}).items():
        column = ATTRIBUTES.get(name, name)
        if column not in FILTERABLE_COLUMNS:
            raise guard.Refused(guard.UNKNOWN_ATTRIBUTE, str(_unknown_attribute(name)))
        if column in SENSITIVE_COLUMNS and not may_use_sensitive(user):
            raise guard.Refused(guard.UNKNOWN_ATTRIBUTE, str(_unknown_attribute(name)))
        resolved[column] = value
    return resolved


def _unknown_attribute(name: str) -> str:
    from django.utils.translation import gettext as _

    return _("“%(name)s” is not an attribute results can be broken down by.") % {"name": name}


def scoped_respondents(
    respondents: pl.DataFrame, scope: Scope, policy: guard.Policy
) -> pl.DataFrame:
    """The respondents inside the scope, after the guard accepted the scope as a filter."""
    if not scope.filters:
        return respondents
    guard.check_filters(respondents, scope.filters, policy)
    condition = pl.lit(True)
    for name, value in scope.filters.items():
        if name == "subtree":
            condition &= (
                pl.col("department_path")
                .fill_null("")
                .str.contains(f"/{int(str(value))}/", literal=True)
            )
        elif isinstance(value, list | tuple):
            condition &= pl.col(name).is_in(list(value))
        else:
            condition &= pl.col(name) == value
    return respondents.filter(condition)


def plain_value(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, np.floating):
        return plain_value(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


def plain_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: plain_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def factors(language: str) -> list[dict[str, Any]]:
    return [
        {"code": f.code, "kind": f.kind, "name": f.name(language)}
        for f in Factor.objects.exclude(kind=FactorKind.OTHER).order_by("sort_order", "code")
    ]


def series_waves(survey: Survey, limit: int = 12) -> list[Survey]:
    """This wave and the earlier closed waves of its series, oldest first."""
    if not survey.series:
        return [survey]
    waves = Survey.objects.filter(series=survey.series, wave__lte=survey.wave).order_by("-wave")
    return list(reversed(list(waves[:limit])))


def build(
    survey: Survey,
    user: Any,
    *,
    by: Sequence[str] = ("department",),
    department_id: int | None = None,
    language: str = "ja",
    request: Any = None,
    with_comments: bool = True,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole results page for one wave, as plain data (templates, API and exports).
    ``filters`` narrows the scope by respondent attributes (``FILTERABLE_COLUMNS``)."""
    policy = guard.Policy.for_survey(survey)
    guard.require_closed(survey)
    scope = scope_for(user, department_id)
    columns = resolve_by(by, user) if scope.breakdowns else []
    if filters:
        if not scope.breakdowns:
            raise guard.Refused(
                guard.UNKNOWN_ATTRIBUTE, str(_unknown_attribute(next(iter(filters))))
            )
        scope.filters.update(resolve_filters(filters, user))
        scope.company_wide = False
    guard.audit_view(user, survey, "results", scope.filters, columns, request=request)

    waves = series_waves(survey)
    frames = data.load([w.pk for w in waves])
    all_respondents = scoring.respondent_table(frames.answers, frames.questions, frames.responses)
    factor_list = factors(language)
    codes = [f["code"] for f in factor_list if f["kind"] != FactorKind.ENPS]
    codes = [c for c in codes if f"{c}__sum" in all_respondents.columns]
    current = all_respondents.filter(pl.col("survey_id") == survey.pk)
    scoped = scoped_respondents(current, scope, policy)

    summary_table = scoring.group_scores(scoped, [], codes)
    summary = plain_rows(guard.guard_table(summary_table, scoped, [], policy))[0]
    result: dict[str, Any] = {
        "survey": {
            "id": survey.pk,
            "name": survey.name,
            "kind": survey.kind,
            "wave": survey.wave,
            "closes_on": survey.closes_on,
        },
        "policy": {"k": policy.k, "comment_k": policy.comment_k},
        "scope": {"company_wide": scope.company_wide, "filters": scope.filters},
        "summary": summary,
        "response_rate": _response_rate(survey, scope, scoped, policy),
        "factors": _factor_rows(summary, factor_list, codes),
        "items": [],
        "categories": _categories(summary),
        "heatmaps": [],
        "trend": [],
        "drivers": None,
        "reliability": [],
        "comments": None,
    }
    if summary["suppressed"]:
        return result
    items = scoring.item_table(
        frames.answers,
        frames.questions,
        frames.responses.filter(
            pl.col("response_id").is_in(scoped.get_column("response_id").implode())
        ),
        [],
    )
    result["items"] = _item_rows(items, policy, language)
    result["reliability"] = _reliability(frames, scoped, factor_list, codes)
    result["trend"] = _trend(all_respondents, waves, scope, policy, codes)
    _carry_forward(result["factors"], result["trend"], survey)
    result["drivers"] = _drivers_for(survey, scoped, summary, factor_list, scope, policy, codes)
    for column in columns:
        result["heatmaps"].append(_heatmap(scoped, column, scope, policy, codes, summary, language))
    if with_comments:
        result["comments"] = _comments(frames, scoped, policy, language)
    return result


def _response_rate(
    survey: Survey, scope: Scope, scoped: pl.DataFrame, policy: guard.Policy
) -> dict[str, Any]:
    invitations = Invitation.objects.filter(survey=survey)
    subtree = scope.filters.get("subtree")
    if subtree is not None:
        invitations = invitations.annotate(path=KT("demographics__department_path")).filter(
            path__contains=f"/{int(str(subtree))}/"
        )
    for column in FILTERABLE_COLUMNS & set(scope.filters):
        value = scope.filters[column]
        values = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        condition = Q(**{f"demographics__{column}__in": values})
        if "" in values:  # snapshots taken before the attribute existed have no key
            condition |= Q(**{f"demographics__{column}__isnull": True})
        invitations = invitations.filter(condition)
    invited = invitations.count()
    responded = scoped.height
    visible = guard.response_rate_visible(invited, responded, policy)
    return {
        "invited": invited,
        "responded": responded if visible else None,
        "rate": round(100 * responded / invited, 1) if visible and invited else None,
        "suppressed": not visible,
    }


def _factor_rows(
    summary: dict[str, Any], factor_list: list[dict[str, Any]], codes: list[str]
) -> list[dict[str, Any]]:
    rows = []
    for factor in factor_list:
        code = factor["code"]
        if code not in codes:
            continue
        rows.append(
            {
                **factor,
                "favourable": summary.get(f"{code}__favourable"),
                "unfavourable": summary.get(f"{code}__unfavourable"),
                "score": summary.get(f"{code}__score"),
                "answers": summary.get(f"{code}__answers"),
            }
        )
    return rows


def _categories(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "engaged": summary.get("engaged"),
        "not_engaged": summary.get("not_engaged"),
        "actively_disengaged": summary.get("actively_disengaged"),
        "base": summary.get("categorised"),
        "gallup": {
            "ja": GALLUP_ENGAGED["ja"],
            "us": GALLUP_ENGAGED["us"],
        },
    }


def _item_rows(items: pl.DataFrame, policy: guard.Policy, language: str) -> list[dict[str, Any]]:
    """Item scores; an item answered by fewer than k people is hidden on its own (a
    visible group can still hold an item few of its members answered)."""
    from kizuna.surveys.models import Question

    texts = {q.pk: q.text(language) for q in Question.objects.all()}
    rows = []
    for row in plain_rows(items.sort("question_id")):
        hidden = (row.get("n") or 0) < policy.k
        rows.append(
            {
                "code": row["code"],
                "factor_code": row["factor_code"],
                "kind": row["kind"],
                "text": texts.get(row["question_id"], row["code"]),
                "n": None if hidden else row["n"],
                "mean": None if hidden else row["mean"],
                "favourable": None if hidden else row["favourable"],
                "neutral": None if hidden else row["neutral"],
                "unfavourable": None if hidden else row["unfavourable"],
                "suppressed": hidden,
            }
        )
    return rows


def _reliability(
    frames: data.SurveyFrames,
    scoped: pl.DataFrame,
    factor_list: list[dict[str, Any]],
    codes: list[str],
) -> list[dict[str, Any]]:
    answers = frames.answers.filter(
        pl.col("response_id").is_in(scoped.get_column("response_id").implode())
    )
    out = []
    for factor in factor_list:
        if factor["code"] not in codes:
            continue
        matrix = scoring.factor_item_matrix(answers, frames.questions, factor["code"])
        alpha = None
        if matrix.shape[1] >= 2 and matrix.shape[0] >= 3:
            value = stats.cronbach_alpha(matrix)
            alpha = None if math.isnan(value) else round(value, 3)
        out.append(
            {
                "code": factor["code"],
                "name": factor["name"],
                "alpha": alpha,
                "items": int(matrix.shape[1]),
            }
        )
    return out


def _drivers(
    scoped: pl.DataFrame, summary: dict[str, Any], factor_list: list[dict[str, Any]]
) -> dict[str, Any] | None:
    driver_codes = [
        f["code"]
        for f in factor_list
        if f["kind"] == FactorKind.DRIVER and f"{f['code']}__mean" in scoped.columns
    ]
    if len(driver_codes) < 2:
        return None
    x, y = scoring.driver_matrix(scoped, driver_codes)
    complete = ~np.isnan(x).any(axis=1) & ~np.isnan(y)
    if int(complete.sum()) < max(MIN_DRIVER_RESPONDENTS, len(driver_codes) + 2):
        return {"available": False, "n": int(complete.sum()), "min_n": MIN_DRIVER_RESPONDENTS}
    try:
        result = drivers.relative_weights(x, y, driver_codes)
    except drivers.DriverAnalysisError:
        return {"available": False, "n": int(complete.sum()), "min_n": MIN_DRIVER_RESPONDENTS}
    favourable = [summary.get(f"{code}__favourable") for code in driver_codes]
    matrix = drivers.priority_matrix(
        result.shares, np.array([np.nan if v is None else v for v in favourable], dtype=float)
    )
    names = {f["code"]: f["name"] for f in factor_list}
    rows = []
    for i, code in enumerate(driver_codes):
        rows.append(
            {
                "code": code,
                "name": names[code],
                "share": round(float(result.shares[i]), 1),
                "weight": round(float(result.weights[i]), 4),
                "correlation": round(float(result.correlations[i]), 3),
                "favourable": favourable[i],
                "quadrant": matrix[i]["quadrant"],
            }
        )
    rows.sort(key=lambda r: -r["share"])
    return {"available": True, "r2": round(result.r2, 3), "n": result.n, "rows": rows}


def _carry_forward(
    factor_rows: list[dict[str, Any]], trend: list[dict[str, Any]], survey: Survey
) -> None:
    """A pulse asks a rotating subset of drivers: a factor this wave did not ask shows the
    latest earlier wave's favourable % within the answer-validity window, marked with the
    wave it comes from."""
    import datetime as dt

    if not survey.opens_on:
        return
    window = dt.timedelta(days=survey.answer_validity_days)
    earlier = [p for p in reversed(trend[:-1]) if not p["suppressed"] and p.get("opens_on")]
    for row in factor_rows:
        if row["answers"]:
            continue
        for point in earlier:
            value = point.get("favourable", {}).get(row["code"])
            if value is not None and survey.opens_on - point["opens_on"] <= window:
                row["favourable"] = value
                row["carried_from"] = {"wave": point["wave"], "name": point["name"]}
                break


def _drivers_for(
    survey: Survey,
    scoped: pl.DataFrame,
    summary: dict[str, Any],
    factor_list: list[dict[str, Any]],
    scope: Scope,
    policy: guard.Policy,
    codes: list[str],
) -> dict[str, Any] | None:
    """Key drivers need every driver answered by the same respondents: from this wave when
    it asked them all, else from the latest earlier closed survey that did (an annual
    survey, typically), in the same scope, labelled with its source."""
    driver_codes = [f["code"] for f in factor_list if f["kind"] == FactorKind.DRIVER]
    asked = [c for c in driver_codes if (summary.get(f"{c}__answers") or 0) > 0]
    if len(asked) == len(driver_codes):
        found = _drivers(scoped, summary, factor_list)
        if found is not None:
            found["source"] = None
        return found
    source = (
        Survey.objects.filter(status="closed", opens_on__lte=survey.opens_on)
        .exclude(pk=survey.pk)
        .filter(items__question__factor__kind=FactorKind.DRIVER)
        .order_by("-opens_on", "-pk")
        .distinct()
    )
    for candidate in source[:6]:
        asked_codes = set(
            candidate.items.filter(question__factor__kind=FactorKind.DRIVER).values_list(
                "question__factor__code", flat=True
            )
        )
        if set(driver_codes) - asked_codes:
            continue
        frames = data.load([candidate.pk])
        respondents = scoring.respondent_table(frames.answers, frames.questions, frames.responses)
        try:
            their = scoped_respondents(respondents, scope, guard.Policy.for_survey(candidate))
        except guard.Refused:
            return None
        their_codes = [c for c in codes if f"{c}__sum" in their.columns]
        their_summary = plain_rows(scoring.group_scores(their, [], their_codes))[0]
        found = _drivers(their, their_summary, factor_list)
        if found is not None:
            found["source"] = {"id": candidate.pk, "name": candidate.name}
        return found
    return None


def _trend(
    respondents: pl.DataFrame,
    waves: list[Survey],
    scope: Scope,
    policy: guard.Policy,
    codes: list[str],
) -> list[dict[str, Any]]:
    """Company (or scope) figures per wave, and each change since the previous wave with a
    significance mark only when p < 0.05 and both waves pass the guard (METRICS.md).
    All waves are scored and tested in one pass (``scoring.series_comparison``)."""
    visible_waves: list[int] = []
    scoped_parts = []
    for wave in waves:
        current = respondents.filter(pl.col("survey_id") == wave.pk)
        try:
            scoped = scoped_respondents(current, scope, policy)
        except guard.Refused:
            continue
        if scoped.height >= policy.k:
            visible_waves.append(wave.pk)
            scoped_parts.append(scoped)
    scoped_all = pl.concat(scoped_parts, how="diagonal_relaxed") if scoped_parts else None
    per_wave: dict[int, dict[str, Any]] = {}
    changes: dict[int, dict[str, Any]] = {}
    if scoped_all is not None:
        for row in plain_rows(scoring.group_scores(scoped_all, ["survey_id"], codes)):
            per_wave[row["survey_id"]] = row
        # pairs of consecutive waves, both visible (a hidden wave breaks the chain)
        pairs = [w.pk for w in waves]
        comparison = scoring.series_comparison(scoped_all, pairs, [], codes)
        for c in plain_rows(comparison):
            significant = bool(
                stats.significant_change(
                    np.array([np.nan if c["p_value"] is None else c["p_value"]]),
                    np.array([True]),
                    np.array([True]),
                )[0]
            )
            changes.setdefault(c["survey_id"], {})[c["measure"]] = {
                "diff": c["diff"],
                "p_value": c["p_value"],
                "significant": significant,
            }
    points: list[dict[str, Any]] = []
    previous_visible = False
    for wave in waves:
        visible = wave.pk in per_wave
        point: dict[str, Any] = {
            "survey_id": wave.pk,
            "wave": wave.wave,
            "name": wave.name,
            "opens_on": wave.opens_on,
            "suppressed": not visible,
        }
        if visible:
            row = per_wave[wave.pk]
            point.update(
                engagement_index=row["engagement_index"],
                enps=row["enps"],
                respondents=row["respondents"],
                favourable={c: row.get(f"{c}__favourable") for c in codes},
            )
            if previous_visible and wave.pk in changes:
                point["change"] = changes[wave.pk]
        points.append(point)
        previous_visible = visible
    return points


def _department_names(ids: list[int], language: str) -> dict[int, str]:
    return {d.pk: d.display_name(language) for d in Department.objects.filter(pk__in=ids)}


def _heatmap(
    scoped: pl.DataFrame,
    column: str,
    scope: Scope,
    policy: guard.Policy,
    codes: list[str],
    summary: dict[str, Any],
    language: str,
) -> dict[str, Any]:
    """Factors × groups of one attribute, hidden cells nulled, each value with its
    difference from the scope's own value (the heatmap diverges around "us")."""
    if column == "department_tree":
        return _tree_heatmap(scoped, scope, policy, codes, summary, language)
    if column == "department_id":
        table = scoring.group_scores(scoped, ["department_id"], codes)
        visibility = guard.guard_groups(scoped, ["department_id"], policy)
        guarded = guard.apply(table, visibility, ["department_id"])
        ids = [int(v) for v in guarded.get_column("department_id").drop_nulls().to_list()]
        names = _department_names(ids, language)
        label = lambda v: names.get(int(v), str(v)) if v is not None else "—"  # noqa: E731
    else:
        table = scoring.group_scores(scoped, [column], codes)
        guarded = guard.guard_table(table, scoped, [column], policy)
        label = _value_label(column)
    measures = _measures(codes, summary)
    rows = []
    for row in plain_rows(guarded):
        key = row[column]
        cells = []
        for measure in measures:
            value = row.get(measure)
            base = summary.get(measure)
            diff = None if value is None or base is None else round(value - base, 1)
            cells.append({"measure": measure, "value": value, "diff": diff})
        rows.append(
            {
                "key": plain_value(key),
                "label": label(key),
                "respondents": row.get("respondents"),
                "suppressed": row["suppressed"],
                "reason": row.get("reason"),
                "reason_text": guard.reason_text(row.get("reason"), policy)
                if row["suppressed"]
                else "",
                "cells": cells,
            }
        )
    return {"attribute": column, "measures": measures, "rows": rows}


def _measures(codes: list[str], summary: dict[str, Any]) -> list[str]:
    """Heatmap columns: the index, eNPS and each factor this wave asked."""
    measures = ["engagement_index", "enps", *[f"{c}__favourable" for c in codes]]
    return [m for m in measures if summary.get(m) is not None]


def _tree_heatmap(
    scoped: pl.DataFrame,
    scope: Scope,
    policy: guard.Policy,
    codes: list[str],
    summary: dict[str, Any],
    language: str,
) -> dict[str, Any]:
    """Departments as a tree (each row: the department and everything below it), within
    the viewer's scope, hidden by ``guard.guard_tree`` (which also protects the people
    directly in a department from parent-minus-children subtraction)."""
    departments = Department.objects.all().order_by("path")
    subtree = scope.filters.get("subtree")
    if subtree is not None:
        root = Department.objects.get(pk=int(str(subtree)))
        departments = departments.filter(path__startswith=root.path)
    listed = list(departments)
    visibility = guard.guard_tree(scoped, [(d.pk, d.path, d.parent_id) for d in listed], policy)
    table = scoring.subtree_scores(scoped, codes)
    guarded = guard.apply(
        table, visibility.select("department_id", "visible", "reason"), ["department_id"]
    )
    by_id = {row["department_id"]: row for row in plain_rows(guarded)}
    verdicts = {row["department_id"]: row for row in plain_rows(visibility)}
    measures = _measures(codes, summary)
    top_depth = min((d.depth for d in listed), default=0)
    rows = []
    for dept in listed:
        row = by_id.get(dept.pk)
        verdict = verdicts.get(dept.pk, {})
        suppressed = row is None or row["suppressed"]
        reason = (row or {}).get("reason") or verdict.get("reason") or guard.TOO_FEW
        cells = []
        for measure in measures:
            value = None if suppressed or row is None else row.get(measure)
            base = summary.get(measure)
            diff = None if value is None or base is None else round(value - base, 1)
            cells.append({"measure": measure, "value": value, "diff": diff})
        rows.append(
            {
                "key": dept.pk,
                "label": dept.display_name(language),
                "depth": dept.depth - top_depth,
                "respondents": None if suppressed or row is None else row.get("respondents"),
                "suppressed": suppressed,
                "reason": reason if suppressed else None,
                "reason_text": guard.reason_text(reason, policy) if suppressed else "",
                "cells": cells,
            }
        )
    return {"attribute": "department_tree", "measures": measures, "rows": rows}


def _value_label(column: str) -> Any:
    from kizuna.org.models import EmploymentType, Gender

    choices: dict[str, dict[str, str]] = {
        "employment_type": {k: str(v) for k, v in EmploymentType.choices},
        "gender": {k: str(v) for k, v in Gender.choices},
    }
    mapping = choices.get(column, {})
    if column == "performance_band":
        from django.utils.translation import gettext as _

        no_band = _("No band yet")
        return lambda v: no_band if v in (None, "") else str(v)
    return lambda v: mapping.get(v, v) if v not in (None, "") else "—"


def _comments(
    frames: data.SurveyFrames, scoped: pl.DataFrame, policy: guard.Policy, language: str
) -> dict[str, Any]:
    attrs = scoped.select("response_id", *[c for c in data.DEMOGRAPHICS if c in scoped.columns])
    texts = frames.comments.join(attrs, on="response_id", how="inner")
    visible = guard.filter_comments(texts, policy)
    if not visible:
        return {"visible": False, "min_n": policy.comment_k, "texts": [], "analysis": None}
    analysis = text.analyse_comments(visible, language)
    return {
        "visible": True,
        "min_n": policy.comment_k,
        "texts": visible[:40],
        "total": len(visible),
        "analysis": analysis,
    }

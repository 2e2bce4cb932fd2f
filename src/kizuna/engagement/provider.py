"""Measures engagement metrics for action-plan reviews (``kizuna.improvement.metrics``).

A plan's source names a survey, a metric and optionally a group; the value comes from the
same scoring as the results page, and a group the anonymity guard would hide gives None
(the review page then says it cannot measure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kizuna.engagement import data, guard, report, scoring
from kizuna.improvement.metrics import MetricValue
from kizuna.surveys.models import Survey


def _filters(source: Mapping[str, Any]) -> dict[str, object]:
    group = source.get("group") or {}
    attribute, value = group.get("attribute"), group.get("value")
    if not attribute or value in (None, ""):
        return {}
    if attribute == "department":
        return {"subtree": int(value)}
    column = report.ATTRIBUTES.get(str(attribute), str(attribute))
    if column == "department_id":
        value = int(value)
    return {column: value}


def engagement_metric(source: Mapping[str, Any], survey_id: int | None) -> MetricValue | None:
    wanted = survey_id or source.get("survey_id")
    if not isinstance(wanted, int):
        return None
    survey = Survey.objects.filter(pk=wanted).first()
    if survey is None:
        return None
    policy = guard.Policy.for_survey(survey)
    frames = data.load([survey.pk])
    respondents = scoring.respondent_table(frames.answers, frames.questions, frames.responses)
    try:
        scoped = report.scoped_respondents(
            respondents, report.Scope(False, _filters(source)), policy
        )
    except guard.Refused:
        return None
    if scoped.height < policy.k:
        return None
    metric = source.get("metric")
    factor = source.get("factor")
    codes = [factor] if factor and f"{factor}__sum" in scoped.columns else []
    row = scoring.group_scores(scoped, [], codes).row(0, named=True)
    if metric == "factor_favourable" and codes:
        answers = row.get(f"{factor}__answers") or 0
        if answers < policy.k:
            return None
        return MetricValue.proportion(int(row[f"{factor}__fav_count"]), int(answers))
    if metric == "engagement_index":
        n = int(row.get("engagement_resp_n") or 0)
        if n < max(policy.k, 2):
            return None
        mean = (float(row["engagement_resp_mean"]) - 1) / 4 * 100
        variance = float(row["engagement_resp_var"]) * (100 / 4) ** 2
        return MetricValue.from_mean(mean, variance, n)
    if metric == "enps":
        n = int(row.get("enps_n") or 0)
        if n < max(policy.k, 2):
            return None
        return MetricValue.enps(int(row["enps_promoters"]), int(row["enps_detractors"]), n)
    return None

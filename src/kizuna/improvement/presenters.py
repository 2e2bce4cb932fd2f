"""Words, numbers and charts for the plans pages, built once here so the templates stay
simple and the same verdict reads the same on every page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from kizuna.core.access import UserLike
from kizuna.improvement import rules, sources
from kizuna.improvement.models import Action, CheckIn, Plan, Review

DEFAULT_DUE = dt.timedelta(days=60)
DEFAULT_REVIEW = dt.timedelta(days=90)


def fmt(value: float | None, places: int = 1) -> str:
    """Rounded (``number_format`` alone truncates: 1.17 would read 1.1), localised."""
    if value is None:
        return "—"
    return number_format(round(value, places), decimal_pos=places, use_l10n=True)


def signed(value: float | None, places: int = 1) -> str:
    if value is None:
        return "—"
    text = fmt(abs(value), places)
    if round(value, places) > 0:
        return f"+{text}"
    if round(value, places) < 0:
        return f"−{text}"
    return text


def team_name(plan: Plan, language: str) -> str:
    if plan.scope is None:
        return _("Whole company")
    return plan.scope.display_name(language)


def with_latest(plans: QuerySet[Plan]) -> QuerySet[Plan]:
    """Annotate each plan with its latest progress and verdict (one query for the list)."""
    latest_check_in = CheckIn.objects.filter(plan=OuterRef("pk")).order_by("-on", "-id")
    latest_review = Review.objects.filter(plan=OuterRef("pk")).order_by("-on", "-id")
    return plans.annotate(
        latest_progress=Subquery(latest_check_in.values("progress")[:1]),
        latest_verdict=Subquery(latest_review.values("verdict")[:1]),
    )


def list_rows(plans: Sequence[Plan], language: str) -> list[dict[str, Any]]:
    from kizuna.improvement.models import Verdict

    labels = dict(Verdict.choices)
    return [
        {
            "plan": plan,
            "team": team_name(plan, language),
            "progress": getattr(plan, "latest_progress", None),
            "verdict": getattr(plan, "latest_verdict", None),
            "verdict_label": labels.get(getattr(plan, "latest_verdict", None) or "", ""),
        }
        for plan in plans
    ]


@dataclass
class Origin:
    """The result a plan starts from, in words (numbers only where the caller allows)."""

    kind: str
    survey: str = ""
    subject: str = ""
    metric: str = ""
    group: str = ""
    baseline: str = ""
    baseline_n: int | None = None
    heard: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def origin(
    raw: Mapping[str, Any],
    language: str,
    baseline: float | None = None,
    baseline_n: int | None = None,
) -> Origin | None:
    try:
        source = sources.normalise(raw)
    except Exception:
        return None
    if source.get("kind") == sources.MANUAL:
        return None
    spec = sources.metric_spec(source)
    return Origin(
        kind=str(source.get("kind")),
        survey=sources.survey_name(source),
        subject=sources.subject_name(source, language),
        metric=str(spec.label) if spec else str(source.get("metric", "")),
        group=sources.group_name(source, language) or _("Whole company"),
        baseline=(
            fmt(baseline) + ("%" if spec is not None and spec.is_proportion else "")
            if baseline is not None
            else ""
        ),
        baseline_n=baseline_n,
        heard=sources.heard(source, language),
    )


def review_view(review: Review, plan: Plan) -> dict[str, Any]:
    """A review as the page shows it: values, the difference and interval as text."""
    level = round(review.level * 100)
    return {
        "review": review,
        "before": fmt(review.before_value),
        "after": fmt(review.after_value),
        "diff": signed(review.diff),
        "low": signed(review.ci_low),
        "high": signed(review.ci_high),
        "level": level,
        "p": "—" if review.p_value is None else fmt(review.p_value, 3),
        "verdict": review.verdict,
        "verdict_label": review.get_verdict_display(),
        "badge": {"improved": "ok", "worsened": "bad"}.get(review.verdict, "warn"),
        "higher_is_better": plan.higher_is_better,
    }


def reviews(plan: Plan) -> list[dict[str, Any]]:
    return [review_view(r, plan) for r in plan.reviews.all()]


def progress_chart(check_ins: Sequence[CheckIn]) -> dict[str, Any]:
    """A Chart.js line of progress over time, 0–100 %."""
    labels = [date_format(c.on, "SHORT_DATE_FORMAT") for c in check_ins]
    return {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": _("Progress (0–100)"),
                    "data": [c.progress for c in check_ins],
                    "color": "#0072B2",
                    "tension": 0,
                    "fill": False,
                }
            ],
        },
        "options": {
            "scales": {
                "y": {
                    "min": 0,
                    "max": 100,
                    "ticks": {"precision": 0},
                    "title": {"display": True, "text": _("Progress (0–100)")},
                }
            },
            "plugins": {"legend": {"display": False}},
        },
    }


def detail(plan: Plan, user: UserLike, language: str) -> dict[str, Any]:
    check_ins = list(plan.check_ins.all())
    actions = list(plan.actions.all())
    all_reviews = reviews(plan)
    source = plan.source or {}
    spec = sources.metric_spec(source)
    return {
        "plan": plan,
        "unit": "%" if spec is not None and spec.is_proportion else "",
        "team": team_name(plan, language),
        "origin": origin(source, language, plan.baseline_value, plan.baseline_n),
        "baseline": fmt(plan.baseline_value),
        "target": fmt(plan.target_value),
        "action_rows": [(a, rules.can_toggle(user, a)) for a in actions],
        "actions_done": sum(1 for a in actions if a.is_done),
        "check_ins": check_ins,
        "latest_progress": check_ins[-1].progress if check_ins else None,
        "chart": progress_chart(check_ins) if len(check_ins) >= 2 else None,
        "chart_rows": [(date_format(c.on, "SHORT_DATE_FORMAT"), c.progress) for c in check_ins],
        "chart_headers": [_("Date"), _("Progress (0–100)")],
        "latest_review": all_reviews[0] if all_reviews else None,
        "reviews": all_reviews,
        "today": timezone.localdate(),
    }


def team_cards(plans: Sequence[Plan], language: str) -> list[dict[str, Any]]:
    """What "you said, we did" shows: words only, never a number from the results."""
    cards = []
    for plan in plans:
        actions: list[Action] = list(plan.actions.all())
        latest = next(iter(plan.reviews.all()), None)
        cards.append(
            {
                "plan": plan,
                "team": team_name(plan, language),
                "heard": sources.heard(plan.source or {}, language),
                "done": [a for a in actions if a.is_done],
                "open": sum(1 for a in actions if not a.is_done),
                "verdict": latest.verdict if latest else None,
            }
        )
    return cards

"""What the account page shows: who the customer is, what it pays, how it uses the
product, how healthy it is and why, its churn risk and its contacts. Read-only; the
one change made from the page (a CSM assessment) goes through ``health``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kizuna.core import charts
from kizuna.customers import display, page_cache, pages
from kizuna.customers.display import BAND_COLOURS
from kizuna.customers.models import (
    Account,
    CsmAssessment,
    HealthScore,
    Subscription,
)

log = logging.getLogger(__name__)

HISTORY_DAYS = 180
USAGE_DAYS = 90
WINDOW_DAYS = 28


def header(account: Account, today: dt.date) -> dict[str, Any]:
    return {
        "days_in_stage": account.days_in_stage(today),
        "mrr": account.mrr_on(today),
        "active": account.is_active_on(today),
    }


# --- Subscriptions -----------------------------------------------------------------------


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def subscriptions(account: Account, today: dt.date) -> dict[str, Any]:
    """The account's contract lines and its MRR on the first of each month (the
    subscription timeline), from its first start (at most two years back) to three
    months ahead (booked renewals and ends show up there)."""
    subs = list(Subscription.objects.filter(account=account).order_by("start_date", "pk"))
    rows = []
    for sub in subs:
        if sub.start_date > today:
            status, css = _("Starts later"), ""
        elif sub.covers(today):
            status, css = _("Active"), "ok"
        else:
            status, css = _("Ended"), ""
        days_left = (sub.end_date - today).days if sub.end_date and sub.end_date > today else None
        rows.append({"sub": sub, "status": status, "css": css, "days_left": days_left})
    if not subs:
        return {"rows": rows, "chart": None}
    first = max(min(sub.start_date for sub in subs), today - dt.timedelta(days=730))
    ahead = today + dt.timedelta(days=92)
    # Into the future only as far as booked subscriptions reach: an unbooked renewal is
    # not a drop to zero yet.
    booked = max(
        (ahead if sub.end_date is None else sub.end_date - dt.timedelta(days=1)) for sub in subs
    )
    months = month_starts(first, max(min(booked, ahead), today))
    totals = [int(sum(sub.mrr for sub in subs if sub.covers(month))) for month in months]
    labels = [date_format(month, "YEAR_MONTH_FORMAT") for month in months]
    chart = charts.bar_chart(
        labels,
        [{"label": _("MRR (yen)"), "data": totals, "color": "#0072B2"}],
        y_title=_("MRR (yen)"),
    )
    return {
        "rows": rows,
        "chart": chart,
        "chart_rows": [
            (label, display.yen(total)) for label, total in zip(labels, totals, strict=True)
        ],
        "chart_headers": [_("Month (1st day)"), _("MRR")],
    }


# --- Health ------------------------------------------------------------------------------


def contribution_rows(contributions: Any) -> list[dict[str, Any]]:
    """One row per measure, in the health module's display order."""
    from kizuna.customers import health

    if not isinstance(contributions, dict):
        return []
    rows = []
    keys = [key for key in health.MEASURES if key in contributions] + [
        key for key in contributions if key not in health.MEASURES
    ]
    for key in keys:
        part = contributions.get(key) or {}
        measure = health.MEASURES.get(key)
        rows.append(
            {
                "key": key,
                "label": str(measure.label) if measure else key,
                "rule": str(measure.rule) if measure else "",
                "raw": part.get("raw"),
                "normalised": part.get("normalised"),
                "weight": part.get("weight"),
                "share": part.get("effective_weight"),
                "points": part.get("points") or 0.0,
                "missing": bool(part.get("missing")),
            }
        )
    return rows


def raw_text(key: str, raw: Any) -> str:
    """A measure's raw value in its own unit."""
    if raw is None:
        return "—"
    value = float(raw)
    if key in ("stickiness", "adoption", "seats"):
        return display.percent(value, 1)
    if key == "trend":
        return _("×%(ratio)s") % {"ratio": display.number(value, 2)}
    if key == "renewal":
        return _("%(days)s days") % {"days": display.number(value)}
    if key == "csm":
        return _("%(rating)s of 5") % {"rating": display.number(value)}
    return display.number(value, 2)


def health_now(account: Account, today: dt.date) -> dict[str, Any] | None:
    score = (
        HealthScore.objects.filter(account=account, day__lte=today)
        .select_related("profile")
        .order_by("-day")
        .first()
    )
    if score is None:
        return None
    rows = contribution_rows(score.contributions)
    for row in rows:
        row["raw_text"] = raw_text(row["key"], row["raw"])
    # Each bar is the most a measure can add (its share of the weights × 100): the
    # filled part is what it added, the grey part what it missed.
    earned = [round(float(row["points"]), 1) for row in rows]
    possible = [round(float(row["share"] or 0) * 100, 1) for row in rows]
    chart = charts.bar_chart(
        [row["label"] for row in rows],
        [
            {"label": _("Points earned"), "data": earned, "color": "#0072B2"},
            {
                "label": _("Points missed"),
                "data": [round(max(p - e, 0.0), 1) for p, e in zip(possible, earned, strict=True)],
                "color": "#D0D7DE",
            },
        ],
        horizontal=True,
        stacked=True,
        y_title=_("Points (the earned points add up to the score)"),
    )
    return {"score": score, "rows": rows, "chart": chart}


def health_history(account: Account, today: dt.date) -> dict[str, Any] | None:
    since = today - dt.timedelta(days=HISTORY_DAYS)
    history = list(
        HealthScore.objects.filter(account=account, day__gt=since, day__lte=today)
        .select_related("profile")
        .order_by("day")
        .values_list("day", "score", "band", "profile__red_below", "profile__green_from")
    )
    if len(history) < 2:
        return None
    labels = [date_format(day, "MONTH_DAY_FORMAT") for day, *_rest in history]
    red = history[-1][3]
    green = history[-1][4]
    datasets: list[dict[str, Any]] = [
        {
            "label": _("Health score"),
            "data": [round(score, 1) for _day, score, *_rest in history],
            "color": "#0072B2",
            "pointRadius": 0,
            "tension": 0.1,
        }
    ]
    if red is not None and green is not None:
        for value, label, colour in (
            (green, _("Green from"), BAND_COLOURS["green"]),
            (red, _("Red below"), BAND_COLOURS["red"]),
        ):
            datasets.append(
                {
                    "label": f"{label} {display.number(value)}",
                    "data": [value] * len(history),
                    "color": colour,
                    "borderDash": [6, 4],
                    "pointRadius": 0,
                    "borderWidth": 1,
                }
            )
    chart = {
        "type": "line",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "y": {
                    "min": 0,
                    "max": 100,
                    "title": {"display": True, "text": _("Health score (0–100)")},
                },
                "x": {"ticks": {"maxTicksLimit": 12}},
            },
        },
    }
    rows = [
        (date_format(day, "DATE_FORMAT"), display.number(score, 1), display.band_label(band))
        for day, score, band, *_rest in reversed(history)
    ]
    return {
        "chart": chart,
        "rows": rows,
        "headers": [_("Day"), _("Health score"), _("Band")],
        "days": len(history),
    }


def churn_risk(account: Account) -> dict[str, Any]:
    gate = pages.risk_gate()
    risk = None
    if gate.usable:
        risk = pages.shown_risks().filter(account=account).order_by("-day").first()
    return {
        "gate": gate,
        "risk": risk,
        "reasons": display.reason_texts(risk.reasons) if risk else [],
    }


def assessments(account: Account, limit: int = 5) -> list[CsmAssessment]:
    return list(
        CsmAssessment.objects.filter(account=account).select_related("by").order_by("-at")[:limit]
    )


# --- Usage -------------------------------------------------------------------------------


def _features() -> list[tuple[str, str, list[str]]]:
    from kizuna.usage.models import Feature

    return [
        (slug, name, [str(event) for event in events or []])
        for slug, name, events in Feature.objects.order_by("name").values_list(
            "slug", "name", "event_names"
        )
    ]


def usage(account: Account, today: dt.date, *, compute: bool = True) -> dict[str, Any] | None:
    """The usage section: daily and 28-day active users over the last 90 days and each
    feature's users in the last 28 days. With ``compute`` False, only what is cached
    (None when nothing is: the page then loads the section separately)."""
    key = page_cache.usage_key(account.pk, account.external_id, today)
    if compute:
        data = page_cache.remember(key, page_cache.USAGE_TTL, lambda: _usage_data(account, today))
        if data is None:
            return {"available": False, "busy": True}
    else:
        data = page_cache.peek(*key)
        if data is None:
            return None
    return _usage_context(data["days"], data["series"], data["used"], data["features"])


def _usage_data(account: Account, today: dt.date) -> dict[str, Any] | None:
    """The figures from ``kizuna.usage.metrics`` over this account's events only (None
    when the event store is busy)."""
    import ibis

    from kizuna.customers.feature_pages import events_between
    from kizuna.usage import metrics, store

    start = today - dt.timedelta(days=USAGE_DAYS)
    days = [start + dt.timedelta(days=n) for n in range(USAGE_DAYS)]
    features = _features()
    try:
        with metrics.events_on_store(timeout=5) as events:
            mine = events.filter(events.group_id == account.external_id)
            recent = events_between(mine, start - dt.timedelta(days=2 * WINDOW_DAYS), today)
            series = metrics.active_series(recent, start, today, mau_days=WINDOW_DAYS).to_polars()
            used = None
            if features:
                point = ibis.memtable(
                    {"group_id": [account.external_id], "as_of": [today]},
                    schema={"group_id": "string", "as_of": "date"},
                )
                used = metrics.account_feature_usage(
                    mine,
                    point,
                    [(slug, names) for slug, _name, names in features],
                    window_days=WINDOW_DAYS,
                ).to_polars()
    except store.StoreBusy:
        return None
    return {
        "days": days,
        "series": series.to_dicts(),
        "used": used.to_dicts() if used is not None else None,
        "features": features,
    }


def _usage_context(
    days: Sequence[dt.date],
    series: Sequence[dict[str, Any]],
    used: Sequence[dict[str, Any]] | None,
    features: Sequence[tuple[str, str, list[str]]],
) -> dict[str, Any]:
    by_day = {row["day"]: row for row in series}
    dau_series = [int(by_day.get(day, {}).get("dau") or 0) for day in days]
    mau_series = [int(by_day.get(day, {}).get("mau") or 0) for day in days]
    labels = [date_format(day, "MONTH_DAY_FORMAT") for day in days]
    any_use = any(dau_series) or any(mau_series)
    chart = {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": _("Daily active users (DAU)"),
                    "data": dau_series,
                    "color": "#0072B2",
                    "pointRadius": 0,
                },
                {
                    "label": _("Active users in the last 28 days"),
                    "data": mau_series,
                    "color": "#E69F00",
                    "pointRadius": 0,
                },
            ],
        },
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "y": {
                    "beginAtZero": True,
                    "ticks": {"precision": 0},
                    "title": {"display": True, "text": _("Users")},
                },
                "x": {"ticks": {"maxTicksLimit": 12}},
            },
        },
    }
    rows = [
        (date_format(day, "DATE_FORMAT"), display.number(d), display.number(m))
        for day, d, m in reversed(list(zip(days, dau_series, mau_series, strict=True)))
    ]
    active_now = mau_series[-1] if mau_series else 0
    feature_rows: list[dict[str, Any]] = []
    if used is not None:
        by_slug = {row["feature"]: row for row in used}
        for slug, name, _names in features:
            row = by_slug.get(slug, {})
            users = int(row.get("users") or 0)
            feature_rows.append(
                {
                    "name": name,
                    "users": users,
                    "users_prev": int(row.get("users_prev") or 0),
                    "adoption": users / active_now if active_now else None,
                    "last_used": row.get("last_used"),
                }
            )
    feature_chart = None
    if feature_rows:
        feature_chart = charts.bar_chart(
            [row["name"] for row in feature_rows],
            [
                {
                    "label": _("Users in the last 28 days"),
                    "data": [row["users"] for row in feature_rows],
                    "color": "#009E73",
                }
            ],
            horizontal=True,
            y_title=_("Users"),
        )
    return {
        "available": True,
        "any_use": any_use,
        "chart": chart,
        "rows": rows,
        "headers": [_("Day"), _("Daily active users (DAU)"), _("Active users in the last 28 days")],
        "dau_yesterday": dau_series[-1] if dau_series else 0,
        "active_now": active_now,
        "features": feature_rows,
        "feature_chart": feature_chart,
        "feature_rows_height": len(feature_rows) if len(feature_rows) > 12 else 0,
    }

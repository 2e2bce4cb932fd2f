"""The features page: each feature's definition and its adoption over the last 28 days
(METRICS.md: users — or accounts — who used the feature in the period / active users —
or accounts — in the period), from ``kizuna.usage.metrics.feature_adoption``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from kizuna.core import charts
from kizuna.customers import display
from kizuna.usage.models import Feature

WINDOW_DAYS = 28


def window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 28 full days before today: [today − 28, today)."""
    return today - dt.timedelta(days=WINDOW_DAYS), today


def events_between(events: Any, start: dt.date, end: dt.date) -> Any:
    """The events whose timestamp can fall on a Tokyo day of [start, end): a superset
    (one UTC day of margin each side) that lets the store skip older data before the
    metrics apply their exact day rule."""
    since = dt.datetime.combine(start - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return events.filter(events.timestamp >= since, events.timestamp < until)


def adoption(
    features: list[Feature], start: dt.date, end: dt.date
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]] | None:
    """(by user, by account) adoption rows keyed by slug; None when the event store is
    busy."""
    from kizuna.usage import metrics, store

    specs = [(feature.slug, list(feature.event_names or [])) for feature in features]
    try:
        with metrics.events_on_store(timeout=5) as events:
            recent = events_between(events, start, end)
            by_user = metrics.feature_adoption(recent, specs, start, end, unit="user").to_polars()
            by_account = metrics.feature_adoption(
                recent, specs, start, end, unit="account"
            ).to_polars()
    except store.StoreBusy:
        return None
    return (
        {row["feature"]: row for row in by_user.iter_rows(named=True)},
        {row["feature"]: row for row in by_account.iter_rows(named=True)},
    )


def features_context(today: dt.date, *, compute: bool = True) -> dict[str, Any]:
    """The page's figures. With ``compute`` False and nothing cached, ``pending`` is
    True and the page loads the adoption figures separately."""
    from kizuna.customers import page_cache

    features = list(Feature.objects.order_by("name"))
    start, end = window(today)
    context: dict[str, Any] = {
        "features": [],
        "start": start,
        "last_day": end - dt.timedelta(days=1),
        "pending": False,
        "any_features": bool(features),
    }
    if not features:
        return context
    key = page_cache.adoption_key(today)
    if compute:
        result = page_cache.remember(
            key, page_cache.USAGE_TTL, lambda: adoption(features, start, end)
        )
    else:
        result = page_cache.peek(*key)
        if result is None:
            context["pending"] = True
            return context
    context["busy"] = result is None
    empty: dict[str, dict[str, Any]] = {}
    users, accounts = result if result is not None else (empty, empty)
    rows: list[dict[str, Any]] = []
    for feature in features:
        u, a = users.get(feature.slug, {}), accounts.get(feature.slug, {})
        rows.append(
            {
                "feature": feature,
                "users": u.get("adopters"),
                "active_users": u.get("active"),
                "user_adoption": u.get("adoption"),
                "accounts": a.get("adopters"),
                "active_accounts": a.get("active"),
                "account_adoption": a.get("adoption"),
            }
        )
    context["features"] = rows
    if result is not None and any(row["active_users"] for row in rows):
        context["chart"] = charts.bar_chart(
            [row["feature"].name for row in rows],
            [
                {
                    "label": _("Users (%)"),
                    "data": [_pct(row["user_adoption"]) for row in rows],
                    "color": "#0072B2",
                },
                {
                    "label": _("Accounts (%)"),
                    "data": [_pct(row["account_adoption"]) for row in rows],
                    "color": "#009E73",
                },
            ],
            horizontal=True,
            y_title=_("Adoption in the last 28 days (%)"),
        )
        context["chart"]["options"]["scales"]["x"]["max"] = 100
        context["rows_height"] = len(rows) if len(rows) > 8 else 0
        context["chart_rows"] = [
            (
                row["feature"].name,
                _adoption_text(row["user_adoption"], row["users"], row["active_users"]),
                _adoption_text(row["account_adoption"], row["accounts"], row["active_accounts"]),
            )
            for row in rows
        ]
        context["chart_headers"] = [_("Feature"), _("Users"), _("Accounts")]
    return context


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _adoption_text(rate: float | None, adopters: Any, active: Any) -> str:
    if rate is None:
        return "—"
    return _("%(rate)s (%(n)s of %(base)s)") % {
        "rate": display.percent(rate, 1),
        "n": display.number(adopters),
        "base": display.number(active),
    }

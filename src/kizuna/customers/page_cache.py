"""Short-lived caches for the page sections that read the event store or recompute
history (account usage, feature adoption, the back-test).

Those sections cost 0.3–1.5 s on the demo data — mostly Ibis compiling its expressions
and the back-test re-reading the health history — so pages render without them and load
them with htmx right after (``load`` trigger) unless they are cached. What is cached is
language-free data (numbers, dates, keys); words are added per request. Keys carry the
day and a version of the inputs they depend on, so a new day, changed feature
definitions or changed subscriptions never show stale figures; the TTL bounds what keys
cannot see (events drained late for a past day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max

USAGE_TTL = 15 * 60
BACKTEST_TTL = 60 * 60

_MISSING = object()


def _key(*parts: Any) -> str:
    raw = ":".join(str(part) for part in parts)
    return "customers:page:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def features_version() -> str:
    """Changes whenever a feature is added, renamed, redefined or deleted."""
    from kizuna.usage.models import Feature

    rows = Feature.objects.order_by("pk").values_list("pk", "slug", "event_names", "is_key")
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()[:16]


def customers_version() -> str:
    """Changes whenever subscriptions or health profiles change (the back-test's inputs
    besides the stored history, which only the nightly snapshot adds to)."""
    from kizuna.customers.models import HealthProfile, Subscription

    subs = Subscription.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    profiles = HealthProfile.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    return f"{subs['n']}:{subs['at']}:{profiles['n']}:{profiles['at']}:{features_version()}"


def peek(*parts: Any) -> Any:
    """The cached value, or None when it is not cached (values are never None)."""
    value = cache.get(_key(*parts), _MISSING)
    return None if value is _MISSING else value


def remember(parts: tuple[Any, ...], ttl: int, compute: Callable[[], Any]) -> Any:
    """The cached value for ``parts``, computing and storing it when missing. A None
    result (the event store was busy) is returned but not stored."""
    key = _key(*parts)
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    value = compute()
    if value is not None:
        cache.set(key, value, ttl)
    return value


def usage_key(account_pk: int, external_id: str, today: dt.date) -> tuple[Any, ...]:
    return ("usage", account_pk, external_id, today.isoformat(), features_version())


def adoption_key(today: dt.date) -> tuple[Any, ...]:
    return ("adoption", today.isoformat(), features_version())


def backtest_key(days: int, today: dt.date) -> tuple[Any, ...]:
    return ("backtest", days, today.isoformat(), customers_version())

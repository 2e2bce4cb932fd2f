"""Background work of the 1on1 app: every morning, pairs follow the org chart and both
participants of tomorrow's 1on1s get a reminder by email and Slack.

Registered with :mod:`kizuna.core.scheduler` when imported. It runs at 23:00 UTC, which
is 08:00 in Japan.
"""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from kizuna.core.scheduler import PeriodicJob, register
from kizuna.practices.oneonones import reminders, services


@task
def daily_one_on_ones() -> int:
    """Sync pairs with the org chart, then remind tomorrow's meetings (once each);
    return how many meetings were reminded."""
    today = timezone.localdate()
    services.sync_pairs(today)
    return reminders.send_due_reminders(today)


register(
    PeriodicJob(
        "oneonones.daily",
        daily_one_on_ones,
        every=timedelta(days=1),
        offset=timedelta(hours=23),
    )
)

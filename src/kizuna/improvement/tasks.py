"""Background work of the improvement app: the daily reminder to plan owners.

Registered with :mod:`kizuna.core.scheduler` when imported. It runs at 23:30 UTC, which
is 08:30 in Japan, so the email is waiting when the owner starts the day.
"""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from kizuna.core.scheduler import PeriodicJob, register
from kizuna.improvement import reminders


@task
def send_plan_reminders() -> int:
    """Email owners of active plans with a review within 7 days or an overdue action
    (once per plan per day); return how many emails were sent."""
    return reminders.send_due_reminders()


register(
    PeriodicJob(
        "improvement.send_plan_reminders",
        send_plan_reminders,
        every=timedelta(days=1),
        offset=timedelta(hours=23, minutes=30),
    )
)

"""Background work of the survey engine, and its daily jobs.

Importing this module registers the jobs with :mod:`kizuna.core.scheduler`. People-facing
messages go out at 09:00 JST (00:00 UTC), not in the night; closing runs just after
midnight JST so a survey stays open through its whole closing day.
"""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from kizuna.core.scheduler import PeriodicJob, register
from kizuna.surveys import services
from kizuna.surveys.models import Survey

DAY = timedelta(days=1)


@task
def send_invitations(survey_id: int) -> int:
    """Send the pending invitations of a just-launched survey; returns how many reached."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return 0
    return len(services.send_pending_invitations(survey).delivered)


@task
def launch_onboarding_surveys() -> int:
    """Invite people who joined 30 days ago to the onboarding survey (once each)."""
    return services.launch_onboarding_surveys()


@task
def launch_exit_surveys() -> int:
    """Invite people about to leave (or who just left) to the exit survey (once each)."""
    return services.launch_exit_surveys()


@task
def send_due_reminders() -> int:
    """Remind non-respondents three days before an open survey closes."""
    return services.send_due_reminders()


@task
def close_due_surveys() -> int:
    """Close surveys past their closing date, then blur completion traces of open ones."""
    closed = services.close_due_surveys()
    services.scrub_completion_traces()
    return closed


register(
    PeriodicJob(
        "surveys.launch_onboarding", launch_onboarding_surveys, every=DAY, offset=timedelta(0)
    )
)
register(
    PeriodicJob("surveys.launch_exit", launch_exit_surveys, every=DAY, offset=timedelta(minutes=5))
)
register(
    PeriodicJob(
        "surveys.send_due_reminders", send_due_reminders, every=DAY, offset=timedelta(minutes=10)
    )
)
register(
    PeriodicJob(
        "surveys.close_due_surveys",
        close_due_surveys,
        every=DAY,
        offset=timedelta(hours=15, minutes=5),
    )
)

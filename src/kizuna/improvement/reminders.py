"""Daily reminders to the owners of plans with something due.

A plan is due a reminder when it is in progress and its review date is at most
``REVIEW_WINDOW`` away (or has passed without a review), or one of its actions is past
its due date and not done. Each plan's owner gets at most one email per plan per day,
however often the job runs: the ``PlanReminder`` row for (plan, day) is written in the
same transaction as the email is handed to the mail backend, and its unique constraint
lets only one run write it. If sending fails, the row rolls back and a later run that
day tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from kizuna.improvement.models import Action, Plan, PlanReminder, PlanStatus, Review

logger = logging.getLogger(__name__)

REVIEW_WINDOW = dt.timedelta(days=7)


def due_plans(today: dt.date) -> QuerySet[Plan]:
    """Active plans with a review coming up (or overdue and not yet done) or an overdue
    action, whose owner can receive email and has not been reminded today."""
    overdue_action = Action.objects.filter(
        plan=OuterRef("pk"), done_on__isnull=True, due_on__lt=today
    )
    reviewed = Review.objects.filter(plan=OuterRef("pk"), on__gte=OuterRef("review_on"))
    reminded = PlanReminder.objects.filter(plan=OuterRef("pk"), sent_on=today)
    review_due = Q(review_on__lte=today + REVIEW_WINDOW) & ~Exists(reviewed)
    return (
        Plan.objects.filter(status=PlanStatus.ACTIVE, owner__is_active=True)
        .exclude(owner__email="")
        .filter(review_due | Exists(overdue_action))
        .exclude(Exists(reminded))
        .select_related("owner")
        .order_by("pk")
    )


@dataclass(frozen=True)
class ReminderContent:
    plan: Plan
    review_in_days: int | None  # None: the review is not due within the window
    overdue_actions: list[Action]


def content_for(plan: Plan, today: dt.date) -> ReminderContent:
    reviewed = plan.reviews.filter(on__gte=plan.review_on).exists()
    review_in = (plan.review_on - today).days
    return ReminderContent(
        plan=plan,
        review_in_days=None if reviewed or review_in > REVIEW_WINDOW.days else review_in,
        overdue_actions=list(
            plan.actions.filter(done_on__isnull=True, due_on__lt=today).order_by("due_on")
        ),
    )


def plan_url(plan: Plan) -> str:
    """An absolute link when ``KIZUNA_BASE_URL`` is set (emails leave the site)."""
    path = reverse("improvement:plan_detail", args=[plan.pk])
    base = str(getattr(settings, "KIZUNA_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def _send(content: ReminderContent) -> None:
    owner = content.plan.owner
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        context = {"c": content, "owner": owner, "url": plan_url(content.plan)}
        subject = render_to_string("improvement/email/reminder_subject.txt", context)
        body = render_to_string("improvement/email/reminder.txt", context)
    send_mail(" ".join(subject.split()), body, None, [owner.email])


def send_due_reminders(today: dt.date | None = None) -> int:
    """Email each due plan's owner once today; return how many emails were sent."""
    today = today or timezone.localdate()
    sent = 0
    for plan in due_plans(today):
        content = content_for(plan, today)
        if content.review_in_days is None and not content.overdue_actions:
            continue
        try:
            with transaction.atomic():
                PlanReminder.objects.create(plan=plan, sent_on=today)
                _send(content)
        except IntegrityError:
            logger.debug("plan %s already reminded on %s", plan.pk, today)
            continue
        except Exception:
            # One bad address or a mail server hiccup must not stop the others.
            logger.exception("reminder for plan %s could not be sent", plan.pk)
            continue
        sent += 1
    return sent

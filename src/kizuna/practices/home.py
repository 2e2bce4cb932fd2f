"""What the home page tells each person about their own practices: the next 1on1, open
action items, the recognition points left this week and the reviews waiting for them.

Only the person's own records: nothing here is about anyone else's contents, so it needs
no capability beyond being signed in with an employee record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from kizuna.org.models import Employee


@dataclass(frozen=True)
class PracticesSummary:
    next_meeting_id: int | None
    next_meeting_at: dt.datetime | None
    next_meeting_with: str
    open_actions: int
    points_left: int
    points_weekly: int
    thanks_received_30d: int
    reviews_to_write: int


def summary(employee: Employee, now: dt.datetime | None = None) -> PracticesSummary:
    from kizuna.practices.evaluation.models import CycleStatus, Participant, Review, ReviewKind
    from kizuna.practices.evaluation.services import feedback_to_write
    from kizuna.practices.oneonones.models import ActionItem, MeetingStatus
    from kizuna.practices.oneonones.services import meetings_of
    from kizuna.practices.recognition.models import ThanksRecipient
    from kizuna.practices.recognition.services import budget_for

    now = now or timezone.now()
    today = timezone.localdate(now)
    upcoming = (
        meetings_of(employee)
        .filter(status=MeetingStatus.SCHEDULED, scheduled_at__gte=now, pair__active=True)
        .order_by("scheduled_at")
        .first()
    )
    other = ""
    if upcoming is not None:
        pair = upcoming.pair
        other = (pair.member if pair.manager_id == employee.pk else pair.manager).full_name
    open_actions = ActionItem.objects.filter(owner=employee, done=False).count()
    budget = budget_for(employee, now)
    received = ThanksRecipient.objects.filter(
        employee=employee, thanks__posted_on__gte=today - dt.timedelta(days=29)
    ).count()
    open_cycles = Participant.objects.filter(cycle__status=CycleStatus.OPEN)

    def submitted(kind: str) -> Exists:
        return Exists(
            Review.objects.filter(participant=OuterRef("pk"), kind=kind, submitted_on__isnull=False)
        )

    self_due = open_cycles.filter(employee=employee).exclude(submitted(ReviewKind.SELF)).count()
    mine_to_review = Q(manager=employee) | Q(manager__isnull=True, employee__manager=employee)
    manager_due = open_cycles.filter(mine_to_review).exclude(submitted(ReviewKind.MANAGER)).count()
    return PracticesSummary(
        next_meeting_id=upcoming.pk if upcoming else None,
        next_meeting_at=upcoming.scheduled_at if upcoming else None,
        next_meeting_with=other,
        open_actions=open_actions,
        points_left=budget.remaining,
        points_weekly=budget.weekly,
        thanks_received_30d=received,
        reviews_to_write=self_due + manager_due + feedback_to_write(employee).count(),
    )

"""The day-before reminder: an email to both participants and a Slack DM to each.

A meeting is due a reminder when it is still scheduled and falls on tomorrow's date
(local time). Each meeting is reminded once, however often the job runs: the
``MeetingReminder`` row is written in the same transaction as the emails are handed to
the mail backend, and its unique meeting lets only one run write it. If the email fails
the row rolls back and a later run tries again. Slack messages go out after the commit
(a second channel; ``direct_message`` never raises).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from kizuna.core import slack
from kizuna.org.models import Employee
from kizuna.practices.oneonones.models import Meeting, MeetingReminder, MeetingStatus

logger = logging.getLogger(__name__)


def meeting_link(meeting: Meeting) -> str:
    base = str(getattr(settings, "KIZUNA_BASE_URL", "") or "").rstrip("/")
    return base + reverse("oneonones:meeting", args=[meeting.pk])


def due_meetings(today: dt.date) -> QuerySet[Meeting]:
    """Scheduled meetings on ``today + 1`` (local date) not reminded yet."""
    tomorrow = today + dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(tomorrow, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    reminded = MeetingReminder.objects.filter(meeting=OuterRef("pk"))
    return (
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            scheduled_at__gte=start,
            scheduled_at__lt=end,
            pair__active=True,
        )
        .exclude(Exists(reminded))
        .select_related("pair__manager__user", "pair__member__user")
        .order_by("scheduled_at", "pk")
    )


def _language(employee: Employee) -> str:
    user = employee.user
    return (getattr(user, "language", "") if user else "") or settings.LANGUAGE_CODE


def _message(meeting: Meeting, to: Employee) -> tuple[str, str, str]:
    """(subject, email body, Slack text) in the recipient's language."""
    other = meeting.pair.member if to.pk == meeting.pair.manager_id else meeting.pair.manager
    with translation.override(_language(to)):
        context = {
            "meeting": meeting,
            "to": to,
            "other": other,
            "when": timezone.localtime(meeting.scheduled_at),
            "url": meeting_link(meeting),
            "agenda_count": meeting.agenda_items.count(),
        }
        subject = render_to_string("oneonones/email/reminder_subject.txt", context)
        body = render_to_string("oneonones/email/reminder.txt", context)
        text = render_to_string("oneonones/email/reminder_slack.txt", context)
    return " ".join(subject.split()), body, text.strip()


def send_due_reminders(today: dt.date | None = None) -> int:
    """Remind both participants of each of tomorrow's meetings once; return how many
    meetings were reminded."""
    today = today or timezone.localdate()
    reminded = 0
    for meeting in due_meetings(today):
        people = [meeting.pair.manager, meeting.pair.member]
        messages = {person.pk: _message(meeting, person) for person in people}
        try:
            with transaction.atomic():
                row = MeetingReminder.objects.create(meeting=meeting)
                emails = 0
                for person in people:
                    if person.email:
                        subject, body, _text = messages[person.pk]
                        send_mail(subject, body, None, [person.email])
                        emails += 1
                row.emails = emails
                row.save(update_fields=["emails"])
        except IntegrityError:
            logger.debug("1on1 %s already reminded", meeting.pk)
            continue
        except Exception:
            logger.exception("reminder for 1on1 %s could not be sent", meeting.pk)
            continue
        sent = sum(
            1
            for person in people
            if person.email and slack.direct_message(person.email, messages[person.pk][2])
        )
        MeetingReminder.objects.filter(pk=row.pk).update(slack_messages=sent)
        reminded += 1
    return reminded

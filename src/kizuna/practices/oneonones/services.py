"""Every change to 1on1 data, and every read that needs a participant check.

Who may do what:

* a meeting's agenda, shared notes and action items: its pair's two participants only;
  anyone else gets ``Http404`` (the meeting does not exist for them);
* a private note: its writer only (``private_note_for`` filters on the writer);
* the rating: the member only, after the meeting was held;
* the cadence of a pair: its manager, HR and admins (``rules.can_change_cadence``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kizuna.core import access
from kizuna.org.models import Employee, EmployeeHistory
from kizuna.org.services import employed_on
from kizuna.practices.oneonones.models import (
    CADENCE_DAYS,
    DEFAULT_CADENCE,
    ActionItem,
    AgendaItem,
    Cadence,
    Meeting,
    MeetingStatus,
    Pair,
    PrivateNote,
    SharedNote,
    SupportWanted,
    TopicKind,
)

# --- pairs from the org chart ------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    created: int
    reactivated: int
    deactivated: int


def sync_pairs(today: dt.date) -> SyncResult:
    """Make the active pairs match the org chart on ``today``.

    Every employee employed on ``today`` whose manager is also employed gets an active
    pair with that manager (new pairs meet every two weeks; a pair that had ended starts
    again with its old cadence). A pair starts when its reporting line began, as the
    employee history tells (:func:`line_start`). Active pairs whose reporting line no
    longer exists end on the first day without it: the day after the member or manager
    left, the day the member's history shows another manager, at the latest ``today``.
    """
    employed = employed_on(today)
    lines = set(employed.filter(manager__in=employed.values("pk")).values_list("manager_id", "pk"))
    existing = {
        (p.manager_id, p.member_id): p for p in Pair.objects.select_related("manager", "member")
    }
    members = {member_id for _m, member_id in lines} | {p.member_id for p in existing.values()}
    history = history_of(members)
    hired = dict(
        Employee.objects.filter(
            pk__in=members | {manager_id for manager_id, _m in lines}
        ).values_list("pk", "hire_date")
    )
    created: list[Pair] = []
    reactivated: list[Pair] = []
    for manager_id, member_id in lines:
        pair = existing.get((manager_id, member_id))
        start = line_start(history.get(member_id, []), manager_id, today, hired, member_id)
        if pair is None:
            created.append(
                Pair(
                    manager_id=manager_id,
                    member_id=member_id,
                    cadence=DEFAULT_CADENCE,
                    interval_days=CADENCE_DAYS[DEFAULT_CADENCE],
                    started_on=start,
                )
            )
        elif not pair.active:
            pair.started_on = max(start, pair.ended_on or start)
            pair.active, pair.ended_on = True, None
            reactivated.append(pair)
    ended = [
        pair
        for key, pair in existing.items()
        if pair.active and key not in lines and pair.started_on <= today
    ]
    for pair in ended:
        pair.active = False
        pair.ended_on = max(
            pair.started_on, _line_end(pair, history.get(pair.member_id, []), today)
        )
    with transaction.atomic():
        Pair.objects.bulk_create(created, batch_size=500)
        Pair.objects.bulk_update(reactivated, ["active", "started_on", "ended_on"])
        Pair.objects.bulk_update(ended, ["active", "ended_on"])
    return SyncResult(len(created), len(reactivated), len(ended))


HistoryRow = tuple[dt.date, dt.date | None, int | None]  # valid_from, valid_to, manager


def history_of(member_ids: set[int]) -> dict[int, list[HistoryRow]]:
    rows: dict[int, list[HistoryRow]] = {}
    for employee_id, valid_from, valid_to, manager_id in (
        EmployeeHistory.objects.filter(employee__in=member_ids)
        .order_by("employee_id", "valid_from")
        .values_list("employee_id", "valid_from", "valid_to", "manager_id")
    ):
        rows.setdefault(employee_id, []).append((valid_from, valid_to, manager_id))
    return rows


def line_start(
    rows: list[HistoryRow],
    manager_id: int,
    today: dt.date,
    hired: dict[int, dt.date],
    member_id: int,
) -> dt.date:
    """When the member began reporting to the manager: walk back over the member's
    contiguous history rows with this manager from the one in force ``today``; when that
    reaches the member's first history row (nothing is known before it) the line is taken
    to go back to the later of the two hire dates. ``today`` when the history does not
    show the line at all (it was changed without history)."""
    floor = max(hired.get(member_id, today), hired.get(manager_id, today))
    current = [
        i
        for i, (start, end, _m) in enumerate(rows)
        if start <= today and (end is None or today < end)
    ]
    if not current or rows[current[0]][2] != manager_id:
        return today
    i = current[0]
    while i > 0 and rows[i - 1][2] == manager_id and rows[i - 1][1] == rows[i][0]:
        i -= 1
    start = rows[i][0] if i > 0 else min(rows[i][0], floor)
    return min(today, max(start, floor))


def _line_end(pair: Pair, rows: list[HistoryRow], today: dt.date) -> dt.date:
    """The first day the pair's reporting line no longer held (at the latest ``today``)."""
    candidates = [today]
    for person in (pair.member, pair.manager):
        if person.leave_date is not None and person.leave_date < today:
            candidates.append(person.leave_date + dt.timedelta(days=1))
    candidates.extend(
        start
        for start, _end, manager_id in rows
        if pair.started_on < start <= today and manager_id != pair.manager_id
    )
    return min(candidates)


# --- who is who --------------------------------------------------------------------------


def pairs_of(employee: Employee) -> QuerySet[Pair]:
    """Pairs the employee takes part in (as manager or member)."""
    return Pair.objects.filter(Q(manager=employee) | Q(member=employee)).select_related(
        "manager", "member", "member__department"
    )


def is_participant(employee: Employee | None, pair: Pair) -> bool:
    return employee is not None and employee.pk in pair.participant_ids()


def pair_for(user: object, pk: int) -> Pair:
    """The pair if the user is one of its participants, else ``Http404``."""
    employee = access.own_employee(user)
    if employee is None:
        raise Http404
    try:
        return pairs_of(employee).get(pk=pk)
    except Pair.DoesNotExist:
        raise Http404 from None


def meetings_of(employee: Employee) -> QuerySet[Meeting]:
    return Meeting.objects.filter(
        Q(pair__manager=employee) | Q(pair__member=employee)
    ).select_related("pair__manager", "pair__member")


def meeting_for(user: object, pk: int) -> Meeting:
    """The meeting if the user is one of its two participants, else ``Http404`` — HR,
    admins and the manager's own manager included."""
    employee = access.own_employee(user)
    if employee is None:
        raise Http404
    try:
        return meetings_of(employee).get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404 from None


def can_change_cadence(user: object, pair: Pair) -> bool:
    if access.has_role(user, access.ADMIN, access.HR):
        return True
    employee = access.own_employee(user)
    return employee is not None and employee.pk == pair.manager_id


# --- cadence and scheduling -------------------------------------------------------------


def set_cadence(
    pair: Pair,
    cadence: str,
    interval_days: int | None = None,
    weekday: int | None = None,
    time: dt.time | None = None,
    duration_minutes: int | None = None,
) -> Pair:
    if cadence not in Cadence.values:
        raise ValidationError(_("Choose a cadence."))
    if cadence == Cadence.CUSTOM:
        if interval_days is None or not 1 <= interval_days <= 90:
            raise ValidationError(_("Enter an interval between 1 and 90 days."))
        pair.interval_days = interval_days
    else:
        pair.interval_days = CADENCE_DAYS[Cadence(cadence)]
    pair.cadence = cadence
    pair.weekday = weekday
    pair.time = time
    if duration_minutes:
        pair.duration_minutes = duration_minutes
    pair.save(update_fields=["cadence", "interval_days", "weekday", "time", "duration_minutes"])
    return pair


DEFAULT_TIME = dt.time(10, 0)


def suggest_next(pair: Pair, now: dt.datetime | None = None) -> dt.datetime:
    """When the next meeting would fall: one interval after the last held or scheduled
    meeting (at the earliest tomorrow), moved forward to the usual weekday, at the usual
    time (10:00 if none)."""
    now = timezone.localtime(now or timezone.now())
    last = pair.meetings.exclude(status=MeetingStatus.CANCELLED).order_by("-scheduled_at").first()
    tomorrow = now.date() + dt.timedelta(days=1)
    day = tomorrow
    if last is not None:
        day = max(
            tomorrow,
            timezone.localtime(last.scheduled_at).date() + dt.timedelta(days=pair.interval),
        )
    if pair.weekday is not None:
        day += dt.timedelta(days=(pair.weekday - day.weekday()) % 7)
    when = dt.datetime.combine(day, pair.time or DEFAULT_TIME)
    return timezone.make_aware(when)


def schedule_meeting(pair: Pair, when: dt.datetime, duration_minutes: int | None = None) -> Meeting:
    if not pair.active:
        raise ValidationError(_("This pair has ended; no new meetings can be scheduled."))
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return Meeting.objects.create(
        pair=pair, scheduled_at=when, duration_minutes=duration_minutes or pair.duration_minutes
    )


def next_meetings(pairs: list[Pair], now: dt.datetime | None = None) -> dict[int, Meeting]:
    """The next scheduled meeting (from now on) per pair id."""
    now = now or timezone.now()
    found: dict[int, Meeting] = {}
    upcoming = Meeting.objects.filter(
        pair__in=[p.pk for p in pairs], status=MeetingStatus.SCHEDULED, scheduled_at__gte=now
    ).order_by("scheduled_at")
    for meeting in upcoming:
        found.setdefault(meeting.pair_id, meeting)
    return found


def mark_held(meeting: Meeting, held_on: dt.date | None = None) -> Meeting:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be marked as held."))
    meeting.status = MeetingStatus.HELD
    # held on the scheduled day, or today when it took place earlier than planned
    scheduled_day = timezone.localtime(meeting.scheduled_at).date()
    meeting.held_on = held_on or min(scheduled_day, timezone.localdate())
    meeting.save(update_fields=["status", "held_on"])
    return meeting


def cancel(meeting: Meeting) -> Meeting:
    if meeting.status == MeetingStatus.HELD:
        raise ValidationError(_("A meeting that was held cannot be cancelled."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.held_on = None
    meeting.save(update_fields=["status", "held_on"])
    return meeting


# --- contents ------------------------------------------------------------------------------


def _require_participant(meeting: Meeting, employee: Employee) -> None:
    if not is_participant(employee, meeting.pair):
        raise Http404


def add_agenda_item(
    meeting: Meeting,
    author: Employee,
    text: str,
    topic: str = TopicKind.PROGRESS,
    support: str = SupportWanted.LISTEN,
) -> AgendaItem:
    """Either participant adds a topic while the meeting is still scheduled."""
    _require_participant(meeting, author)
    text = text.strip()
    if not meeting.is_open:
        raise ValidationError(_("Topics can be added only before the meeting."))
    if not text:
        raise ValidationError(_("Write the topic."))
    if len(text) > 500:
        raise ValidationError(_("Keep the topic to 500 characters or fewer."))
    if topic not in TopicKind.values:
        raise ValidationError(_("Choose a kind of topic."))
    if support not in SupportWanted.values:
        raise ValidationError(_("Choose the kind of support wanted."))
    return AgendaItem.objects.create(
        meeting=meeting, author=author, text=text, topic=topic, support=support
    )


def add_shared_note(meeting: Meeting, author: Employee, text: str) -> SharedNote:
    _require_participant(meeting, author)
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the note."))
    if len(text) > 5000:
        raise ValidationError(_("Keep the note to 5,000 characters or fewer."))
    return SharedNote.objects.create(meeting=meeting, author=author, text=text)


def private_note_for(meeting: Meeting, writer: Employee) -> PrivateNote | None:
    """The writer's own private note on the meeting — the only read of private notes."""
    return PrivateNote.objects.of_writer(writer).filter(meeting=meeting).first()


def save_private_note(meeting: Meeting, writer: Employee, text: str) -> PrivateNote | None:
    """Create, replace or (with empty text) delete the writer's private note."""
    _require_participant(meeting, writer)
    if len(text) > 10000:
        raise ValidationError(_("Keep the note to 10,000 characters or fewer."))
    note = private_note_for(meeting, writer)
    if not text.strip():
        if note is not None:
            PrivateNote.objects.of_writer(writer).filter(pk=note.pk).delete()
        return None
    if note is None:
        return PrivateNote.objects.create_for(meeting=meeting, writer=writer, text=text)
    note.text = text
    note.save(update_fields=["text", "updated_at"])
    return note


def add_action_item(meeting: Meeting, by: Employee, owner_id: int, text: str) -> ActionItem:
    _require_participant(meeting, by)
    if owner_id not in meeting.pair.participant_ids():
        raise ValidationError(_("An action belongs to one of the two participants."))
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the action."))
    if len(text) > 500:
        raise ValidationError(_("Keep the action to 500 characters or fewer."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("The meeting was cancelled; add the action to another one."))
    return ActionItem.objects.create(
        pair=meeting.pair, meeting=meeting, owner_id=owner_id, text=text
    )


def toggle_action(item: ActionItem, by: Employee, today: dt.date | None = None) -> ActionItem:
    if not is_participant(by, item.pair):
        raise Http404
    item.done = not item.done
    item.done_on = (today or timezone.localdate()) if item.done else None
    item.save(update_fields=["done", "done_on"])
    return item


def action_items_for(meeting: Meeting) -> tuple[list[ActionItem], list[ActionItem]]:
    """(created in this meeting, carried forward): carried are the pair's items from
    earlier meetings still open, or closed on or after this meeting's day."""
    items = ActionItem.objects.filter(pair=meeting.pair).select_related("owner", "meeting")
    here = [i for i in items if i.meeting_id == meeting.pk]
    day = timezone.localtime(meeting.scheduled_at).date()
    carried = [
        i
        for i in items.filter(meeting__scheduled_at__lt=meeting.scheduled_at)
        .filter(Q(done=False) | Q(done_on__gte=day))
        .order_by("created_at")
    ]
    return here, carried


def rate(meeting: Meeting, by: Employee, rating: int) -> Meeting:
    """The member's すっきり度 (1–5), once the meeting was held; it can be changed."""
    _require_participant(meeting, by)
    if by.pk != meeting.pair.member_id:
        raise ValidationError(_("Only the member rates the meeting."))
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError(_("The meeting can be rated after it was held."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(_("Choose a rating from 1 to 5."))
    meeting.rating = rating
    meeting.rated_at = timezone.now()
    meeting.save(update_fields=["rating", "rated_at"])
    return meeting

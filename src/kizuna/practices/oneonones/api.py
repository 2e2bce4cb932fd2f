"""REST endpoints of the oneonones app (django-ninja router, mounted at /api/one-on-ones).

Only the caller's own pairs and meetings; a meeting of anyone else answers 404, whatever
the caller's role. Private notes are never part of any response: no schema here has a
field for them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from kizuna.core import access
from kizuna.org.models import Employee
from kizuna.practices.oneonones import metrics, services
from kizuna.practices.oneonones.models import (
    Meeting,
    Pair,
    SupportWanted,
    TopicKind,
)

router = Router(tags=["oneonones"])


class PersonOut(Schema):
    id: int
    employee_number: str
    name: str


class PairOut(Schema):
    id: int
    manager: PersonOut
    member: PersonOut
    my_role: str
    cadence: str
    interval_days: int
    active: bool
    started_on: dt.date
    days_since_last_meeting: int | None


class MeetingOut(Schema):
    id: int
    pair_id: int
    scheduled_at: dt.datetime
    duration_minutes: int
    status: str
    held_on: dt.date | None


class AgendaItemOut(Schema):
    id: int
    author: PersonOut
    text: str
    topic: str
    support: str
    created_at: dt.datetime


class SharedNoteOut(Schema):
    id: int
    author: PersonOut
    text: str
    created_at: dt.datetime


class ActionItemOut(Schema):
    id: int
    owner: PersonOut
    text: str
    done: bool
    done_on: dt.date | None
    meeting_id: int
    carried_forward: bool


class MeetingDetailOut(MeetingOut):
    rating: int | None
    agenda: list[AgendaItemOut]
    shared_notes: list[SharedNoteOut]
    action_items: list[ActionItemOut]


class AgendaItemIn(Schema):
    text: str
    topic: str = TopicKind.PROGRESS
    support: str = SupportWanted.LISTEN


def _me(request: HttpRequest) -> Employee:
    employee = access.own_employee(request.user)
    if employee is None:
        raise HttpError(404, "no employee record for this login")
    return employee


def _person(employee: Employee) -> dict[str, Any]:
    return {
        "id": employee.pk,
        "employee_number": employee.employee_number,
        "name": employee.full_name,
    }


def _pair(pair: Pair, me: Employee, today: dt.date) -> dict[str, Any]:
    return {
        "id": pair.pk,
        "manager": _person(pair.manager),
        "member": _person(pair.member),
        "my_role": "manager" if pair.manager_id == me.pk else "member",
        "cadence": pair.cadence,
        "interval_days": pair.interval,
        "active": pair.active,
        "started_on": pair.started_on,
        "days_since_last_meeting": metrics.days_since_last_meeting(pair, today),
    }


def _meeting(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "pair_id": meeting.pair_id,
        "scheduled_at": meeting.scheduled_at,
        "duration_minutes": meeting.duration_minutes,
        "status": meeting.status,
        "held_on": meeting.held_on,
    }


@router.get("/pairs", response=list[PairOut], url_name="oneonones_pairs")
def oneonones_pairs(request: HttpRequest) -> list[dict[str, Any]]:
    """My 1on1 pairs, as manager or member."""
    me = _me(request)
    today = timezone.localdate()
    return [_pair(pair, me, today) for pair in services.pairs_of(me)]


@router.get("/meetings", response=list[MeetingOut], url_name="oneonones_meetings")
def oneonones_meetings(request: HttpRequest) -> list[dict[str, Any]]:
    """My 1on1 meetings, newest first (at most 200)."""
    return [_meeting(m) for m in services.meetings_of(_me(request)).order_by("-scheduled_at")[:200]]


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, url_name="oneonones_meeting")
def oneonones_meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    """One meeting with its agenda, shared notes and action items (participants only;
    404 otherwise). Private notes are not part of the response."""
    meeting = services.meeting_for(request.user, meeting_id)
    here, carried = services.action_items_for(meeting)
    return {
        **_meeting(meeting),
        "rating": meeting.rating,
        "agenda": [
            {
                "id": item.pk,
                "author": _person(item.author),
                "text": item.text,
                "topic": item.topic,
                "support": item.support,
                "created_at": item.created_at,
            }
            for item in meeting.agenda_items.select_related("author")
        ],
        "shared_notes": [
            {
                "id": note.pk,
                "author": _person(note.author),
                "text": note.text,
                "created_at": note.created_at,
            }
            for note in meeting.shared_notes.select_related("author")
        ],
        "action_items": [
            {
                "id": item.pk,
                "owner": _person(item.owner),
                "text": item.text,
                "done": item.done,
                "done_on": item.done_on,
                "meeting_id": item.meeting_id,
                "carried_forward": item.meeting_id != meeting.pk,
            }
            for item in [*carried, *here]
        ],
    }


@router.post(
    "/meetings/{meeting_id}/agenda",
    response={201: AgendaItemOut},
    url_name="oneonones_agenda_add",
)
def oneonones_agenda_add(
    request: HttpRequest, meeting_id: int, payload: AgendaItemIn
) -> Status[dict[str, Any]]:
    """Add a topic to the agenda (either participant, before the meeting)."""
    meeting = services.meeting_for(request.user, meeting_id)
    try:
        item = services.add_agenda_item(
            meeting, _me(request), payload.text, payload.topic, payload.support
        )
    except ValidationError as exc:
        raise HttpError(400, " ".join(exc.messages)) from exc
    return Status(
        201,
        {
            "id": item.pk,
            "author": _person(item.author),
            "text": item.text,
            "topic": item.topic,
            "support": item.support,
            "created_at": item.created_at,
        },
    )

"""Pairs from the org chart, scheduling, agenda, notes, action items and rating rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from kizuna.org.models import Employee
from kizuna.org.services import record_employee_change
from kizuna.practices.oneonones import services
from kizuna.practices.oneonones.models import (
    Meeting,
    MeetingStatus,
    Pair,
    PrivateNote,
)

from .conftest import PAIRS_FROM, at

pytestmark = pytest.mark.django_db


def test_sync_pairs_follows_the_org_chart(company: dict[str, Any]) -> None:
    # six people, everyone but E001 has a manager -> five pairs, every two weeks
    assert services.sync_pairs(PAIRS_FROM) == services.SyncResult(5, 0, 0)
    # the lines go back to the first history rows and hire dates (2020-04-01), not to
    # the day Kizuna first saw them
    assert set(Pair.objects.values_list("cadence", "interval_days", "active", "started_on")) == {
        ("biweekly", 14, True, dt.date(2020, 4, 1))
    }
    # running again changes nothing
    assert services.sync_pairs(PAIRS_FROM) == services.SyncResult(0, 0, 0)
    people = company["people"]
    moved = dt.date(2026, 3, 1)
    # E004 now reports to E002; E006 left on 02-27 (not employed on 03-01)
    people["E004"].manager = people["E002"]
    people["E004"].save()
    record_employee_change(people["E004"], moved)
    Employee.objects.filter(pk=people["E006"].pk).update(leave_date=dt.date(2026, 2, 27))
    # new: E002-E004; ended: E003-E004, E005-E006
    assert services.sync_pairs(moved) == services.SyncResult(1, 0, 2)
    old = Pair.objects.get(manager=people["E003"], member=people["E004"])
    assert (old.active, old.ended_on) == (False, moved)
    # E006's last day was 02-27: the pair ended on 02-28, the first day without the line
    gone = Pair.objects.get(manager=people["E005"], member=people["E006"])
    assert (gone.active, gone.ended_on) == (False, dt.date(2026, 2, 28))
    new = Pair.objects.get(manager=people["E002"], member=people["E004"])
    assert (new.active, new.started_on, new.interval) == (True, moved, 14)
    # E004 goes back to E003 on 04-01 without a history row: the history does not show
    # the line, so the old pair starts again on the sync day, keeping its cadence
    services.set_cadence(old, "weekly")
    people["E004"].manager = people["E003"]
    people["E004"].save()
    back = dt.date(2026, 4, 1)
    assert services.sync_pairs(back) == services.SyncResult(0, 1, 1)
    old.refresh_from_db()
    assert (old.active, old.started_on, old.ended_on, old.interval) == (True, back, None, 7)


def test_cadence_rules(pairs: dict[str, Pair]) -> None:
    pair = pairs["E003-E004"]
    services.set_cadence(pair, "custom", interval_days=21)
    assert pair.interval == 21
    services.set_cadence(pair, "weekly")
    assert (pair.interval, pair.interval_days) == (7, 7)
    for bad in (0, 91, None):
        with pytest.raises(ValidationError):
            services.set_cadence(pair, "custom", interval_days=bad)
    with pytest.raises(ValidationError):
        services.set_cadence(pair, "monthly")
    pair.refresh_from_db()
    assert pair.cadence == "weekly"


def test_suggest_next_meeting(pairs: dict[str, Pair], meet: Callable[..., Meeting]) -> None:
    pair = pairs["E003-E004"]
    now = at(dt.date(2026, 6, 1), 9)  # a Monday
    # never met: tomorrow 06-02 at 10:00
    assert services.suggest_next(pair, now) == at(dt.date(2026, 6, 2))
    # last meeting 05-28 + 14 days = 06-11 (Thursday); usual weekday Friday -> 06-12 15:00
    meet(pair, dt.date(2026, 5, 28))
    services.set_cadence(pair, "biweekly", weekday=4, time=dt.time(15, 0))
    assert services.suggest_next(pair, now) == at(dt.date(2026, 6, 12), 15)


def test_agenda_both_participants_before_the_meeting_only(
    pairs: dict[str, Pair], company: dict[str, Any], meet: Callable[..., Meeting]
) -> None:
    people = company["people"]
    meeting = meet(pairs["E003-E004"], dt.date(2026, 6, 10), MeetingStatus.SCHEDULED)
    services.add_agenda_item(meeting, people["E004"], "転職も考えています", "career", "listen")
    services.add_agenda_item(meeting, people["E003"], "Q3の目標", "progress", "decide")
    assert meeting.agenda_items.count() == 2
    with pytest.raises(Http404):  # the manager's manager is not a participant
        services.add_agenda_item(meeting, people["E002"], "x")
    with pytest.raises(ValidationError):
        services.add_agenda_item(meeting, people["E004"], "  ")
    with pytest.raises(ValidationError):
        services.add_agenda_item(meeting, people["E004"], "x", topic="gossip")
    services.mark_held(meeting)
    assert meeting.held_on == dt.date(2026, 6, 10)
    with pytest.raises(ValidationError):
        services.add_agenda_item(meeting, people["E004"], "後から")
    assert meeting.agenda_items.count() == 2


def test_rating_by_the_member_after_the_meeting(
    pairs: dict[str, Pair], company: dict[str, Any], meet: Callable[..., Meeting]
) -> None:
    people = company["people"]
    meeting = meet(pairs["E003-E004"], dt.date(2026, 6, 10), MeetingStatus.SCHEDULED)
    with pytest.raises(ValidationError):  # not held yet
        services.rate(meeting, people["E004"], 4)
    services.mark_held(meeting)
    with pytest.raises(ValidationError):  # the manager cannot rate
        services.rate(meeting, people["E003"], 5)
    with pytest.raises(Http404):
        services.rate(meeting, people["E002"], 5)
    for bad in (0, 6):
        with pytest.raises(ValidationError):
            services.rate(meeting, people["E004"], bad)
    services.rate(meeting, people["E004"], 4)
    meeting.refresh_from_db()
    assert meeting.rating == 4
    with pytest.raises(ValidationError):
        services.cancel(meeting)


def test_open_action_items_carry_forward_until_done(
    pairs: dict[str, Pair], company: dict[str, Any], meet: Callable[..., Meeting]
) -> None:
    people = company["people"]
    pair = pairs["E003-E004"]
    first = meet(pair, dt.date(2026, 6, 1))
    second = meet(pair, dt.date(2026, 6, 15))
    third = meet(pair, dt.date(2026, 6, 29), MeetingStatus.SCHEDULED)
    a = services.add_action_item(first, people["E003"], people["E004"].pk, "資格の申込み")
    b = services.add_action_item(first, people["E004"], people["E003"].pk, "研修の予算確認")
    services.toggle_action(b, people["E003"], today=dt.date(2026, 6, 2))  # done before 2nd
    with pytest.raises(ValidationError):  # only the two participants own actions
        services.add_action_item(first, people["E003"], people["E002"].pk, "x")
    here, carried = services.action_items_for(second)
    assert (here, carried) == ([], [a])
    services.toggle_action(a, people["E004"], today=dt.date(2026, 6, 15))  # done at the 2nd
    # the second meeting still lists it (done that day); the third no longer does
    assert services.action_items_for(second)[1] == [a]
    assert services.action_items_for(third) == ([], [])
    assert services.action_items_for(first) == ([a, b], [])
    with pytest.raises(Http404):
        services.toggle_action(a, people["E002"])


def test_private_notes_are_their_writers_alone(
    pairs: dict[str, Pair], company: dict[str, Any], meet: Callable[..., Meeting]
) -> None:
    people = company["people"]
    meeting = meet(pairs["E003-E004"], dt.date(2026, 6, 1))
    services.save_private_note(meeting, people["E003"], "上長のメモ: 異動の希望あり")
    services.save_private_note(meeting, people["E004"], "本人のメモ")
    assert services.private_note_for(meeting, people["E003"]).text == "上長のメモ: 異動の希望あり"
    assert services.private_note_for(meeting, people["E004"]).text == "本人のメモ"
    # the manager's manager writes nothing and reads nothing here
    assert services.private_note_for(meeting, people["E002"]) is None
    with pytest.raises(Http404):
        services.save_private_note(meeting, people["E002"], "x")
    # the default manager lists nobody's notes; both rows exist
    assert list(PrivateNote.objects.all()) == []
    assert PrivateNote._base_manager.count() == 2
    # replacing keeps one note; empty text deletes it
    services.save_private_note(meeting, people["E003"], "書き直し")
    assert services.private_note_for(meeting, people["E003"]).text == "書き直し"
    services.save_private_note(meeting, people["E003"], "   ")
    assert services.private_note_for(meeting, people["E003"]) is None
    assert PrivateNote._base_manager.count() == 1


def test_an_applied_org_import_syncs_the_pairs(company: dict[str, Any]) -> None:
    """The import engine (behind both the upload page and ``kizuna import``) announces
    the change; a rejected file changes nothing, an applied one brings the pairs along."""
    from kizuna.org.importing import engine
    from kizuna.org.importing.types import ImportRejected

    header = "社員番号,姓,名,メールアドレス,入社日,部署コード,上長社員番号\n"
    bad = (header + "E007,新井,誠,e007@test.example,2026-04-01,NOPE,E005\n").encode()
    with pytest.raises(ImportRejected):
        engine.apply("employees", bad, "bad.csv", dt.date(2026, 4, 1))
    assert not Pair.objects.exists()
    good = (header + "E007,新井,誠,e007@test.example,2026-04-01,DEV,E005\n").encode()
    engine.apply("employees", good, "new.csv", dt.date(2026, 4, 1))
    # five reporting lines in the fixture company plus 新井 → 田中 (E005)
    assert Pair.objects.filter(active=True).count() == 6
    assert Pair.objects.filter(member__employee_number="E007", manager__employee_number="E005")


def test_a_meeting_held_earlier_than_planned_counts_from_today(
    pairs: dict[str, Pair], meet: Callable[..., Meeting]
) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    later = meet(pairs["E003-E004"], today + dt.timedelta(days=3), MeetingStatus.SCHEDULED)
    services.mark_held(later)
    assert later.held_on == today  # not three days in the future
    earlier = meet(pairs["E003-E004"], today - dt.timedelta(days=3), MeetingStatus.SCHEDULED)
    services.mark_held(earlier)
    assert earlier.held_on == today - dt.timedelta(days=3)

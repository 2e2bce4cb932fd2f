"""Demo data of the 1on1 app: pairs from the sample company's org chart and about six
months of meetings.

The story it plants:
- most pairs meet on cadence (every two weeks; one in ten weekly), so company coverage
  is about 80–90 %;
- the members of ``kizuna.engagement.demo.low_one_on_one_teams()`` (two sales teams)
  rarely meet their manager: their coverage stays well under 30 %, and their すっきり度 is
  lower when they do;
- recent meetings carry agenda items of every topic kind, shared notes and action items
  (some still open, so they carry forward), most held meetings are rated by the member,
  and a few have a private note written by the manager;
- the demo manager (manager@sample.example) and the demo employee
  (employee@sample.example) each have a 1on1 tomorrow with an agenda, carried-forward
  action items, a private note of their own and a held meeting still waiting for the
  member's rating (the employee's).

Everything is written with ``bulk_create``; a fixed seed makes it the same every time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kizuna.core.models import User
from kizuna.org.models import Employee
from kizuna.practices.oneonones import services
from kizuna.practices.oneonones.models import (
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

SEED = 20261207
DAYS = 183
CONTENT_DAYS = 70  # agenda, notes and actions for the meetings of the last ten weeks
TIMES = [dt.time(10, 0), dt.time(11, 0), dt.time(13, 30), dt.time(15, 0), dt.time(16, 30)]

AGENDA: dict[str, list[str]] = {
    TopicKind.PROGRESS: [
        "今期の目標の進み具合",
        "担当案件の優先順位を相談したい",
        "来週のリリース準備の状況",
        "顧客提案の進め方",
        "月次レポートの作り方を見直したい",
    ],
    TopicKind.CAREER: [
        "来年度やってみたい仕事",
        "マネージャーを目指すかどうか迷っている",
        "社内公募への応募を考えています",
        "専門性をどう伸ばすか",
    ],
    TopicKind.CONCERN: [
        "業務量が多く残業が続いている",
        "チーム内の役割分担がはっきりしない",
        "在宅勤務と出社のバランス",
        "他部署との連携で困っていること",
    ],
    TopicKind.GROWTH: [
        "最近のフィードバックの振り返り",
        "受けたい研修について",
        "プレゼンの練習をしたい",
        "資格取得の計画",
    ],
}
SHARED_NOTES = [
    "優先順位を整理し、A案件を先に進めることで合意。",
    "次回までに目標の達成基準を具体化する。",
    "業務量については来月の体制変更で調整する予定。",
    "研修は下期の枠で申し込むことにした。",
    "キャリアの希望は引き続き話していく。",
]
ACTIONS = [
    "研修の申込みをする",
    "目標シートを更新する",
    "他部署との定例を設定する",
    "業務の棚卸しリストを作る",
    "来期の希望をまとめて共有する",
    "資料のレビューを依頼する",
]
PRIVATE_NOTES = [
    "疲れが見える。業務量を来週もう一度確認する。",
    "異動の希望がありそう。次回それとなく聞く。",
    "評価への不安が強い。期待値を丁寧に伝える。",
]
MEMBER_NOTE = "次回は研修の予算について聞く。自分の強みを3つ書き出しておく。"


def _login_employee(email: str) -> Employee | None:
    user = User.objects.filter(email=email).first()
    return Employee.objects.filter(user=user).first() if user else None


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def build_demo(today: dt.date, progress: Callable[[str], None]) -> dict[str, int]:
    """Build the 1on1 demo once (nothing happens when pairs exist); return counts."""
    if Pair.objects.exists():
        return {"pairs": 0, "meetings": 0}
    progress(_("1on1s: pairs from the org chart and six months of meetings…"))
    from kizuna.engagement.demo import low_one_on_one_teams

    rng = np.random.default_rng(SEED)
    first = today - dt.timedelta(days=DAYS)
    low_departments = {d.pk for d in low_one_on_one_teams()}
    demo_manager = _login_employee("manager@sample.example")
    demo_employee = _login_employee("employee@sample.example")
    with transaction.atomic():
        services.sync_pairs(today)
        pairs = list(Pair.objects.select_related("manager", "member"))
        for pair in pairs:
            pair.started_on = max(first, pair.started_on)  # six months of history
            pair.weekday = int(rng.integers(0, 5))
            pair.time = TIMES[int(rng.integers(0, len(TIMES)))]
            if rng.random() < 0.1:
                pair.cadence, pair.interval_days = Cadence.WEEKLY, 7
        Pair.objects.bulk_update(
            pairs, ["started_on", "weekday", "time", "cadence", "interval_days"]
        )
        meetings, upcoming = _meetings(pairs, today, rng, low_departments)
        Meeting.objects.bulk_create(meetings + upcoming, batch_size=1000)
        featured = {e.pk for e in (demo_manager, demo_employee) if e is not None}
        counts = _contents(meetings, upcoming, today, rng, low_departments, featured)
        counts.update(_featured(pairs, today, demo_manager, demo_employee))
    return {"pairs": len(pairs), "meetings": Meeting.objects.count(), **counts}


def _meetings(
    pairs: list[Pair], today: dt.date, rng: np.random.Generator, low: set[int]
) -> tuple[list[Meeting], list[Meeting]]:
    """Past meetings on each pair's weekday every interval (held, cancelled or skipped)
    and the next one scheduled after today."""
    past: list[Meeting] = []
    upcoming: list[Meeting] = []
    for pair in pairs:
        rare = pair.member.department_id in low
        held_p = 0.22 if rare else 0.94
        day = pair.started_on + dt.timedelta(days=(pair.weekday or 0) - pair.started_on.weekday())
        if day < pair.started_on:
            day += dt.timedelta(days=7)
        while day < today:
            draw = rng.random()
            if draw < held_p:
                shift = int(rng.choice([0, 0, 0, 1, 2]))
                held_on = min(day + dt.timedelta(days=shift), today - dt.timedelta(days=1))
                past.append(
                    Meeting(
                        pair=pair,
                        scheduled_at=_at(held_on, pair.time or dt.time(10, 0)),
                        status=MeetingStatus.HELD,
                        held_on=held_on,
                    )
                )
            elif draw < held_p + (1 - held_p) * 0.4:
                past.append(
                    Meeting(
                        pair=pair,
                        scheduled_at=_at(day, pair.time or dt.time(10, 0)),
                        status=MeetingStatus.CANCELLED,
                    )
                )
            day += dt.timedelta(days=pair.interval)
        if not rare or rng.random() < 0.3:
            upcoming.append(Meeting(pair=pair, scheduled_at=_at(day, pair.time or dt.time(10, 0))))
    return past, upcoming


def _contents(
    meetings: list[Meeting],
    upcoming: list[Meeting],
    today: dt.date,
    rng: np.random.Generator,
    low: set[int],
    featured: set[int],
) -> dict[str, int]:
    """Ratings for most held meetings; agenda, shared notes and actions for recent ones;
    a few private notes by managers."""
    since = today - dt.timedelta(days=CONTENT_DAYS)
    agenda: list[AgendaItem] = []
    notes: list[SharedNote] = []
    actions: list[ActionItem] = []
    private: list[PrivateNote] = []
    rated: list[Meeting] = []
    kinds = list(AGENDA)
    latest: dict[int, Meeting] = {}
    for meeting in meetings:
        if meeting.status != MeetingStatus.HELD or meeting.held_on is None:
            continue
        pair = meeting.pair
        prev = latest.get(pair.pk)
        if prev is None or (prev.held_on or today) < meeting.held_on:
            latest[pair.pk] = meeting
        if rng.random() < 0.75:
            mean = 2.6 if pair.member.department_id in low else 3.9
            meeting.rating = int(np.clip(round(rng.normal(mean, 0.8)), 1, 5))
            meeting.rated_at = _at(meeting.held_on, dt.time(18, 0))
            rated.append(meeting)
        if meeting.held_on < since:
            continue
        for _n in range(int(rng.integers(1, 4))):
            kind = kinds[int(rng.integers(0, len(kinds)))]
            texts = AGENDA[kind]
            by_member = rng.random() < 0.7
            agenda.append(
                AgendaItem(
                    meeting=meeting,
                    author=pair.member if by_member else pair.manager,
                    text=texts[int(rng.integers(0, len(texts)))],
                    topic=kind,
                    support=[SupportWanted.LISTEN, SupportWanted.ADVISE, SupportWanted.DECIDE][
                        int(rng.integers(0, 3))
                    ],
                )
            )
        notes.append(
            SharedNote(
                meeting=meeting,
                author=pair.manager,
                text=SHARED_NOTES[int(rng.integers(0, len(SHARED_NOTES)))],
            )
        )
        for _n in range(int(rng.integers(0, 3))):
            done = rng.random() < 0.7
            actions.append(
                ActionItem(
                    pair=pair,
                    meeting=meeting,
                    owner=pair.member if rng.random() < 0.7 else pair.manager,
                    text=ACTIONS[int(rng.integers(0, len(ACTIONS)))],
                    done=done,
                    done_on=min(meeting.held_on + dt.timedelta(days=7), today) if done else None,
                )
            )
        if pair.manager_id not in featured and rng.random() < 0.015:
            private.append(
                PrivateNote(
                    meeting=meeting,
                    writer=pair.manager,
                    text=PRIVATE_NOTES[int(rng.integers(0, len(PRIVATE_NOTES)))],
                )
            )
    # the upcoming meeting's agenda: members add topics before the meeting
    for meeting in upcoming:
        if rng.random() < 0.6:
            kind = kinds[int(rng.integers(0, len(kinds)))]
            agenda.append(
                AgendaItem(
                    meeting=meeting,
                    author=meeting.pair.member,
                    text=AGENDA[kind][int(rng.integers(0, len(AGENDA[kind])))],
                    topic=kind,
                    support=SupportWanted.ADVISE,
                )
            )
    Meeting.objects.bulk_update(rated, ["rating", "rated_at"], batch_size=1000)
    AgendaItem.objects.bulk_create(agenda, batch_size=1000)
    SharedNote.objects.bulk_create(notes, batch_size=1000)
    ActionItem.objects.bulk_create(actions, batch_size=1000)
    # auto_now_add stamped everything "now": date each row at its meeting instead
    for item in agenda:
        item.created_at = item.meeting.scheduled_at - dt.timedelta(days=2)
    for note in notes:
        note.created_at = note.meeting.scheduled_at + dt.timedelta(minutes=30)
    for action in actions:
        action.created_at = action.meeting.scheduled_at + dt.timedelta(minutes=30)
    AgendaItem.objects.bulk_update(agenda, ["created_at"], batch_size=1000)
    SharedNote.objects.bulk_update(notes, ["created_at"], batch_size=1000)
    ActionItem.objects.bulk_update(actions, ["created_at"], batch_size=1000)
    PrivateNote.objects.bulk_create(private)
    return {
        "agenda_items": len(agenda),
        "shared_notes": len(notes),
        "action_items": len(actions),
        "private_notes": len(private),
        "ratings": len(rated),
    }


def _featured(
    pairs: list[Pair],
    today: dt.date,
    demo_manager: Employee | None,
    demo_employee: Employee | None,
) -> dict[str, Any]:
    """The demo logins' own 1on1s: tomorrow's meeting with an agenda, an open action from
    the last meeting, a private note of their own and (for the member) a held meeting
    waiting for the rating."""
    tomorrow = today + dt.timedelta(days=1)
    extra = 0
    for me in (demo_manager, demo_employee):
        if me is None:
            continue
        mine = [p for p in pairs if me.pk in (p.manager_id, p.member_id)]
        if me is demo_manager:
            mine = [p for p in mine if p.manager_id == me.pk][:1] or mine[:1]
        else:
            mine = [p for p in mine if p.member_id == me.pk][:1]
        for pair in mine:
            last = (
                Meeting.objects.filter(pair=pair, status=MeetingStatus.HELD)
                .order_by("-held_on")
                .first()
            )
            if last is None or (last.held_on and (today - last.held_on).days > 6):
                held_on = today - dt.timedelta(days=2)
                last = Meeting.objects.create(
                    pair=pair,
                    scheduled_at=_at(held_on, pair.time or dt.time(10, 0)),
                    status=MeetingStatus.HELD,
                    held_on=held_on,
                )
                SharedNote.objects.create(meeting=last, author=pair.manager, text=SHARED_NOTES[1])
                AgendaItem.objects.create(
                    meeting=last,
                    author=pair.member,
                    text="業務量が多く残業が続いている",
                    topic=TopicKind.CONCERN,
                    support=SupportWanted.ADVISE,
                )
                extra += 1
            if me is demo_employee:
                Meeting.objects.filter(pk=last.pk).update(rating=None, rated_at=None)
            ActionItem.objects.create(
                pair=pair, meeting=last, owner=pair.member, text="目標シートを更新する"
            )
            ActionItem.objects.create(
                pair=pair, meeting=last, owner=pair.manager, text="研修の予算を確認する"
            )
            Meeting.objects.filter(
                pair=pair, status=MeetingStatus.SCHEDULED, scheduled_at__gte=_at(today, dt.time.min)
            ).delete()
            nxt = Meeting.objects.create(
                pair=pair, scheduled_at=_at(tomorrow, pair.time or dt.time(15, 0))
            )
            AgendaItem.objects.create(
                meeting=nxt,
                author=pair.member,
                text="来年度やってみたい仕事",
                topic=TopicKind.CAREER,
                support=SupportWanted.ADVISE,
            )
            AgendaItem.objects.create(
                meeting=nxt,
                author=pair.manager,
                text="今期の目標の進み具合",
                topic=TopicKind.PROGRESS,
                support=SupportWanted.LISTEN,
            )
            note = PRIVATE_NOTES[0] if me.pk == pair.manager_id else MEMBER_NOTE
            services.save_private_note(last, me, note)
            extra += 1
    return {"featured_meetings": extra}

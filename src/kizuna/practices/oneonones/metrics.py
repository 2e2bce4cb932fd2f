"""1on1 KPIs. Definition (``../shared/METRICS.md`` §HR KPIs): "1on1 coverage: share of
manager–report pairs that met within their cadence (weekly or every two weeks) in the
last 30 days". The exact rule Kizuna applies is in :func:`coverage` (and docs/one-on-ones.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Employee
from kizuna.practices.kpi import Ratio
from kizuna.practices.oneonones.models import Meeting, MeetingStatus, Pair

WINDOW_DAYS = 30

COVERAGE_HELP = _(
    "Share of active manager–member pairs that met within their cadence in the 30 days up "
    "to the date. A pair met its cadence when the number of 1on1s held in the window is at "
    "least the window's length divided by the interval (7 days weekly, 14 every two weeks, "
    "or the custom interval), rounded down, and at least one. The window is shortened for "
    "pairs that started, or members who joined, less than 30 days ago. Cancelled meetings "
    "do not count; members who have left are not counted."
)


@dataclass(frozen=True)
class PairCadence:
    """How one pair stands against its cadence on ``as_of``."""

    pair: Pair
    window_start: dt.date
    window_days: int
    held: int
    required: int

    @property
    def met(self) -> bool:
        return self.held >= self.required


def pairs_on(as_of: dt.date, people: QuerySet[Employee] | None = None) -> QuerySet[Pair]:
    """Pairs counted on ``as_of``: active that day (started on or before it and not ended
    by it) whose member is in ``people`` (default everyone) and employed that day."""
    pairs = Pair.objects.filter(started_on__lte=as_of).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=as_of)
    )
    pairs = pairs.filter(member__hire_date__lte=as_of).filter(
        Q(member__leave_date__isnull=True) | Q(member__leave_date__gte=as_of)
    )
    if people is not None:
        pairs = pairs.filter(member__in=people.values("pk"))
    return pairs.select_related("member", "manager")


def _window_start(pair: Pair, as_of: dt.date) -> dt.date:
    start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    return max(start, pair.started_on, pair.member.hire_date)


def cadence_status(as_of: dt.date, people: QuerySet[Employee] | None = None) -> list[PairCadence]:
    """Each counted pair with its window, meetings held in it and meetings required."""
    pairs = list(pairs_on(as_of, people))
    first = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    held: dict[int, list[dt.date]] = defaultdict(list)
    rows = Meeting.objects.filter(
        pair__in=[p.pk for p in pairs],
        status=MeetingStatus.HELD,
        held_on__gte=first,
        held_on__lte=as_of,
    ).values_list("pair_id", "held_on")
    for pair_id, held_on in rows:
        if held_on is not None:
            held[pair_id].append(held_on)
    result = []
    for pair in pairs:
        start = _window_start(pair, as_of)
        window_days = (as_of - start).days + 1
        result.append(
            PairCadence(
                pair=pair,
                window_start=start,
                window_days=window_days,
                held=sum(1 for day in held[pair.pk] if day >= start),
                required=max(1, window_days // pair.interval),
            )
        )
    return result


def coverage(as_of: dt.date, people: QuerySet[Employee] | None = None) -> Ratio:
    """1on1 coverage on ``as_of``: pairs that met their cadence / pairs counted.

    METRICS.md: "share of manager–report pairs that met within their cadence (weekly or
    every two weeks) in the last 30 days". Kizuna's exact rule:

    * pairs counted: active pairs on ``as_of`` (``started_on`` ≤ as_of and not ended by
      it) whose member is in ``people`` (default everyone) and employed on ``as_of``;
    * window: the 30 days ending ``as_of`` (as_of − 29 … as_of), shortened to start on
      the day the pair started or the member was hired when that is later;
    * a pair met its cadence when the meetings HELD in the window (status held, by
      ``held_on``; scheduled and cancelled meetings do not count) number at least
      ``max(1, floor(window_days / interval_days))`` — interval 7 weekly, 14 every two
      weeks, the custom interval otherwise.
    """
    rows = cadence_status(as_of, people)
    return Ratio(sum(1 for row in rows if row.met), len(rows))


def days_since_last_meeting(pair: Pair, as_of: dt.date) -> int | None:
    """Days from the last meeting held on or before ``as_of`` to ``as_of``; ``None`` when
    the pair has never met."""
    last = pair.meetings.filter(status=MeetingStatus.HELD, held_on__lte=as_of).aggregate(
        last=Max("held_on")
    )["last"]
    return None if last is None else (as_of - last).days


def last_meetings(pairs: list[Pair], as_of: dt.date) -> dict[int, dt.date]:
    """The last held meeting date per pair id (pairs that never met are absent)."""
    rows = (
        Meeting.objects.filter(
            pair__in=[p.pk for p in pairs], status=MeetingStatus.HELD, held_on__lte=as_of
        )
        .values("pair_id")
        .annotate(last=Max("held_on"))
    )
    return {row["pair_id"]: row["last"] for row in rows}

"""Every change in the recognition app goes through here: posting thanks against the
weekly budget, claps, values and settings, award rounds, and the points export.

Rules (docs/recognition.md):

- The budget week runs Monday 00:00 to Sunday 24:00 in Asia/Tokyo; unused points are not
  carried over. A post gives ``points`` to each recipient and costs the sender
  ``points × recipients``; ``points`` may not exceed the per-post maximum.
- The budget is computed inside the transaction that saves the post, after locking the
  sender's employee row (``select_for_update``; SQLite serialises write transactions), so
  two posts sent at the same moment cannot overspend.
- A refused post saves nothing and says why, field by field (``ValidationError`` with a
  dict, so forms show the message next to the field and the API returns field paths).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kizuna.core import audit, slack
from kizuna.org.models import Employee
from kizuna.practices.recognition.models import (
    AwardRound,
    AwardStatus,
    Ballot,
    Clap,
    CompanyValue,
    Nomination,
    RecognitionSettings,
    Thanks,
    ThanksRecipient,
    VoteReceipt,
)

logger = logging.getLogger(__name__)

TOKYO = ZoneInfo("Asia/Tokyo")
MESSAGE_MAX = 2000


# --- dates -------------------------------------------------------------------------


def tokyo_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date of ``moment`` (default now) in Asia/Tokyo."""
    return timezone.localtime(moment or timezone.now(), TOKYO).date()


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def current_employees(day: dt.date | None = None) -> QuerySet[Employee]:
    """Employees employed on ``day`` (default today in Tokyo)."""
    day = day or tokyo_date()
    return Employee.objects.filter(hire_date__lte=day).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=day)
    )


# --- budget ------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    weekly: int
    used: int
    max_per_post: int
    week_start: dt.date

    @property
    def remaining(self) -> int:
        return max(self.weekly - self.used, 0)

    @property
    def week_end(self) -> dt.date:
        return self.week_start + dt.timedelta(days=6)


def used_points(sender: Employee, monday: dt.date) -> int:
    """Points ``sender`` has given in the week starting ``monday``."""
    total = ThanksRecipient.objects.filter(
        thanks__sender=sender, thanks__week_start=monday
    ).aggregate(total=Sum("points"))["total"]
    return int(total or 0)


def budget_for(sender: Employee, moment: dt.datetime | None = None) -> Budget:
    config = RecognitionSettings.current()
    monday = week_start(tokyo_date(moment))
    return Budget(
        weekly=config.weekly_budget,
        used=used_points(sender, monday),
        max_per_post=config.max_per_post,
        week_start=monday,
    )


# --- thanks ------------------------------------------------------------------------


def _errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def post_thanks(
    sender: Employee,
    recipients: Iterable[Employee],
    values: Iterable[CompanyValue],
    message: str,
    points: int,
    *,
    moment: dt.datetime | None = None,
) -> Thanks:
    """Save a thanks post, or raise ``ValidationError`` (field → messages) and save nothing.

    Fields in the errors: ``recipients``, ``values``, ``message``, ``points``."""
    moment = moment or timezone.now()
    day = tokyo_date(moment)
    people = list({r.pk: r for r in recipients}.values())
    chosen = list({v.pk: v for v in values}.values())
    message = (message or "").strip()
    errors: dict[str, list[str]] = {}
    if not sender.is_employed_on(day):
        errors.setdefault("__all__", []).append(_("Only current employees can send thanks."))
    if not people:
        errors.setdefault("recipients", []).append(_("Choose at least one person to thank."))
    if any(p.pk == sender.pk for p in people):
        errors.setdefault("recipients", []).append(_("You cannot thank yourself."))
    gone = [p for p in people if not p.is_employed_on(day)]
    if gone:
        errors.setdefault("recipients", []).append(
            _("Only current employees can be thanked: %(names)s.")
            % {"names": "、".join(p.full_name for p in gone)}
        )
    if not chosen:
        errors.setdefault("values", []).append(_("Choose at least one company value."))
    elif any(not v.active for v in chosen):
        errors.setdefault("values", []).append(_("That value is no longer in use."))
    if not message:
        errors.setdefault("message", []).append(_("Write a message."))
    elif len(message) > MESSAGE_MAX:
        errors.setdefault("message", []).append(
            _("The message is too long (at most %(max)d characters).") % {"max": MESSAGE_MAX}
        )
    config = RecognitionSettings.current()
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        errors.setdefault("points", []).append(_("Points must be a whole number, 0 or more."))
    elif points > config.max_per_post:
        errors.setdefault("points", []).append(
            _("At most %(cap)d points per recipient in one post.") % {"cap": config.max_per_post}
        )
    _errors(errors)

    monday = week_start(day)
    cost = points * len(people)
    with transaction.atomic():
        # Lock the sender's row so concurrent posts by the same person queue here; the
        # budget is read after the lock, inside this transaction.
        Employee.objects.select_for_update().filter(pk=sender.pk).first()
        used = used_points(sender, monday)
        remaining = max(config.weekly_budget - used, 0)
        if cost > remaining:
            raise ValidationError(
                {
                    "points": [
                        _(
                            "This post costs %(cost)d points (%(points)d × %(n)d people) but "
                            "you have %(remaining)d of %(budget)d points left this week."
                        )
                        % {
                            "cost": cost,
                            "points": points,
                            "n": len(people),
                            "remaining": remaining,
                            "budget": config.weekly_budget,
                        }
                    ]
                }
            )
        thanks = Thanks.objects.create(
            sender=sender,
            message=message,
            points=points,
            created_at=moment,
            posted_on=day,
            week_start=monday,
        )
        ThanksRecipient.objects.bulk_create(
            [
                ThanksRecipient(
                    thanks=thanks, employee=p, points=points, department_id=p.department_id
                )
                for p in people
            ]
        )
        thanks.values.set(chosen)
        channel = config.slack_channel
        if channel:
            pk = thanks.pk
            transaction.on_commit(lambda: announce(pk, channel))
    return thanks


def slack_text(thanks: Thanks) -> str:
    """The channel message, in the organisation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        names = "、".join(
            r.employee.full_name
            for r in thanks.recipient_rows.select_related("employee").order_by("pk")
        )
        values = "、".join(
            v.display_name(settings.LANGUAGE_CODE) for v in thanks.values.order_by("order")
        )
        url = settings.KIZUNA_BASE_URL + reverse("recognition:thanks", args=[thanks.pk])
        head = _("%(sender)s thanked %(recipients)s (%(values)s, %(points)d points each)") % {
            "sender": thanks.sender.full_name,
            "recipients": names,
            "values": values,
            "points": thanks.points,
        }
        return f"{head}\n{thanks.message}\n{url}"


def announce(thanks_id: int, channel: str) -> bool:
    """Post a thanks to the Slack channel; never raises (Slack is a second channel)."""
    thanks = Thanks.objects.select_related("sender").filter(pk=thanks_id).first()
    if thanks is None:
        return False
    try:
        return slack.post_to_channel(channel, slack_text(thanks))
    except Exception:  # pragma: no cover - post_to_channel already never raises
        logger.exception("recognition: Slack announce failed")
        return False


def toggle_clap(thanks: Thanks, employee: Employee) -> bool:
    """Clap a post (one clap per person per post) or take the clap back; returns whether
    the person now claps it. Nobody claps their own post."""
    if thanks.sender_id == employee.pk:
        raise ValidationError({"__all__": [_("You cannot clap your own post.")]})
    if not employee.is_employed_on(tokyo_date()):
        raise ValidationError({"__all__": [_("Only current employees can clap.")]})
    with transaction.atomic():
        deleted, _rows = Clap.objects.filter(thanks=thanks, employee=employee).delete()
        if deleted:
            return False
        try:
            with transaction.atomic():
                Clap.objects.create(thanks=thanks, employee=employee)
        except IntegrityError:  # a double click raced us: it is clapped either way
            pass
    return True


# --- values and settings -------------------------------------------------------------


def save_value(value: CompanyValue, by: Any) -> CompanyValue:
    created = value.pk is None
    value.full_clean()
    value.save()
    audit.record(
        by,
        "recognition.value.create" if created else "recognition.value.update",
        value,
        name=value.name,
        active=value.active,
    )
    return value


def save_settings(row: RecognitionSettings, by: Any) -> RecognitionSettings:
    row.full_clean()
    row.save()
    audit.record(
        by,
        "recognition.settings.update",
        row,
        weekly_budget=row.weekly_budget,
        max_per_post=row.max_per_post,
        slack_channel=row.slack_channel,
    )
    return row


# --- awards --------------------------------------------------------------------------


def create_round(
    title: str,
    period: str,
    period_start: dt.date,
    *,
    description: str = "",
    by: Any = None,
) -> AwardRound:
    award = AwardRound(
        title=title.strip(),
        period=period,
        period_start=period_start,
        description=description,
        created_by=by if getattr(by, "pk", None) else None,
    )
    award.full_clean()
    award.save()
    audit.record(by, "recognition.award.create", award, title=award.title)
    return award


def nominate(award: AwardRound, by: Employee, nominee: Employee, reason: str) -> Nomination:
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if award.status != AwardStatus.NOMINATION:
        errors["__all__"] = [_("Nominations for this award are closed.")]
    today = tokyo_date()
    if not by.is_employed_on(today):
        errors.setdefault("__all__", []).append(_("Only current employees can nominate."))
    if nominee.pk == by.pk:
        errors["nominee"] = [_("You cannot nominate yourself.")]
    elif not nominee.is_employed_on(today):
        errors["nominee"] = [_("Only current employees can be nominated.")]
    if not reason:
        errors["reason"] = [_("Say why you nominate this colleague.")]
    elif len(reason) > MESSAGE_MAX:
        errors["reason"] = [
            _("The reason is too long (at most %(max)d characters).") % {"max": MESSAGE_MAX}
        ]
    if (
        "nominee" not in errors
        and Nomination.objects.filter(round=award, nominee=nominee, nominated_by=by).exists()
    ):
        errors["nominee"] = [_("You have already nominated this colleague.")]
    _errors(errors)
    return Nomination.objects.create(round=award, nominee=nominee, nominated_by=by, reason=reason)


def nominees(award: AwardRound) -> list[Employee]:
    ids = award.nominations.values_list("nominee_id", flat=True).distinct()
    return list(Employee.objects.filter(pk__in=ids).select_related("department"))


def has_voted(award: AwardRound, voter: Employee) -> bool:
    return VoteReceipt.objects.filter(round=award, voter=voter).exists()


def vote(award: AwardRound, voter: Employee, nominee: Employee) -> None:
    """Cast a secret vote: a receipt that ``voter`` voted and a ballot for ``nominee`` that
    carries no link back to the voter. One vote per person per round, never oneself."""
    errors: dict[str, list[str]] = {}
    if award.status != AwardStatus.VOTING:
        errors["__all__"] = [_("Voting for this award is not open.")]
    if not voter.is_employed_on(tokyo_date()):
        errors.setdefault("__all__", []).append(_("Only current employees can vote."))
    if nominee.pk == voter.pk:
        errors["nominee"] = [_("You cannot vote for yourself.")]
    elif not award.nominations.filter(nominee=nominee).exists():
        errors["nominee"] = [_("Vote for one of the nominated colleagues.")]
    _errors(errors)
    try:
        with transaction.atomic():
            VoteReceipt.objects.create(round=award, voter=voter)
            Ballot.objects.create(round=award, nominee=nominee)
    except IntegrityError:
        raise ValidationError({"__all__": [_("You have already voted in this round.")]}) from None


def advance(award: AwardRound, by: Any) -> AwardRound:
    """Nominations → voting → closed (results published)."""
    with transaction.atomic():
        award = AwardRound.objects.select_for_update().get(pk=award.pk)
        if award.status == AwardStatus.NOMINATION:
            if not award.nominations.exists():
                raise ValidationError(
                    {"__all__": [_("Nobody has been nominated yet; voting cannot start.")]}
                )
            award.status = AwardStatus.VOTING
        elif award.status == AwardStatus.VOTING:
            award.status = AwardStatus.CLOSED
            award.closed_at = timezone.now()
        else:
            raise ValidationError({"__all__": [_("This award round is already closed.")]})
        award.save(update_fields=["status", "closed_at"])
    audit.record(by, "recognition.award.advance", award, status=award.status)
    return award


@dataclass(frozen=True)
class Standing:
    employee: Employee
    votes: int
    rank: int
    winner: bool


def results(award: AwardRound) -> list[Standing]:
    """Votes per nominee, most first, only once the round is closed. Equal counts share a
    rank; every nominee with the top count is a winner (a tie is shown as a tie)."""
    if award.status != AwardStatus.CLOSED:
        raise ValidationError(_("Results are shown when the round is closed."))
    counts = dict(
        Ballot.objects.filter(round=award)
        .values_list("nominee_id")
        .annotate(n=Count("id"))
        .values_list("nominee_id", "n")
    )
    people = {e.pk: e for e in nominees(award)}
    ordered = sorted(people.values(), key=lambda e: (-counts.get(e.pk, 0), e.employee_number))
    top = max(counts.values(), default=0)
    out: list[Standing] = []
    previous: int | None = None
    rank = 0
    for position, person in enumerate(ordered, start=1):
        votes = counts.get(person.pk, 0)
        if votes != previous:
            rank = position
            previous = votes
        out.append(Standing(person, votes, rank, winner=top > 0 and votes == top))
    return out


# --- points export -------------------------------------------------------------------


@dataclass(frozen=True)
class PointsRow:
    employee_number: str
    name: str
    department: str
    month: str  # ISO "YYYY-MM"
    points: int
    count: int


def month_bounds(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """From the first day of ``first``'s month to the last day of ``last``'s month."""
    start = first.replace(day=1)
    nxt = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, nxt - dt.timedelta(days=1)


def points_received(first_month: dt.date, last_month: dt.date) -> list[PointsRow]:
    """Points received per employee per month (the month of the post, Tokyo time), for
    months ``first_month`` … ``last_month`` inclusive. People who received nothing in a
    month have no row. Sorted by month, then employee number."""
    start, end = month_bounds(first_month, last_month)
    rows = (
        ThanksRecipient.objects.filter(thanks__posted_on__gte=start, thanks__posted_on__lte=end)
        .values_list("employee_id", "thanks__posted_on", "points")
        .order_by()
    )
    totals: dict[tuple[int, str], list[int]] = {}
    for employee_id, posted_on, points in rows:
        key = (employee_id, posted_on.strftime("%Y-%m"))
        entry = totals.setdefault(key, [0, 0])
        entry[0] += points
        entry[1] += 1
    people = Employee.objects.select_related("department").in_bulk({k[0] for k in totals})
    out = [
        PointsRow(
            employee_number=people[employee_id].employee_number,
            name=people[employee_id].full_name,
            department=people[employee_id].department.name,
            month=month,
            points=points,
            count=count,
        )
        for (employee_id, month), (points, count) in totals.items()
    ]
    out.sort(key=lambda r: (r.month, r.employee_number))
    return out


def export_headers() -> list[str]:
    return [
        _("Employee number"),
        _("Name"),
        _("Department"),
        _("Target month"),
        _("Points received"),
        _("Number of thanks"),
    ]


def _cells(row: PointsRow) -> list[Any]:
    return [row.employee_number, row.name, row.department, row.month, row.points, row.count]


def points_csv(rows: Sequence[PointsRow]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Japanese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(export_headers())
    for row in rows:
        writer.writerow(_cells(row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def points_xlsx(rows: Sequence[PointsRow]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "points"
    sheet.append(export_headers())
    for row in rows:
        sheet.append(_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_points(
    by: Any, first_month: dt.date, last_month: dt.date, fmt: str, *, request: Any = None
) -> tuple[bytes, str, str]:
    """The export file (content, content type, file name), written to the audit log."""
    rows = points_received(first_month, last_month)
    start, end = month_bounds(first_month, last_month)
    name = f"recognition-points-{start:%Y-%m}-{end:%Y-%m}"
    if fmt == "xlsx":
        content = points_xlsx(rows)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name += ".xlsx"
    else:
        fmt = "csv"
        content = points_csv(rows)
        kind = "text/csv; charset=utf-8"
        name += ".csv"
    audit.record(
        by,
        "recognition.points.export",
        request=request,
        target_type="recognition.points",
        first_month=start.isoformat(),
        last_month=end.isoformat(),
        format=fmt,
        rows=len(rows),
    )
    return content, kind, name

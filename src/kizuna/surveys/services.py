"""Every change to surveys goes through these functions (one door per change): the HR
pages, the answer page, the CLI and the scheduled jobs all call them.

Anonymity rules kept here (see ``models.py``): a submission writes an anonymous
``Response`` with the demographic snapshot copied from the invitation and the date only;
the invitation keeps ``completed = True`` and loses its draft, in the same transaction.
Nothing about an individual submission is written to the audit log or the application
log (a timestamped log line next to a response would undo the anonymity).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from kizuna.core import audit
from kizuna.org.models import Employee
from kizuna.surveys import answers as answer_rules
from kizuna.surveys import audience as audiences
from kizuna.surveys import catalog, delivery, rotation, tokens
from kizuna.surveys.answers import AnswerErrors
from kizuna.surveys.models import (
    Answer,
    Invitation,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
    Survey,
    SurveyItem,
    SurveyKind,
    SurveyStatus,
)

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

__all__ = [
    "AnswerErrors",
    "InvitationUnavailable",
    "LaunchResult",
    "close_due_surveys",
    "close_survey",
    "create_survey",
    "invitation_for_token",
    "is_answerable",
    "launch",
    "launch_exit_surveys",
    "launch_onboarding_surveys",
    "response_rates",
    "save_draft",
    "scrub_completion_traces",
    "send_due_reminders",
    "send_pending_invitations",
    "send_reminders",
    "submit",
    "survey_questions",
]

MIN_GROUP_SIZE_FLOOR = 3
ONBOARDING_AFTER_DAYS = 30
EXIT_BEFORE_DAYS = 14
EXIT_AFTER_DAYS = 7
LIFECYCLE_CATCH_UP_DAYS = 6
"""A daily job missed while every worker was down is not replayed by the scheduler; the
lifecycle triggers look back this many extra days so nobody is skipped ("once" is kept
by checking for an existing invitation)."""
LIFECYCLE_ANSWER_DAYS = 14
REMINDER_DAYS_BEFORE_CLOSE = 3
RATE_ATTRIBUTES = {
    "department": "department_id",
    "manager": "manager_id",
    "location": "location",
    "job_level": "job_level",
    "employment_type": "employment_type",
    "gender": "gender",
    "tenure_band": "tenure_band",
    "age_band": "age_band",
}


# --- creating and launching ---------------------------------------------------------------


def create_survey(
    name: str,
    kind: str,
    questionnaire_code: str,
    *,
    audience: Mapping[str, Any],
    opens_on: dt.date | None,
    closes_on: dt.date | None,
    k: int = 5,
    comment_k: int = 10,
    series: str = "",
    created_by: Any,
) -> Survey:
    """Create a draft survey from a questionnaire (template).

    A pulse without a series joins the series named after its template, so consecutive
    pulses rotate their drivers; the wave number is the next in the series.
    """
    errors: dict[str, list[ValidationError]] = {}

    def fail(name: str, message: str | _StrPromise, **params: Any) -> None:
        errors.setdefault(name, []).append(ValidationError(message, params=params or None))

    name = (name or "").strip()
    if not name:
        fail("name", _("Enter a name for the survey."))
    if kind not in SurveyKind.values:
        fail("kind", _("Choose the kind of survey."))
    questionnaire = Questionnaire.objects.filter(code=questionnaire_code).first()
    if questionnaire is None:
        fail("questionnaire", _("Unknown template “%(code)s”."), code=questionnaire_code)
    if k < MIN_GROUP_SIZE_FLOOR:
        fail(
            "min_group_size",
            _(
                "The minimum group size must be at least %(floor)s, so that no answer can "
                "be traced to a person."
            ),
            floor=MIN_GROUP_SIZE_FLOOR,
        )
    if comment_k < k:
        fail(
            "comment_min_group_size",
            _(
                "The minimum group size for comments must be at least the minimum group "
                "size (%(k)s)."
            ),
            k=k,
        )
    if opens_on is None:
        fail("opens_on", _("Enter the opening date."))
    if closes_on is None:
        fail("closes_on", _("Enter the closing date."))
    elif opens_on is not None and closes_on < opens_on:
        fail("closes_on", _("The closing date must be on or after the opening date."))
    try:
        parsed_audience = audiences.parse(audience)
    except ValidationError as error:
        errors.setdefault("audience", []).extend(error.error_list)
    if errors:
        raise ValidationError(errors)
    assert questionnaire is not None
    series = slugify(series)[:50]
    if not series and kind == SurveyKind.PULSE:
        series = questionnaire.code
    wave = 1
    if series:
        last = Survey.objects.filter(series=series).aggregate(last=Max("wave"))["last"]
        wave = (last or 0) + 1
    survey = Survey.objects.create(
        name=name,
        kind=kind,
        questionnaire=questionnaire,
        series=series,
        wave=wave,
        opens_on=opens_on,
        closes_on=closes_on,
        min_group_size=k,
        comment_min_group_size=comment_k,
        audience=parsed_audience,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    audit.record(
        created_by,
        "surveys.create",
        survey,
        kind=kind,
        template=questionnaire.code,
        audience=parsed_audience,
    )
    return survey


@dataclass
class LaunchResult:
    survey: Survey
    invited: int
    emailed: int = 0
    slack: int = 0
    undelivered: int = 0
    links: dict[int, str] = field(default_factory=dict)  # employee pk -> answer link


def survey_questions(survey: Survey) -> list[Question]:
    """The questions the survey asks, in order."""
    return [
        item.question
        for item in SurveyItem.objects.filter(survey=survey)
        .select_related("question__factor")
        .order_by("order")
    ]


def _questionnaire_questions(questionnaire: Questionnaire) -> list[Question]:
    return list(
        Question.objects.filter(questionnaireitem__questionnaire=questionnaire)
        .select_related("factor")
        .order_by("questionnaireitem__order")
    )


def _create_items(survey: Survey) -> list[Question]:
    questions = rotation.select_questions(
        _questionnaire_questions(survey.questionnaire), survey.kind, survey.wave
    )
    SurveyItem.objects.bulk_create(
        [SurveyItem(survey=survey, question=q, order=i) for i, q in enumerate(questions)]
    )
    return questions


def _invite(survey: Survey, people: Sequence[audiences.Person]) -> list[tuple[Invitation, str]]:
    """Create one invitation per person with a fresh token; returns (invitation, token)."""
    raw = {person.employee.pk: tokens.new_token() for person in people}
    Invitation.objects.bulk_create(
        [
            Invitation(
                survey=survey,
                employee=person.employee,
                token_hash=tokens.hash_token(raw[person.employee.pk]),
                language=person.language,
                demographics=person.demographics,
            )
            for person in people
        ],
        batch_size=1000,
    )
    created = Invitation.objects.filter(survey=survey, employee_id__in=list(raw)).select_related(
        "employee"
    )
    return [(invitation, raw[invitation.employee_id]) for invitation in created]


def _deliver_and_mark(
    survey: Survey, pairs: Sequence[tuple[Invitation, str]], today: dt.date, *, reminder: bool
) -> delivery.DeliveryReport:
    minutes = answer_rules.expected_minutes(q.kind for q in survey_questions(survey))
    report = delivery.deliver(survey, pairs, minutes, reminder=reminder)
    reached = list(report.delivered)
    if reached:
        for start in range(0, len(reached), 1000):
            chunk = reached[start : start + 1000]
            if reminder:
                Invitation.objects.filter(pk__in=chunk).update(
                    reminder_count=F("reminder_count") + 1
                )
            else:
                Invitation.objects.filter(pk__in=chunk).update(invited_on=today)
    return report


def launch(
    survey: Survey, *, by_user: Any, today: dt.date | None = None, send: bool = True
) -> LaunchResult:
    """Open the survey: resolve the audience on the opening date, snapshot each person's
    demographics into their invitation, choose the items (a pulse rotates its drivers)
    and, with ``send``, email/Slack the links. Returns counts and the raw links, which
    exist nowhere else once this returns."""
    today = today or timezone.localdate()
    day = survey.opens_on or today
    people = audiences.resolve(survey.audience, day)
    if not people:
        raise ValidationError(
            _("Nobody matches the audience on the opening date. Change the audience or the dates."),
            code="empty_audience",
        )
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status != SurveyStatus.DRAFT:
            raise ValidationError(_("This survey has already been launched."), code="launched")
        _create_items(locked)
        pairs = _invite(locked, people)
        locked.status = SurveyStatus.OPEN
        locked.launched_at = timezone.now()
        locked.save(update_fields=["status", "launched_at"])
        audit.record(
            by_user,
            "surveys.launch",
            locked,
            invited=len(pairs),
            audience=locked.audience,
            wave=locked.wave,
        )
    survey.status, survey.launched_at = locked.status, locked.launched_at
    result = LaunchResult(
        survey=survey,
        invited=len(pairs),
        links={inv.employee_id: delivery.answer_link(token) for inv, token in pairs},
    )
    if send:
        report = _deliver_and_mark(survey, pairs, today, reminder=False)
        result.emailed, result.slack, result.undelivered = (
            report.emailed,
            report.slack,
            report.failed,
        )
    return result


def _reissue(invitations: Iterable[Invitation]) -> list[tuple[Invitation, str]]:
    """New tokens for these invitations (the old links stop working)."""
    pairs = [(invitation, tokens.new_token()) for invitation in invitations]
    for invitation, token in pairs:
        invitation.token_hash = tokens.hash_token(token)
    Invitation.objects.bulk_update([inv for inv, _t in pairs], ["token_hash"], batch_size=500)
    return pairs


def send_pending_invitations(
    survey: Survey, *, today: dt.date | None = None
) -> delivery.DeliveryReport:
    """Send the invitation to everyone in an open survey who has not been sent one (a
    launch without sending, or a mail server that was down). Issues fresh links."""
    today = today or timezone.localdate()
    if survey.status != SurveyStatus.OPEN:
        return delivery.DeliveryReport()
    with transaction.atomic():
        pending = list(
            Invitation.objects.select_for_update()
            .filter(survey=survey, completed=False, invited_on__isnull=True)
            .select_related("employee")
        )
        pairs = _reissue(pending)
    return _deliver_and_mark(survey, pairs, today, reminder=False)


def send_reminders(
    survey: Survey, *, by_user: Any = None, today: dt.date | None = None
) -> delivery.DeliveryReport:
    """Remind everyone invited who has not submitted; never anyone who answered.

    Only invitations already sent are reminded (links handed out by other means are
    left alone). Each reminder carries a fresh link; the draft is kept.
    """
    today = today or timezone.localdate()
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError(_("Only an open survey can send reminders."), code="not_open")
    with transaction.atomic():
        targets = list(
            Invitation.objects.select_for_update()
            .filter(survey=survey, completed=False, invited_on__isnull=False)
            .select_related("employee")
        )
        pairs = _reissue(targets)
    # someone may have submitted while the links were being issued: drop them
    still_open = set(
        Invitation.objects.filter(
            pk__in=[inv.pk for inv, _t in pairs], completed=False
        ).values_list("pk", flat=True)
    )
    pairs = [(inv, token) for inv, token in pairs if inv.pk in still_open]
    report = _deliver_and_mark(survey, pairs, today, reminder=True)
    audit.record(by_user, "surveys.remind", survey, reminded=len(report.delivered))
    return report


def close_survey(survey: Survey, *, by_user: Any = None) -> None:
    """Stop accepting answers and discard unsubmitted drafts (they are not anonymous)."""
    with transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.CLOSED)
        # Rewriting every invitation row also erases which ones changed last.
        Invitation.objects.filter(survey=survey).update(draft=None)
        audit.record(by_user, "surveys.close", survey)
    survey.status = SurveyStatus.CLOSED


# --- answering ----------------------------------------------------------------------------


class InvitationUnavailable(Exception):
    """The link cannot be used; ``reason`` is "unknown" or "closed"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_answerable(survey: Survey, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    if survey.status != SurveyStatus.OPEN:
        return False
    return survey.closes_on is None or today <= survey.closes_on


def invitation_for_token(token: str, *, today: dt.date | None = None) -> Invitation:
    """The invitation behind a link. A completed invitation is returned whatever the
    survey's state (the page thanks the person again); an unknown link or a closed
    survey raises :class:`InvitationUnavailable`."""
    if not tokens.well_formed(token):
        raise InvitationUnavailable("unknown")
    invitation = (
        Invitation.objects.select_related("survey")
        .filter(token_hash=tokens.hash_token(token))
        .first()
    )
    if invitation is None or not tokens.same_hash(invitation.token_hash, token):
        raise InvitationUnavailable("unknown")
    if not invitation.completed and not is_answerable(invitation.survey, today):
        raise InvitationUnavailable("closed")
    return invitation


def save_draft(
    invitation: Invitation, answers: Mapping[str, Any], *, today: dt.date | None = None
) -> bool:
    """Keep the answers so far on the invitation, to resume later. Returns False when the
    invitation was already submitted (nothing is stored then)."""
    if not is_answerable(invitation.survey, today):
        raise InvitationUnavailable("closed")
    cleaned = answer_rules.clean_answers(survey_questions(invitation.survey), answers)
    updated = Invitation.objects.filter(pk=invitation.pk, completed=False).update(draft=cleaned)
    if updated:
        invitation.draft = cleaned
    return bool(updated)


def submit(
    invitation: Invitation, answers: Mapping[str, Any], *, today: dt.date | None = None
) -> bool:
    """Store the answers anonymously. Idempotent: a second submission of the same
    invitation (double click, retry) returns False and stores nothing."""
    today = today or timezone.localdate()
    survey = invitation.survey
    if not invitation.completed and not is_answerable(survey, today):
        raise InvitationUnavailable("closed")
    questions = survey_questions(survey)
    cleaned = answer_rules.clean_answers(questions, answers)
    by_code = {q.code: q for q in questions}
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, completed=False).update(
            completed=True, draft=None
        )
        if not updated:
            return False
        snapshot = invitation.demographics or {}
        response = Response.objects.create(
            survey=survey,
            submitted_on=today,
            language=invitation.language,
            department_id=snapshot.get("department_id"),
            department_path=snapshot.get("department_path") or "",
            manager_id=snapshot.get("manager_id"),
            tenure_band=snapshot.get("tenure_band") or "",
            job_level=snapshot.get("job_level") or "",
            location=snapshot.get("location") or "",
            employment_type=snapshot.get("employment_type") or "",
            gender=snapshot.get("gender") or "",
            age_band=snapshot.get("age_band") or "",
            performance_band=snapshot.get("performance_band") or "",
            custom=snapshot.get("custom") or {},
        )
        Answer.objects.bulk_create(
            [_answer(response, by_code[code], value) for code, value in cleaned.items()]
        )
    invitation.completed, invitation.draft = True, None
    return True


def _answer(response: Response, question: Question, value: answer_rules.Cleaned) -> Answer:
    if question.kind == QuestionKind.TEXT:
        return Answer(response=response, question=question, text=str(value))
    if question.kind == QuestionKind.MULTIPLE:
        return Answer(response=response, question=question, choices=value)
    assert isinstance(value, int)
    return Answer(response=response, question=question, value=value)


# --- counts -------------------------------------------------------------------------------


def with_counts(surveys: QuerySet[Survey]) -> QuerySet[Survey]:
    """Annotate ``invited`` and ``responded`` (raw: pass them through the guard)."""
    return surveys.annotate(
        invited=Count("invitations", distinct=True),
        responded=Count("invitations", filter=Q(invitations__completed=True), distinct=True),
    )


def response_rates(survey: Survey, by: str) -> list[dict[str, Any]]:
    """Invited and responded per value of a snapshot attribute (``RATE_ATTRIBUTES``),
    as raw counts: callers pass them through ``kizuna.engagement.guard`` before showing
    them. Values are strings ("" when the attribute is empty)."""
    if by not in RATE_ATTRIBUTES:
        raise ValueError(f"unknown attribute {by!r}")
    key = RATE_ATTRIBUTES[by]
    rows = (
        Invitation.objects.filter(survey=survey)
        .annotate(group=KT(f"demographics__{key}"))
        .values("group")
        .annotate(invited=Count("pk"), responded=Count("pk", filter=Q(completed=True)))
        .order_by("group")
    )
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        value = "" if row["group"] in (None, "null") else str(row["group"])
        entry = merged.setdefault(value, {"value": value, "invited": 0, "responded": 0})
        entry["invited"] += row["invited"]
        entry["responded"] += row["responded"]
    return sorted(merged.values(), key=lambda r: r["value"])


# --- lifecycle and scheduled work ---------------------------------------------------------


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _lifecycle_survey(kind: str, questionnaire_code: str, today: dt.date) -> Survey:
    """The open lifecycle survey of this month, created on first use.

    Newcomers and leavers are few per day; collecting a month in one survey lets their
    answers reach the anonymity threshold together.
    """
    series = f"{kind}-{today:%Y-%m}"
    survey = Survey.objects.filter(kind=kind, series=series, status=SurveyStatus.OPEN).first()
    if survey is not None:
        return survey
    questionnaire = Questionnaire.objects.filter(code=questionnaire_code).first()
    if questionnaire is None:
        catalog.install_catalog()
        questionnaire = Questionnaire.objects.get(code=questionnaire_code)
    wave = (Survey.objects.filter(series=series).aggregate(last=Max("wave"))["last"] or 0) + 1
    with transaction.atomic():
        survey = Survey.objects.create(
            name=f"{questionnaire.name_ja} {today.year}年{today.month}月",
            kind=kind,
            questionnaire=questionnaire,
            series=series,
            wave=wave,
            status=SurveyStatus.OPEN,
            opens_on=today.replace(day=1),
            closes_on=_month_end(today) + dt.timedelta(days=LIFECYCLE_ANSWER_DAYS),
            audience={"lifecycle": kind},
            launched_at=timezone.now(),
        )
        _create_items(survey)
        audit.record(None, "surveys.launch", survey, lifecycle=kind)
    return survey


def _already_invited(kind: str) -> QuerySet[Invitation]:
    return Invitation.objects.filter(survey__kind=kind)


def _invite_lifecycle(
    kind: str,
    questionnaire_code: str,
    candidates: Iterable[tuple[Employee, dt.date]],
    today: dt.date,
) -> int:
    people = [
        person
        for employee, day in candidates
        if (person := audiences.person_on(employee, day)) is not None
    ]
    if not people:
        return 0
    survey = _lifecycle_survey(kind, questionnaire_code, today)
    with transaction.atomic():
        pairs = _invite(survey, people)
    _deliver_and_mark(survey, pairs, today, reminder=False)
    return len(pairs)


def launch_onboarding_surveys(today: dt.date | None = None) -> int:
    """Invite people hired ``ONBOARDING_AFTER_DAYS`` days ago (once per person) to this
    month's onboarding survey. Returns how many were invited."""
    today = today or timezone.localdate()
    newest = today - dt.timedelta(days=ONBOARDING_AFTER_DAYS)
    oldest = newest - dt.timedelta(days=LIFECYCLE_CATCH_UP_DAYS)
    employees = (
        Employee.objects.filter(hire_date__gte=oldest, hire_date__lte=newest)
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gte=today))
        .exclude(pk__in=_already_invited(SurveyKind.ONBOARDING).values("employee_id"))
        .order_by("pk")
    )
    return _invite_lifecycle(
        SurveyKind.ONBOARDING, catalog.ONBOARDING, [(e, today) for e in employees], today
    )


def launch_exit_surveys(today: dt.date | None = None) -> int:
    """Invite people whose last day is within the next ``EXIT_BEFORE_DAYS`` days or
    passed at most ``EXIT_AFTER_DAYS`` days ago (once per person) to this month's exit
    survey; their snapshot is taken on today or their last day, whichever is earlier."""
    today = today or timezone.localdate()
    employees = (
        Employee.objects.filter(
            leave_date__gte=today - dt.timedelta(days=EXIT_AFTER_DAYS),
            leave_date__lte=today + dt.timedelta(days=EXIT_BEFORE_DAYS),
        )
        .exclude(pk__in=_already_invited(SurveyKind.EXIT).values("employee_id"))
        .order_by("pk")
    )
    candidates = [(e, min(today, e.leave_date or today)) for e in employees]
    return _invite_lifecycle(SurveyKind.EXIT, catalog.EXIT, candidates, today)


def send_due_reminders(today: dt.date | None = None) -> int:
    """Remind non-respondents of open surveys that close in ``REMINDER_DAYS_BEFORE_CLOSE``
    days. Returns how many people were reminded."""
    today = today or timezone.localdate()
    due = Survey.objects.filter(
        status=SurveyStatus.OPEN,
        closes_on=today + dt.timedelta(days=REMINDER_DAYS_BEFORE_CLOSE),
    )
    return sum(len(send_reminders(survey, today=today).delivered) for survey in due)


def close_due_surveys(today: dt.date | None = None) -> int:
    """Close open surveys whose closing date has passed. Returns how many."""
    today = today or timezone.localdate()
    due = list(Survey.objects.filter(status=SurveyStatus.OPEN, closes_on__lt=today))
    for survey in due:
        close_survey(survey)
    return len(due)


def scrub_completion_traces() -> int:
    """Rewrite the completed invitations of open surveys in one statement.

    PostgreSQL stamps each row version with the id of the transaction that wrote it;
    right after a submission the invitation and its response share that id. Rewriting
    every completed invitation at once gives them all the same, newer id, so a database
    administrator cannot pair them by it. (SQLite has no such column; this is harmless.)
    """
    return Invitation.objects.filter(survey__status=SurveyStatus.OPEN, completed=True).update(
        completed=True
    )

"""The rules of evaluation cycles: who may write and read what, and every change.

Views and the API call these functions and nothing else changes the data. Bad input
raises ``ReviewErrors`` (field path → translated message) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core import access, audit
from kizuna.engagement.guard import MIN_K
from kizuna.org.models import Department, Employee
from kizuna.practices.evaluation.models import (
    BANDS,
    DEFAULT_TARGET,
    NAMED_KINDS,
    RATER_CATEGORIES,
    AssignmentStatus,
    Criteria,
    Cycle,
    CycleKind,
    CycleStatus,
    Feedback,
    Participant,
    RaterAssignment,
    Review,
    ReviewKind,
)

# Anchored labels of the two 1–5 scales (shown next to every score input).
OUTCOME_ANCHORS = {
    1: gettext_lazy("1 — Results fell well short of the goals"),
    2: gettext_lazy("2 — Results partly reached the goals"),
    3: gettext_lazy("3 — Results reached the goals"),
    4: gettext_lazy("4 — Results exceeded the goals"),
    5: gettext_lazy("5 — Results far exceeded the goals and set an example"),
}
PROCESS_ANCHORS = {
    1: gettext_lazy("1 — Rarely took on challenges; the way of working needs change"),
    2: gettext_lazy("2 — Took on some challenges with support"),
    3: gettext_lazy("3 — Took on the expected challenges and worked in a sound way"),
    4: gettext_lazy("4 — Took on difficult challenges and improved how the team works"),
    5: gettext_lazy("5 — Led bold challenges and changed how others work"),
}


class ReviewErrors(Exception):
    """Field path → translated message. Nothing was changed."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(dict(errors))
        self.errors = dict(errors)


def k_of(cycle: Cycle) -> int:
    """Minimum raters per category: the cycle's setting, never below the guard's floor."""
    return max(int(cycle.min_raters), MIN_K)


# --------------------------------------------------------------------------- criteria


def criteria_applies(criteria: Criteria, employee: Employee) -> bool:
    if criteria.job_level and criteria.job_level != employee.job_level:
        return False
    if criteria.department_id is not None:
        assert criteria.department is not None
        return employee.department.path.startswith(criteria.department.path)
    return True


def current_criteria() -> list[Criteria]:
    """The latest published version of each scope (department, job level)."""
    latest: dict[tuple[int | None, str], Criteria] = {}
    published = Criteria.objects.filter(published_at__isnull=False).select_related("department")
    for item in published.order_by("-version"):
        latest.setdefault((item.department_id, item.job_level), item)
    return sorted(
        latest.values(),
        key=lambda c: (c.department.path if c.department else "", c.job_level, c.pk),
    )


def criteria_for(employee: Employee) -> list[Criteria]:
    """What applies to this person: company-wide first, then narrower scopes."""
    return [c for c in current_criteria() if criteria_applies(c, employee)]


def create_criteria(
    *,
    title: str,
    body: str,
    department: Department | None,
    job_level: str,
    by: Any,
    publish: bool,
    request: Any = None,
) -> Criteria:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Give the criteria a title.")
    if not body.strip():
        errors["body"] = _("Write the criteria.")
    if errors:
        raise ReviewErrors(errors)
    with transaction.atomic():
        previous = (
            Criteria.objects.select_for_update()
            .filter(department=department, job_level=job_level.strip())
            .order_by("-version")
            .first()
        )
        criteria = Criteria.objects.create(
            title=title.strip(),
            body=body.strip(),
            department=department,
            job_level=job_level.strip(),
            version=(previous.version + 1) if previous else 1,
            created_by=by,
            published_at=timezone.now() if publish else None,
        )
        audit.record(
            by,
            "evaluation.criteria_created",
            criteria,
            request=request,
            version=criteria.version,
            published=publish,
        )
    return criteria


def publish_criteria(criteria: Criteria, by: Any, request: Any = None) -> bool:
    if criteria.published_at is not None:
        return False
    criteria.published_at = timezone.now()
    criteria.save(update_fields=["published_at"])
    audit.record(
        by, "evaluation.criteria_published", criteria, request=request, version=criteria.version
    )
    return True


# --------------------------------------------------------------------------- cycles


def parse_audience(audience: Mapping[str, Any] | None) -> dict[str, Any]:
    if not audience or audience.get("all") is True:
        return {"all": True}
    code = str(audience.get("department") or "").strip()
    if not code or not Department.objects.filter(code=code).exists():
        raise ReviewErrors({"audience": _("Choose everyone or an existing department.")})
    return {"department": code}


def audience_people(audience: Mapping[str, Any], day: dt.date) -> QuerySet[Employee]:
    people = Employee.objects.filter(hire_date__lte=day).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=day)
    )
    if not audience.get("all"):
        root = Department.objects.get(code=audience["department"])
        people = people.filter(department__path__startswith=root.path)
    return people


def create_cycle(
    *,
    name: str,
    kind: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    due_on: dt.date | None,
    audience: Mapping[str, Any] | None,
    by: Any,
    min_raters: int = 3,
    target: Mapping[str, int] | None = None,
    request: Any = None,
) -> Cycle:
    """A cycle and its participants: everyone in the audience employed on the start date,
    with their manager on that day."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the cycle a name.")
    if kind not in CycleKind.values:
        errors["kind"] = _("Choose a quarterly check-in or an annual review.")
    if starts_on is None:
        errors["starts_on"] = _("Enter the first day of the period.")
    if ends_on is None:
        errors["ends_on"] = _("Enter the last day of the period.")
    if due_on is None:
        errors["due_on"] = _("Enter the date reviews are due.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The period must end on or after its first day.")
    if starts_on and due_on and due_on < starts_on:
        errors["due_on"] = _("Reviews cannot be due before the period starts.")
    if min_raters < MIN_K:
        errors["min_raters"] = _("The minimum number of raters cannot be below %(k)s.") % {
            "k": MIN_K
        }
    chosen_target = dict(target or DEFAULT_TARGET)
    if sorted(chosen_target) != sorted(BANDS) or sum(int(v) for v in chosen_target.values()) != 100:
        errors["target_distribution"] = _(
            "The target shares of S, A, B, C and D must add up to 100%."
        )
    try:
        parsed = parse_audience(audience)
    except ReviewErrors as error:
        errors.update(error.errors)
        parsed = {}
    if errors:
        raise ReviewErrors(errors)
    assert starts_on is not None and ends_on is not None and due_on is not None
    with transaction.atomic():
        cycle = Cycle.objects.create(
            name=name.strip(),
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            due_on=due_on,
            audience=parsed,
            min_raters=min_raters,
            target_distribution=chosen_target,
            created_by=by,
        )
        people = audience_people(parsed, starts_on).values_list("pk", "manager_id", "department_id")
        Participant.objects.bulk_create(
            [
                Participant(cycle=cycle, employee_id=pk, manager_id=manager, department_id=dept)
                for pk, manager, dept in people
            ]
        )
        audit.record(
            by,
            "evaluation.cycle_created",
            cycle,
            request=request,
            participants=cycle.participants.count(),
        )
    return cycle


def set_cycle_status(
    cycle: Cycle, status: str, by: Any, today: dt.date | None = None, request: Any = None
) -> None:
    """open → closed (writing ends, 360 results become visible) → finalised (bands count,
    e.g. for the engagement filter). A finalised cycle can be reopened for calibration
    only by closing it again."""
    if status not in CycleStatus.values:
        raise ReviewErrors({"status": _("Unknown status.")})
    if status == cycle.status:
        return
    previous = cycle.status
    cycle.status = status
    cycle.finalised_on = (
        (today or timezone.localdate()) if status == CycleStatus.FINALISED else None
    )
    cycle.save(update_fields=["status", "finalised_on"])
    audit.record(
        by, "evaluation.cycle_status", cycle, request=request, before=previous, after=status
    )


# --------------------------------------------------------------------------- who may do what


def manager_chain(employee: Employee) -> list[int]:
    """The ids of the person's manager, their manager, and so on (current org)."""
    chain: list[int] = []
    manager_id = employee.manager_id
    while manager_id is not None and manager_id not in chain and manager_id != employee.pk:
        chain.append(manager_id)
        manager_id = (
            Employee.objects.filter(pk=manager_id).values_list("manager_id", flat=True).first()
        )
    return chain


def reviewer_of(participant: Participant) -> int | None:
    """Who writes the manager review: the manager when the cycle was created."""
    return participant.manager_id or participant.employee.manager_id


def can_read(user: Any, participant: Participant) -> bool:
    """The member, their manager chain (and the assigned reviewer) and HR/admins."""
    if access.can(user, "evaluation.manage"):
        return True
    me = access.own_employee(user)
    if me is None:
        return False
    if me.pk == participant.employee_id or me.pk == reviewer_of(participant):
        return True
    return me.pk in manager_chain(participant.employee)


def can_set_final(user: Any, participant: Participant) -> bool:
    if access.can(user, "evaluation.manage"):
        return True
    me = access.own_employee(user)
    return me is not None and me.pk == reviewer_of(participant)


def can_manage_raters(user: Any, participant: Participant) -> bool:
    """The reviewer (manager) and HR approve; the member proposes."""
    return can_set_final(user, participant)


def is_member(user: Any, participant: Participant) -> bool:
    me = access.own_employee(user)
    return me is not None and me.pk == participant.employee_id


# --------------------------------------------------------------------------- writing reviews


@dataclass
class ReviewInput:
    outcome: Any = None
    process: Any = None
    goals: str = ""
    progress: str = ""
    comment: str = ""
    wish_transfer: bool = False
    wish_promotion: bool = False
    wish_comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _score(value: Any, path: str, errors: dict[str, str], required: bool) -> int | None:
    if value in (None, ""):
        if required:
            errors[path] = _("Choose a rating from 1 to 5.")
        return None
    try:
        number = int(str(value))
    except ValueError:
        errors[path] = _("Choose a rating from 1 to 5.")
        return None
    if str(number) != str(value).strip() or not 1 <= number <= 5:
        errors[path] = _("Choose a rating from 1 to 5.")
        return None
    return number


def _clean_scores(
    data: ReviewInput, cycle: Cycle, submit: bool, errors: dict[str, str]
) -> tuple[int | None, int | None]:
    required = submit and cycle.kind == CycleKind.ANNUAL
    outcome = _score(data.outcome, "scores.outcome", errors, required)
    process = _score(data.process, "scores.process", errors, required)
    return outcome, process


def _require_open(cycle: Cycle, today: dt.date) -> None:
    if cycle.status != CycleStatus.OPEN:
        raise ReviewErrors(
            {"__all__": _("This cycle is closed; reviews can no longer be written.")}
        )


def named_review(participant: Participant, kind: str) -> Review | None:
    return Review.objects.filter(participant=participant, kind=kind).first()


def save_review(
    participant: Participant,
    kind: str,
    author: Employee,
    data: ReviewInput,
    *,
    submit: bool,
    today: dt.date | None = None,
) -> tuple[Review, bool]:
    """Save a draft or submit the self-assessment (``self``) or the manager review.
    Returns the review and whether this call submitted it. A submitted review is final:
    a retry changes nothing and returns ``False``."""
    today = today or timezone.localdate()
    if kind not in NAMED_KINDS:
        raise ReviewErrors({"kind": _("Unknown kind of review.")})
    cycle = participant.cycle
    _require_open(cycle, today)
    existing = named_review(participant, kind)
    if existing is not None and existing.submitted:
        return existing, False
    errors: dict[str, str] = {}
    outcome, process = _clean_scores(data, cycle, submit, errors)
    if cycle.kind == CycleKind.QUARTERLY and submit and not (data.progress or "").strip():
        errors["progress"] = _("Write how the goals are progressing.")
    if submit and kind == ReviewKind.MANAGER and not (data.comment or "").strip():
        errors["comment"] = _("Write a comment for the member.")
    if errors:
        raise ReviewErrors(errors)
    is_self = kind == ReviewKind.SELF
    values = {
        "author": author,
        "outcome": outcome,
        "process": process,
        "goals": (data.goals or "").strip(),
        "progress": (data.progress or "").strip(),
        "comment": (data.comment or "").strip(),
        "wish_transfer": bool(data.wish_transfer) and is_self,
        "wish_promotion": bool(data.wish_promotion) and is_self,
        "wish_comment": (data.wish_comment or "").strip() if is_self else "",
        "submitted_on": today if submit else None,
    }
    with transaction.atomic():
        review, _created = Review.objects.select_for_update().get_or_create(
            participant=participant, kind=kind, defaults=values
        )
        if review.submitted and not _created:
            return review, False
        if not _created:
            for name, value in values.items():
                setattr(review, name, value)
            review.save()
    return review, submit


def submit_feedback(
    assignment: RaterAssignment,
    data: ReviewInput,
    today: dt.date | None = None,
) -> bool:
    """Store one anonymous peer/report rating. Idempotent: a second submission by the
    same rater stores nothing and returns ``False``."""
    today = today or timezone.localdate()
    participant = assignment.participant
    _require_open(participant.cycle, today)
    if assignment.status != AssignmentStatus.APPROVED:
        raise ReviewErrors({"__all__": _("This request for feedback has not been approved.")})
    errors: dict[str, str] = {}
    outcome, process = (
        _score(data.outcome, "scores.outcome", errors, True),
        _score(data.process, "scores.process", errors, True),
    )
    if errors:
        raise ReviewErrors(errors)
    assert outcome is not None and process is not None
    with transaction.atomic():
        updated = RaterAssignment.objects.filter(pk=assignment.pk, completed=False).update(
            completed=True
        )
        if not updated:
            return False
        Feedback.objects.create(
            participant=participant,
            category=assignment.category,
            outcome=outcome,
            process=process,
            comment=(data.comment or "").strip(),
        )
    assignment.completed = True
    return True


# --------------------------------------------------------------------------- raters


def propose_rater(
    participant: Participant,
    rater: Employee,
    category: str,
    by: Any,
    request: Any = None,
) -> RaterAssignment:
    """The member proposes (status proposed); the reviewer or HR adds directly (approved)."""
    if not participant.cycle.has_360:
        raise ReviewErrors({"category": _("Peer and upward feedback belong to annual reviews.")})
    if participant.cycle.status != CycleStatus.OPEN:
        raise ReviewErrors(
            {"__all__": _("This cycle is closed; reviews can no longer be written.")}
        )
    errors: dict[str, str] = {}
    if category not in RATER_CATEGORIES:
        errors["category"] = _("Choose peer or report.")
    elif rater.pk == participant.employee_id:
        errors["rater"] = _("Nobody can give peer or upward feedback to themselves.")
    elif rater.pk == reviewer_of(participant):
        errors["rater"] = _("The manager writes the manager review, not peer feedback.")
    elif category == ReviewKind.REPORT and rater.manager_id != participant.employee_id:
        errors["rater"] = _("Upward feedback comes from the person's direct reports only.")
    elif RaterAssignment.objects.filter(participant=participant, rater=rater).exists():
        errors["rater"] = _("This person has already been asked.")
    if errors:
        raise ReviewErrors(errors)
    approved = can_manage_raters(by, participant)
    assignment = RaterAssignment.objects.create(
        participant=participant,
        rater=rater,
        category=category,
        status=AssignmentStatus.APPROVED if approved else AssignmentStatus.PROPOSED,
    )
    audit.record(
        by,
        "evaluation.rater_added",
        participant,
        request=request,
        category=category,
        status=assignment.status,
    )
    return assignment


def decide_rater(assignment: RaterAssignment, approve: bool, by: Any, request: Any = None) -> None:
    if assignment.completed:
        raise ReviewErrors({"__all__": _("This person has already given feedback.")})
    assignment.status = AssignmentStatus.APPROVED if approve else AssignmentStatus.DECLINED
    assignment.save(update_fields=["status"])
    audit.record(
        by,
        "evaluation.rater_decided",
        assignment.participant,
        request=request,
        status=assignment.status,
    )


def feedback_to_write(employee: Employee) -> QuerySet[RaterAssignment]:
    return RaterAssignment.objects.filter(
        rater=employee,
        status=AssignmentStatus.APPROVED,
        completed=False,
        participant__cycle__status=CycleStatus.OPEN,
    ).select_related("participant__employee", "participant__cycle")


# --------------------------------------------------------------------------- final rating


def set_final(
    participant: Participant,
    *,
    band: str,
    by: Any,
    outcome: Any = None,
    process: Any = None,
    note: str = "",
    request: Any = None,
    via: str = "manager",
) -> bool:
    """Set the final rating and band; every change is written to the audit log with the
    values before and after. Returns whether anything changed."""
    errors: dict[str, str] = {}
    if band not in BANDS:
        errors["band"] = _("Choose a band: S, A, B, C or D.")
    final_outcome = _score(outcome, "final.outcome", errors, False)
    final_process = _score(process, "final.process", errors, False)
    if participant.cycle.status == CycleStatus.FINALISED:
        errors["__all__"] = _("This cycle is finalised. Close it again to change ratings.")
    if errors:
        raise ReviewErrors(errors)
    before = {
        "band": participant.band,
        "outcome": participant.final_outcome,
        "process": participant.final_process,
    }
    after = {
        "band": band,
        "outcome": final_outcome if final_outcome is not None else participant.final_outcome,
        "process": final_process if final_process is not None else participant.final_process,
    }
    if before == after and not note:
        return False
    participant.band = band
    participant.final_outcome = after["outcome"]
    participant.final_process = after["process"]
    if note:
        participant.band_note = note[:500]
    participant.save(update_fields=["band", "final_outcome", "final_process", "band_note"])
    audit.record(
        by,
        "evaluation.final_rating",
        participant,
        request=request,
        cycle=participant.cycle_id,
        employee=participant.employee.employee_number,
        before=before,
        after=after,
        via=via,
        note=note[:500],
    )
    return True


def bulk_adjust(
    participants: Iterable[Participant], band: str, by: Any, note: str = "", request: Any = None
) -> int:
    """Calibration: the same band for several people, one audit entry per change."""
    if band not in BANDS:
        raise ReviewErrors({"band": _("Choose a band: S, A, B, C or D.")})
    chosen = list(participants)
    if not chosen:
        raise ReviewErrors({"people": _("Select at least one person.")})
    changed = 0
    with transaction.atomic():
        for participant in chosen:
            if participant.band != band and set_final(
                participant, band=band, by=by, note=note, request=request, via="calibration"
            ):
                changed += 1
    return changed


# --------------------------------------------------------------------------- results


@dataclass
class CategoryResult:
    category: str
    label: str
    visible: bool
    reason: str = ""
    raters: int | None = None
    outcome: float | None = None
    process: float | None = None
    comments: list[str] = field(default_factory=list)


def lock_reason(cycle: Cycle) -> str:
    if cycle.status == CycleStatus.OPEN:
        return _("Shown after the cycle closes, so that one new answer cannot be worked out")
    return _("Hidden: fewer than %(k)s raters") % {"k": k_of(cycle)}


def category_results(participant: Participant, with_comments: bool = True) -> list[CategoryResult]:
    """Peer and report feedback, per category: averages and comments only when the
    category has at least k raters and the cycle is closed; comments shuffled, unnamed.
    Below k nothing is shown, not even the number of raters."""
    cycle = participant.cycle
    k = k_of(cycle)
    rows = {
        r["category"]: r
        for r in Feedback.objects.filter(participant=participant)
        .values("category")
        .annotate(n=Count("id"), outcome=Avg("outcome"), process=Avg("process"))
    }
    labels = dict(ReviewKind.choices)
    out = []
    for category in RATER_CATEGORIES:
        row = rows.get(category)
        n = int(row["n"]) if row else 0
        visible = cycle.status != CycleStatus.OPEN and n >= k
        result = CategoryResult(category, str(labels[category]), visible)
        if not visible:
            result.reason = lock_reason(cycle)
        else:
            assert row is not None
            result.raters = n
            result.outcome = float(row["outcome"])
            result.process = float(row["process"])
            if with_comments:
                texts = [
                    t
                    for t in Feedback.objects.filter(
                        participant=participant, category=category
                    ).values_list("comment", flat=True)
                    if t.strip()
                ]
                random.SystemRandom().shuffle(texts)
                result.comments = texts
        out.append(result)
    return out


def combined_360(results: list[CategoryResult]) -> tuple[float | None, float | None]:
    """Mean of the visible categories only (a hidden category never enters a number)."""
    shown = [r for r in results if r.visible and r.raters]
    if not shown:
        return None, None
    total = sum(r.raters or 0 for r in shown)
    outcome = sum((r.outcome or 0) * (r.raters or 0) for r in shown) / total
    process = sum((r.process or 0) * (r.raters or 0) for r in shown) / total
    return outcome, process


# --------------------------------------------------------------------------- bands for surveys


def performance_band_on(employee_ids: Iterable[int], day: dt.date) -> dict[int, str]:
    """Each person's band from the latest annual review finalised on or before ``day``
    (people without one are left out). Used by the survey snapshot at launch."""
    ids = list(employee_ids)
    if not ids:
        return {}
    rows = (
        Participant.objects.filter(
            employee_id__in=ids,
            cycle__kind=CycleKind.ANNUAL,
            cycle__status=CycleStatus.FINALISED,
            cycle__finalised_on__lte=day,
        )
        .exclude(band="")
        .order_by("employee_id", "-cycle__ends_on", "-cycle__finalised_on", "-cycle_id")
        .values_list("employee_id", "band")
    )
    bands: dict[int, str] = {}
    for employee_id, band in rows:
        bands.setdefault(employee_id, band)
    return bands


def validation_messages(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {k: " ".join(str(m) for m in v) for k, v in error.message_dict.items()}
    return {"__all__": " ".join(str(m) for m in error.messages)}

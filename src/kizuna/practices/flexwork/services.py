"""Every change in the flexwork app goes through here (pages, API, demo): side-job
requests and their approval, and what a person may use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kizuna.core import audit
from kizuna.org.models import Employee
from kizuna.practices.flexwork import eligibility
from kizuna.practices.flexwork.models import Policy, PolicyKind, SideJobRequest, SideJobStatus


@dataclass(frozen=True)
class PolicyForPerson:
    policy: Policy
    rules: list[str]
    eligible: bool | None  # None: the user has no employee record
    reasons: list[str | Promise]


def active_policies() -> list[Policy]:
    return list(Policy.objects.filter(active=True).prefetch_related("departments"))


def policies_for(employee: Employee | None, on: dt.date) -> list[PolicyForPerson]:
    """Every policy in effect, with whether ``employee`` may use it on ``on`` and why not."""
    person = eligibility.people_on(on, [employee]).get(employee.pk) if employee else None
    result = []
    for policy in active_policies():
        rules = eligibility.rules_of(policy)
        if person is None:
            result.append(PolicyForPerson(policy, eligibility.describe_rules(rules), None, []))
            continue
        why = eligibility.reasons(rules, person)
        result.append(PolicyForPerson(policy, eligibility.describe_rules(rules), not why, why))
    return result


def eligible_count(policy: Policy, on: dt.date) -> int:
    """How many people employed on ``on`` may use the policy."""
    from kizuna.org.services import employed_on

    rules = eligibility.rules_of(policy)
    people = eligibility.people_on(on, employed_on(on))
    return sum(1 for person in people.values() if eligibility.is_eligible(rules, person))


def may_apply_for_side_job(employee: Employee, on: dt.date) -> bool:
    return any(
        item.eligible
        for item in policies_for(employee, on)
        if item.policy.kind == PolicyKind.SIDE_JOB
    )


def apply_for_side_job(employee: Employee, data: dict[str, Any], *, user: Any) -> SideJobRequest:
    """File a request (pending until HR decides). Raises ``ValidationError`` when no
    side-job policy in effect admits the employee."""
    if not may_apply_for_side_job(employee, timezone.localdate()):
        raise ValidationError(_("No side-job policy in effect applies to you."))
    request = SideJobRequest.objects.create(employee=employee, **data)
    audit.record(user, "flexwork.side_job.apply", request)
    return request


@transaction.atomic
def decide(request: SideJobRequest, approve: bool, note: str, *, user: Any) -> SideJobRequest:
    """Approve or decline a pending request; a request is decided once."""
    locked = SideJobRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != SideJobStatus.PENDING:
        raise ValidationError(_("This request has already been decided or withdrawn."))
    locked.status = SideJobStatus.APPROVED if approve else SideJobStatus.REJECTED
    locked.decision_note = note
    locked.decided_by = user
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    audit.record(user, f"flexwork.side_job.{locked.status}", locked)
    return locked


@transaction.atomic
def withdraw(request: SideJobRequest, *, user: Any) -> SideJobRequest:
    locked = SideJobRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != SideJobStatus.PENDING:
        raise ValidationError(_("Only a request awaiting approval can be withdrawn."))
    locked.status = SideJobStatus.WITHDRAWN
    locked.save(update_fields=["status"])
    audit.record(user, "flexwork.side_job.withdrawn", locked)
    return locked

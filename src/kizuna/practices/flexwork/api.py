"""REST endpoints of the flexwork app (django-ninja router, mounted at /api/flex).

- ``GET /policies``: the policies in effect and their rules (anyone signed in).
- ``GET /me/eligibility``: which of them the caller may use today, and why not.
- ``GET /utilisation?period=m2026-04``: utilisation per policy (everyone, managers,
  others), per department, with absence and lateness — scoped like the page (managers:
  the departments they head; ``flexwork.view_utilisation`` required).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError, ValidationError

from kizuna.core import access
from kizuna.org.models import Organization
from kizuna.practices.flexwork import eligibility, metrics, periods, services
from kizuna.practices.flexwork.models import Policy
from kizuna.practices.kpi import Ratio

router = Router(tags=["flexwork"])


class RatioOut(Schema):
    numerator: int
    denominator: int
    rate: float | None


class PolicyOut(Schema):
    id: int
    kind: str
    name: str
    description: str
    core_start: str | None
    core_end: str | None
    max_days_per_week: int | None
    employment_types: list[str]
    department_ids: list[int]
    job_levels: list[str]
    min_tenure_months: int
    rules: list[str]


class EligibilityOut(Schema):
    policy: PolicyOut
    eligible: bool | None
    reasons: list[str]


class MyEligibilityOut(Schema):
    employee_number: str | None
    on: str
    policies: list[EligibilityOut]


class PolicyUtilisationOut(Schema):
    policy_id: int
    policy: str
    kind: str
    everyone: RatioOut
    managers: RatioOut
    others: RatioOut


class DepartmentOut(Schema):
    department_id: int
    code: str
    name: str
    policies: list[PolicyUtilisationOut]


class UtilisationOut(Schema):
    period: str
    start: str
    end: str
    scope: str
    absence: RatioOut
    lateness: RatioOut
    policies: list[PolicyUtilisationOut]
    departments: list[DepartmentOut]


class PeriodQuery(Schema):
    period: str = ""


def _ratio(ratio: Ratio) -> dict[str, Any]:
    return {"numerator": ratio.numerator, "denominator": ratio.denominator, "rate": ratio.rate}


def _policy(policy: Policy) -> dict[str, Any]:
    rules = eligibility.rules_of(policy)
    return {
        "id": policy.pk,
        "kind": policy.kind,
        "name": policy.name,
        "description": policy.description,
        "core_start": policy.core_start.strftime("%H:%M") if policy.core_start else None,
        "core_end": policy.core_end.strftime("%H:%M") if policy.core_end else None,
        "max_days_per_week": policy.max_days_per_week,
        "employment_types": list(policy.employment_types or []),
        "department_ids": [d.pk for d in policy.departments.all()],
        "job_levels": list(policy.job_levels or []),
        "min_tenure_months": policy.min_tenure_months,
        "rules": eligibility.describe_rules(rules),
    }


def _policy_utilisation(item: metrics.PolicyUtilisation) -> dict[str, Any]:
    return {
        "policy_id": item.policy.pk,
        "policy": item.policy.name,
        "kind": item.policy.kind,
        "everyone": _ratio(item.everyone),
        "managers": _ratio(item.managers),
        "others": _ratio(item.others),
    }


@router.get("/policies", response=list[PolicyOut], url_name="flexwork_policies")
def list_policies(request: HttpRequest) -> list[dict[str, Any]]:
    """The flexible-work policies in effect, with their eligibility rules in words."""
    return [_policy(policy) for policy in services.active_policies()]


@router.get("/me/eligibility", response=MyEligibilityOut, url_name="flexwork_my_eligibility")
def my_eligibility(request: HttpRequest) -> dict[str, Any]:
    """Which policies the caller may use today. Without an employee record
    ``employee_number`` is null and ``eligible`` is null for every policy."""
    today = timezone.localdate()
    employee = access.own_employee(request.user)
    return {
        "employee_number": employee.employee_number if employee else None,
        "on": today.isoformat(),
        "policies": [
            {
                "policy": _policy(item.policy),
                "eligible": item.eligible,
                "reasons": [str(reason) for reason in item.reasons],
            }
            for item in services.policies_for(employee, today)
        ],
    }


@router.get("/utilisation", response=UtilisationOut, url_name="flexwork_utilisation")
def utilisation(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    """Utilisation per policy and department for a fiscal period (``m2026-04``,
    ``q2026-1``, ``y2026``; default: the month of the latest attendance imported)."""
    from kizuna.practices.flexwork.views import default_period, scope_for

    if not access.can(request.user, "flexwork.view_utilisation"):
        raise HttpError(403, "forbidden")
    start_month = Organization.current().fiscal_year_start_month
    if query.period:
        period = periods.parse(query.period, start_month)
        if period is None:
            raise ValidationError(
                [
                    {
                        "loc": ["query", "period"],
                        "msg": "Use m2026-04 (month), q2026-1 (fiscal quarter) or y2026 "
                        "(fiscal year).",
                        "type": "value_error",
                    }
                ]
            )
    else:
        period = default_period(start_month)
    departments, people = scope_for(request.user)
    return {
        "period": period.key,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "scope": "company" if people is None else "managed_departments",
        "absence": _ratio(metrics.absence_rate(period.start, period.end, people)),
        "lateness": _ratio(metrics.lateness_rate(period.start, period.end, people)),
        "policies": [
            _policy_utilisation(item)
            for item in metrics.utilisation(period.start, period.end, people)
        ]
        if departments or people is None
        else [],
        "departments": [
            {
                "department_id": row.department.pk,
                "code": row.department.code,
                "name": row.department.name,
                "policies": [_policy_utilisation(item) for item in row.policies],
            }
            for row in metrics.utilisation_by_department(
                period.start, period.end, departments, people
            )
        ],
    }

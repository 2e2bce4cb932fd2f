"""Who may see and change which plan, on top of ``core.access``'s capabilities.

- admin, HR and executives see every plan (``improvement.view_all``); admin and HR
  change every plan (``improvement.manage``);
- managers see and change plans scoped to their department subtree;
- everyone sees the plans they own or hold an action in; an owner changes their plan,
  an action's owner ticks their own action;
- a plan outside all of that does not exist for the user (views answer 404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kizuna.core import access
from kizuna.core.access import UserLike
from kizuna.core.models import User
from kizuna.improvement.models import Action, Plan, PlanStatus
from kizuna.org.models import Department


def _signed_in(user: UserLike) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def visible_plans(user: UserLike) -> QuerySet[Plan]:
    if not _signed_in(user):
        return Plan.objects.none()
    if access.can(user, "improvement.view_all"):
        return Plan.objects.all()
    condition = Q(owner=user) | Q(actions__owner=user)
    if access.can(user, "improvement.view"):
        condition |= Q(scope__in=access.managed_departments(user))
    return Plan.objects.filter(
        pk__in=Plan.objects.filter(condition).values("pk")
    )  # subquery: the actions join would repeat plans


def can_view(user: UserLike, plan: Plan) -> bool:
    return visible_plans(user).filter(pk=plan.pk).exists()


def can_edit(user: UserLike, plan: Plan) -> bool:
    if not _signed_in(user):
        return False
    if access.can(user, "improvement.manage") or plan.owner_id == user.pk:
        return True
    return (
        plan.scope_id is not None
        and access.can(user, "improvement.view")
        and access.managed_departments(user).filter(pk=plan.scope_id).exists()
    )


def can_toggle(user: UserLike, action: Action) -> bool:
    return can_edit(user, action.plan) or (
        _signed_in(user) and action.owner_id is not None and action.owner_id == user.pk
    )


def can_enter_values(user: UserLike) -> bool:
    """Typing before/after values by hand is for HR, whose numbers others rely on."""
    return access.can(user, "improvement.manage")


def scope_choices(user: UserLike) -> QuerySet[Department]:
    """The teams ``user`` may write a plan for (managers: their subtree)."""
    if access.can(user, "improvement.manage"):
        return Department.objects.all()
    if access.can(user, "improvement.create"):
        return access.managed_departments(user)
    return Department.objects.none()


def may_plan_for(user: UserLike, scope: Department | None) -> bool:
    if scope is None:
        return access.can(user, "improvement.manage")
    return scope_choices(user).filter(pk=scope.pk).exists()


def owner_choices(user: UserLike) -> QuerySet[User]:
    """Who ``user`` may make responsible: anyone for HR; for a manager, themselves and the
    people in their subtree who have a login."""
    active = User.objects.filter(is_active=True)
    if access.can(user, "improvement.manage"):
        return active.order_by("display_name", "email")
    if not _signed_in(user):
        return User.objects.none()
    from kizuna.org.models import Employee

    team = Employee.objects.filter(
        department__in=access.managed_departments(user), user__isnull=False
    ).values("user")
    return active.filter(Q(pk__in=team) | Q(pk=user.pk)).order_by("display_name", "email")


def team_plans(user: UserLike) -> QuerySet[Plan]:
    """Plans shared with the viewer's team: scoped to their department or any department
    above it, or company-wide; drafts and cancelled plans are not shown."""
    if not _signed_in(user):
        return Plan.objects.none()
    employee = access.own_employee(user)
    condition = Q(scope__isnull=True)
    if employee is not None:
        department = Department.objects.filter(pk=employee.department_id).first()
        if department is not None:
            ancestors = [int(pk) for pk in department.path.strip("/").split("/") if pk]
            condition |= Q(scope_id__in=ancestors)
    return Plan.objects.filter(
        condition,
        shared_with_team=True,
        status__in=[PlanStatus.ACTIVE, PlanStatus.DONE],
    )

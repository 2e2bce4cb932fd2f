"""The one place that answers "may this user see or change this?".

Views, the API, exports and the CLI ask here and nowhere else, so a rule changes in one
place. Capabilities are named strings mapped to roles; object-level rules (a manager's
department subtree, one's own record) are functions below.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from kizuna.core.roles import Role

if TYPE_CHECKING:
    from kizuna.core.models import User
    from kizuna.org.models import Department, Employee

ADMIN, HR, MANAGER, EMPLOYEE = Role.ADMIN, Role.HR, Role.MANAGER, Role.EMPLOYEE
CSM, SUPPORT, MARKETER, EXECUTIVE = Role.CSM, Role.SUPPORT, Role.MARKETER, Role.EXECUTIVE

# capability -> roles that hold it. Object scope is applied on top where noted.
CAPABILITIES: dict[str, frozenset[str]] = {
    # the people directory and org chart (managers: their subtree only)
    "org.view_directory": frozenset({ADMIN, HR, MANAGER, EXECUTIVE}),
    # sensitive HR fields: gender, birth year, leave reason, custom attributes, history
    "org.view_sensitive": frozenset({ADMIN, HR}),
    "org.import": frozenset({ADMIN, HR}),
    "org.edit_settings": frozenset({ADMIN}),
    "org.view_dashboard": frozenset({ADMIN, HR, EXECUTIVE, MANAGER}),
    # guarded survey results (managers: their subtree; executives: company level)
    "engagement.view_results": frozenset({ADMIN, HR, MANAGER, EXECUTIVE}),
    "core.view_audit_log": frozenset({ADMIN}),
    "core.manage_users": frozenset({ADMIN}),
    "core.admin_site": frozenset({ADMIN}),
    # surveys: create, launch, close, remind; live response rates (guarded)
    "surveys.manage": frozenset({ADMIN, HR}),
    # action plans: see plans (managers: their subtree; everyone: plans they own)
    "improvement.view": frozenset({ADMIN, HR, MANAGER, EXECUTIVE}),
    "improvement.view_all": frozenset({ADMIN, HR, EXECUTIVE}),
    # write a plan (managers: for their subtree only)
    "improvement.create": frozenset({ADMIN, HR, MANAGER}),
    # change any plan, company-wide plans, review values typed in by hand
    "improvement.manage": frozenset({ADMIN, HR}),
    # customer success. Account basics (name, industry, size, CSM, stage, contacts,
    # usage, health band) help support agents and marketers do their work; revenue
    # (MRR, subscriptions, renewals, churn risk and its model) is for CSMs, executives
    # and admins. Every CSM sees every account: teams cover for each other.
    "customers.view_accounts": frozenset({ADMIN, CSM, EXECUTIVE, SUPPORT, MARKETER}),
    "customers.view_portfolio": frozenset({ADMIN, CSM, EXECUTIVE}),
    # feature definitions and their adoption (marketers plan campaigns around them)
    "customers.view_usage": frozenset({ADMIN, CSM, EXECUTIVE, MARKETER}),
    # the manual CSM assessment, one of the health score's measures
    "customers.assess": frozenset({ADMIN, CSM}),
    # health weights and bands, feature definitions, retraining the churn model
    "customers.configure": frozenset({ADMIN}),
    "customers.import": frozenset({ADMIN}),
    # manager and HR practices. Everyone signed in uses 1on1s, recognition, their own
    # reviews and flexible work; each app's object rules narrow it (participants only,
    # a 1on1 private note is its writer's alone, whatever the role).
    "practices.use": frozenset(Role.values),
    # 1on1 cadence statistics (coverage, days since last meeting), never contents;
    # managers: the pairs in their subtree; executives: company-wide (read only)
    "oneonones.view_cadence": frozenset({ADMIN, HR, MANAGER, EXECUTIVE}),
    # evaluation criteria, cycles and the calibration view
    "evaluation.manage": frozenset({ADMIN, HR}),
    # company values, points budget, awards, points export for payroll
    "recognition.manage": frozenset({ADMIN, HR}),
    # flexible-work policies and eligibility, attendance and usage imports
    "flexwork.manage": frozenset({ADMIN, HR}),
    # flexible-work utilisation (managers: their subtree)
    "flexwork.view_utilisation": frozenset({ADMIN, HR, MANAGER, EXECUTIVE}),
    # the HR KPI dashboard (managers: their subtree)
    "hrkpi.view": frozenset({ADMIN, HR, MANAGER, EXECUTIVE}),
}

UserLike = Any  # User or AnonymousUser


def roles_of(user: UserLike) -> frozenset[str]:
    """The user's roles, read once per request object and cached on it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_kizuna_roles", None)
    if cached is None:
        cached = frozenset(user.role_assignments.values_list("role", flat=True))
        user._kizuna_roles = cached
    return cached


def has_role(user: UserLike, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def can(user: UserLike, capability: str) -> bool:
    try:
        allowed = CAPABILITIES[capability]
    except KeyError:
        raise ValueError(f"unknown capability {capability!r}") from None
    return bool(roles_of(user) & allowed)


def own_employee(user: UserLike) -> Employee | None:
    if isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        return None
    from kizuna.org.models import Employee

    if not hasattr(user, "_kizuna_employee"):
        user._kizuna_employee = Employee.objects.filter(user=user).first()
    employee: Employee | None = user._kizuna_employee
    return employee


def managed_departments(user: UserLike) -> QuerySet[Department]:
    """Departments in the subtrees the user heads (empty for non-managers)."""
    from kizuna.org.models import Department
    from kizuna.org.services import subtree_of_many

    employee = own_employee(user)
    if employee is None or not has_role(user, MANAGER):
        return Department.objects.none()
    return subtree_of_many(Department.objects.filter(head=employee))


def visible_departments(user: UserLike) -> QuerySet[Department]:
    from kizuna.org.models import Department

    if has_role(user, ADMIN, HR, EXECUTIVE):
        return Department.objects.all()
    return managed_departments(user)


def visible_employees(user: UserLike) -> QuerySet[Employee]:
    """Directory scope: everyone for admin/HR/executives, the subtree for managers."""
    from kizuna.org.models import Employee

    if has_role(user, ADMIN, HR, EXECUTIVE):
        return Employee.objects.all()
    if has_role(user, MANAGER):
        return Employee.objects.filter(department__in=managed_departments(user))
    return Employee.objects.none()


def can_view_employee(user: UserLike, employee: Employee) -> bool:
    own = own_employee(user)
    if own is not None and own.pk == employee.pk:
        return True
    return visible_employees(user).filter(pk=employee.pk).exists()


def can_view_sensitive(user: UserLike, employee: Employee) -> bool:
    return can(user, "org.view_sensitive")


def can_view_department(user: UserLike, department: Department) -> bool:
    return visible_departments(user).filter(pk=department.pk).exists()


F = TypeVar("F", bound=Callable[..., HttpResponse])


def require(capability: str) -> Callable[[F], F]:
    """View decorator: login first (redirect), then the capability (403)."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def set_roles(user: User, roles: set[str]) -> None:
    """Replace the user's roles; admin also grants Django admin access."""
    from kizuna.core.models import UserRole

    unknown = roles - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    UserRole.objects.filter(user=user).exclude(role__in=roles).delete()
    existing = set(UserRole.objects.filter(user=user).values_list("role", flat=True))
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles - existing])
    is_admin = ADMIN in roles
    if user.is_staff != is_admin or user.is_superuser != is_admin:
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    if hasattr(user, "_kizuna_roles"):
        del user._kizuna_roles

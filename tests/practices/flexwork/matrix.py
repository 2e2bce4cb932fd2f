"""Access-matrix entries of the flexwork app (merged into tests/core/test_access_matrix.py).

Expected statuses: 200 page, 302 redirect (to login for anonymous), 403 role not allowed,
404 object outside the user's scope, 405 method not allowed (GET on POST-only views).
Roles: admin, hr, manager (heads 営業部, is E002), employee (高橋 E004 in 営業1課, reports
to E003), executive (E001), csm, support, marketer (no employee record).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kizuna.core.roles import ALL_ROLES

ANON = "anonymous"
ALL = set(ALL_ROLES)


def only(roles: set[str], ok: int = 200, other: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {**{r: (ok if r in roles else other) for r in ALL_ROLES}, ANON: anonymous}


def build(fixtures: dict[str, Any]) -> dict[str, Any]:
    """Objects the entries' kwargs need; fixtures holds company, users and more."""
    import datetime as dt

    from kizuna.org.models import ImportStatus
    from kizuna.practices.flexwork.models import (
        AttendanceImport,
        Policy,
        PolicyKind,
        SideJobRequest,
    )

    people = fixtures["company"]["people"]
    return {
        "flex_policy": Policy.objects.create(kind=PolicyKind.SIDE_JOB, name="副業"),
        "flex_import": AttendanceImport.objects.create(
            filename="a.csv", content=b"", status=ImportStatus.INVALID
        ),
        # 高橋 (the employee role) asked for a side job; still pending
        "flex_side_job": SideJobRequest.objects.create(
            employee=people["E004"],
            employer="NPO",
            work="講師",
            hours_per_week=4,
            starts_on=dt.date(2026, 4, 1),
        ),
    }


Kwargs = Callable[[dict[str, Any]], dict[str, Any]]
MANAGE = {"admin", "hr"}
VIEW_UTILISATION = {"admin", "hr", "manager", "executive"}
POST_ONLY = only(ALL, ok=405, other=405, anonymous=405)
MATRIX: dict[str, tuple[Kwargs | None, dict[str, int]]] = {
    # everyone sees the policies (people without an employee record get an explanation)
    "flexwork:index": (None, only(ALL)),
    "flexwork:side_job_apply": (None, only(ALL)),
    "flexwork:side_job_withdraw": (lambda f: {"pk": f["flex_side_job"].pk}, POST_ONLY),
    # policy admin, attendance imports and side-job approval: admin and HR
    "flexwork:policies": (None, only(MANAGE)),
    "flexwork:policy_create": (None, only(MANAGE)),
    "flexwork:policy_edit": (lambda f: {"pk": f["flex_policy"].pk}, only(MANAGE)),
    "flexwork:import": (None, only(MANAGE)),
    "flexwork:import_detail": (lambda f: {"pk": f["flex_import"].pk}, only(MANAGE)),
    "flexwork:import_apply": (lambda f: {"pk": f["flex_import"].pk}, POST_ONLY),
    "flexwork:import_template": (None, only(MANAGE)),
    "flexwork:side_jobs": (None, only(MANAGE)),
    "flexwork:side_job_decide": (lambda f: {"pk": f["flex_side_job"].pk}, POST_ONLY),
    # utilisation: managers see their subtree (scoped inside the page)
    "flexwork:utilisation": (None, only(VIEW_UTILISATION)),
    # the API: 401 without a session or token
    "api:flexwork_policies": (None, {**only(ALL), ANON: 401}),
    "api:flexwork_my_eligibility": (None, {**only(ALL), ANON: 401}),
    "api:flexwork_utilisation": (None, {**only(VIEW_UTILISATION), ANON: 401}),
}

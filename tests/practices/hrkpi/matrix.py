"""Access-matrix entries of the hrkpi app (merged into tests/core/test_access_matrix.py).

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
    return {}


def _dept(code: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda f: {"department_id": f["company"]["departments"][code].pk}


Kwargs = Callable[[dict[str, Any]], dict[str, Any]]
MATRIX: dict[str, tuple[Kwargs | None, dict[str, int]]] = {
    "hrkpi:dashboard": (None, only({"admin", "hr", "manager", "executive"})),
    # leavers of 営業1課: inside the manager's subtree (営業部)
    "hrkpi:leavers": (_dept("SALES1"), only({"admin", "hr", "manager", "executive"})),
    # the API: token or session; 401 for anonymous callers
    "api:hr_kpis": (None, {**only({"admin", "hr", "manager", "executive"}), ANON: 401}),
}

"""Access-matrix entries of the evaluation app (merged into tests/core/test_access_matrix.py).

Expected statuses: 200 page, 302 redirect (to login for anonymous), 403 role not allowed,
404 object outside the user's scope, 405 method not allowed (GET on POST-only views).
Roles: admin, hr, manager (heads 営業部, is E002), employee (高橋 E004 in 営業1課, reports
to E003), executive (E001), csm, support, marketer (no employee record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kizuna.core.roles import ALL_ROLES

ANON = "anonymous"
ALL = set(ALL_ROLES)
HR = {"admin", "hr"}
NO_RECORD = {"csm", "support", "marketer"}


def only(roles: set[str], ok: int = 200, other: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {**{r: (ok if r in roles else other) for r in ALL_ROLES}, ANON: anonymous}


def statuses(default: int, anonymous: int = 302, **per_role: int) -> dict[str, int]:
    table = {role: default for role in ALL_ROLES}
    table.update(per_role)
    table[ANON] = anonymous
    return table


def build(fixtures: dict[str, Any]) -> dict[str, Any]:
    """Objects the entries' kwargs need; fixtures holds company, users and more."""
    from kizuna.practices.evaluation import services
    from kizuna.practices.evaluation.models import Participant

    people = fixtures["company"]["people"]
    hr = fixtures["users"]["hr"]
    cycle = services.create_cycle(
        name="access matrix review",
        kind="annual",
        starts_on=dt.date(2025, 4, 1),
        ends_on=dt.date(2026, 3, 31),
        due_on=dt.date(2026, 4, 20),
        audience={"all": True},
        by=hr,
    )
    criteria = services.create_criteria(
        title="全社", body="本文", department=None, job_level="", by=hr, publish=False
    )
    takahashi = Participant.objects.get(cycle=cycle, employee=people["E004"])
    ito = Participant.objects.get(cycle=cycle, employee=people["E006"])
    # 高橋 (the employee login) is asked for peer feedback on 伊藤 (開発部)
    assignment = services.propose_rater(ito, people["E004"], "peer", hr)
    return {
        "evaluation": {
            "cycle": cycle,
            "criteria": criteria,
            "takahashi": takahashi,
            "assignment": assignment,
        }
    }


def _e(f: dict[str, Any]) -> dict[str, Any]:
    return f["evaluation"]


# 高橋's reviews: himself, his manager chain (E003 → manager E002 → executive E001) and HR
READERS = {"employee", "manager", "executive", "admin", "hr"}
POST_ONLY = statuses(405, anonymous=405)

Kwargs = Callable[[dict[str, Any]], dict[str, Any]]
MATRIX: dict[str, tuple[Kwargs | None, dict[str, int]]] = {
    # HR and admins have no employee record in the fixture: they go to the cycles page
    "evaluation:index": (None, statuses(200, admin=302, hr=302)),
    # people without an employee record get a page that says so
    "evaluation:criteria": (None, statuses(200)),
    "evaluation:results": (
        lambda f: {"pk": _e(f)["takahashi"].pk},
        {**only(READERS, other=404)},
    ),
    # only the member writes the self-assessment; readers get 403, others 404
    "evaluation:review_form": (
        lambda f: {"pk": _e(f)["takahashi"].pk, "kind": "self"},
        {**only({"employee"}), **{r: 404 for r in NO_RECORD}},
    ),
    "evaluation:rater_add": (lambda f: {"pk": _e(f)["takahashi"].pk}, POST_ONLY),
    "evaluation:final": (lambda f: {"pk": _e(f)["takahashi"].pk}, POST_ONLY),
    "evaluation:rater_decide": (lambda f: {"pk": _e(f)["assignment"].pk}, POST_ONLY),
    # the feedback form opens for its rater only (404 for everyone else, HR included)
    "evaluation:feedback_form": (
        lambda f: {"pk": _e(f)["assignment"].pk},
        only({"employee"}, other=404),
    ),
    "evaluation:criteria_manage": (None, only(HR)),
    "evaluation:criteria_publish": (lambda f: {"pk": _e(f)["criteria"].pk}, POST_ONLY),
    "evaluation:cycles": (None, only(HR)),
    "evaluation:cycle_detail": (lambda f: {"pk": _e(f)["cycle"].pk}, only(HR)),
    "evaluation:cycle_status": (lambda f: {"pk": _e(f)["cycle"].pk}, POST_ONLY),
    "evaluation:calibration": (lambda f: {"pk": _e(f)["cycle"].pk}, only(HR)),
    "evaluation:calibration_adjust": (lambda f: {"pk": _e(f)["cycle"].pk}, POST_ONLY),
    # API: people without an employee record have no reviews (404); HR reads all criteria
    "api:review_list_mine": (
        None,
        {**only({"employee", "manager", "executive"}, other=404), ANON: 401},
    ),
    "api:review_criteria": (None, {**only(ALL - NO_RECORD, other=404), ANON: 401}),
    "api:review_results": (
        lambda f: {"participant_id": _e(f)["takahashi"].pk},
        {**only(READERS, other=404), ANON: 401},
    ),
    "api:review_submit": (
        lambda f: {"participant_id": _e(f)["takahashi"].pk, "kind": "self"},
        POST_ONLY,
    ),
    "api:review_feedback_submit": (
        lambda f: {"assignment_id": _e(f)["assignment"].pk},
        POST_ONLY,
    ),
}

"""Access-matrix entries of the oneonones app (merged into tests/core/test_access_matrix.py).

Expected statuses: 200 page, 302 redirect (to login for anonymous), 403 role not allowed,
404 object outside the user's scope, 405 method not allowed (GET on POST-only views).
Roles: admin, hr, manager (heads 営業部, is E002), employee (高橋 E004 in 営業1課, reports
to E003), executive (E001), csm, support, marketer (no employee record).

The fixture's 1on1: E003 (manager, no login) and E004 (the employee login). The manager
login (E002) is the manager's manager: not a participant, so 404 like HR, admins and the
executive. The cadence page of that pair: its manager (E003, no login), HR and admins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kizuna.core.roles import ALL_ROLES

ANON = "anonymous"
ALL = set(ALL_ROLES)


def only(roles: set[str], ok: int = 200, other: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {**{r: (ok if r in roles else other) for r in ALL_ROLES}, ANON: anonymous}


def statuses(default: int, anonymous: int = 302, **per_role: int) -> dict[str, int]:
    return {**{r: default for r in ALL_ROLES}, **per_role, ANON: anonymous}


def build(fixtures: dict[str, Any]) -> dict[str, Any]:
    """Objects the entries' kwargs need; fixtures holds company, users and more."""
    from django.utils import timezone

    from kizuna.practices.oneonones import services
    from kizuna.practices.oneonones.models import ActionItem, Meeting, Pair

    people = fixtures["company"]["people"]
    services.sync_pairs(dt.date(2026, 1, 1))
    pair = Pair.objects.get(manager=people["E003"], member=people["E004"])
    meeting = Meeting.objects.create(pair=pair, scheduled_at=timezone.now() + dt.timedelta(days=1))
    item = ActionItem.objects.create(pair=pair, meeting=meeting, owner=people["E004"], text="x")
    return {"oneonones_pair": pair, "oneonones_meeting": meeting, "oneonones_item": item}


def _pair(f: dict[str, Any]) -> dict[str, Any]:
    return {"pk": f["oneonones_pair"].pk}


def _meeting(f: dict[str, Any]) -> dict[str, Any]:
    return {"pk": f["oneonones_meeting"].pk}


# the two participants' pages: the employee (E004) only; every other role 404
PARTICIPANT = statuses(404, employee=200)
POST_ONLY = statuses(405, anonymous=405)

Kwargs = Callable[[dict[str, Any]], dict[str, Any]]
MATRIX: dict[str, tuple[Kwargs | None, dict[str, int]]] = {
    "oneonones:index": (None, only(ALL)),
    "oneonones:cadence": (None, only({"admin", "hr", "manager", "executive"})),
    "oneonones:sync": (None, POST_ONLY),
    "oneonones:import": (None, only({"admin", "hr"})),
    "oneonones:import_template": (None, only({"admin", "hr"})),
    "oneonones:pair": (_pair, PARTICIPANT),
    "oneonones:schedule": (_pair, POST_ONLY),
    # cadence: the pair's manager (E003, no login), HR and admins
    "oneonones:pair_cadence": (_pair, statuses(404, admin=200, hr=200)),
    "oneonones:meeting": (_meeting, PARTICIPANT),
    "oneonones:meeting_ics": (_meeting, PARTICIPANT),
    "oneonones:agenda_add": (_meeting, POST_ONLY),
    "oneonones:shared_note_add": (_meeting, POST_ONLY),
    "oneonones:private_note_save": (_meeting, POST_ONLY),
    "oneonones:action_add": (_meeting, POST_ONLY),
    "oneonones:action_toggle": (
        lambda f: {"pk": f["oneonones_meeting"].pk, "item_pk": f["oneonones_item"].pk},
        POST_ONLY,
    ),
    "oneonones:rate": (_meeting, POST_ONLY),
    "oneonones:meeting_status": (_meeting, POST_ONLY),
    # API: logins without an employee record have no pairs (404); anonymous 401
    "api:oneonones_pairs": (
        None,
        statuses(200, csm=404, support=404, marketer=404, admin=404, hr=404, anonymous=401),
    ),
    "api:oneonones_meetings": (
        None,
        statuses(200, csm=404, support=404, marketer=404, admin=404, hr=404, anonymous=401),
    ),
    "api:oneonones_meeting": (
        lambda f: {"meeting_id": f["oneonones_meeting"].pk},
        statuses(404, employee=200, anonymous=401),
    ),
    "api:oneonones_agenda_add": (
        lambda f: {"meeting_id": f["oneonones_meeting"].pk},
        statuses(405, anonymous=405),
    ),
}

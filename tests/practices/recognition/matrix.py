"""Access-matrix entries of the recognition app (merged into tests/core/test_access_matrix.py).

Expected statuses: 200 page, 302 redirect (to login for anonymous), 403 role not allowed,
404 object outside the user's scope, 405 method not allowed (GET on POST-only views).
Roles: admin, hr, manager (heads 営業部, is E002), employee (高橋 E004 in 営業1課, reports
to E003), executive (E001), csm, support, marketer (no employee record).

Recognition is public inside the company: every signed-in role reads the feed, a post,
a person's received thanks, the value leaderboard and the awards. Values, settings, new
award rounds and the points export are for admin and HR (``recognition.manage``). The
budget API needs an employee record (403 for logins without one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kizuna.core.roles import ALL_ROLES

ANON = "anonymous"
ALL = set(ALL_ROLES)
MANAGE = {"admin", "hr"}
WITH_EMPLOYEE = {"manager", "employee", "executive"}


def only(roles: set[str], ok: int = 200, other: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {**{r: (ok if r in roles else other) for r in ALL_ROLES}, ANON: anonymous}


POST_ONLY = only(ALL, ok=405, other=405, anonymous=405)


def build(fixtures: dict[str, Any]) -> dict[str, Any]:
    """Objects the entries' kwargs need; fixtures holds company, users and more."""
    from kizuna.practices.recognition import services
    from kizuna.practices.recognition.models import CompanyValue

    people = fixtures["company"]["people"]
    value = CompanyValue.objects.create(name="チームワーク", name_en="Teamwork")
    thanks = services.post_thanks(people["E004"], [people["E005"]], [value], "ありがとう", 10)
    award = services.create_round(
        "月間MVP", "monthly", dt.date(2026, 5, 1), by=fixtures["users"]["hr"]
    )
    return {"rec_value": value, "rec_thanks": thanks, "rec_award": award}


def _thanks(f: dict[str, Any]) -> dict[str, Any]:
    return {"pk": f["rec_thanks"].pk}


def _award(f: dict[str, Any]) -> dict[str, Any]:
    return {"pk": f["rec_award"].pk}


Kwargs = Callable[[dict[str, Any]], dict[str, Any]]
MATRIX: dict[str, tuple[Kwargs | None, dict[str, int]]] = {
    "recognition:feed": (None, only(ALL)),
    "recognition:post": (None, POST_ONLY),
    "recognition:thanks": (_thanks, only(ALL)),
    "recognition:clap": (_thanks, POST_ONLY),
    "recognition:person": (lambda f: {"pk": f["company"]["people"]["E006"].pk}, only(ALL)),
    "recognition:leaderboard": (None, only(ALL)),
    "recognition:awards": (None, only(ALL)),
    "recognition:award_create": (None, only(MANAGE)),
    "recognition:award": (_award, only(ALL)),
    "recognition:nominate": (_award, POST_ONLY),
    "recognition:vote": (_award, POST_ONLY),
    "recognition:award_advance": (_award, POST_ONLY),
    "recognition:values": (None, only(MANAGE)),
    "recognition:value_create": (None, only(MANAGE)),
    "recognition:value_edit": (lambda f: {"pk": f["rec_value"].pk}, only(MANAGE)),
    "recognition:settings": (None, only(MANAGE)),
    "recognition:export": (None, only(MANAGE)),
    # the REST API (token or session; 401 without either)
    "api:recognition_feed": (None, only(ALL, anonymous=401)),
    "api:recognition_post_thanks": (None, POST_ONLY),
    "api:recognition_clap": (lambda f: {"thanks_id": f["rec_thanks"].pk}, POST_ONLY),
    "api:recognition_budget": (None, only(WITH_EMPLOYEE, anonymous=401)),
}

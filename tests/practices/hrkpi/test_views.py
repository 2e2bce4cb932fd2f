"""The dashboard, the leaver list and the API: scope, access and the numbers they show.

The shared fixture company (tests/conftest.py: 株式会社テスト, six people hired
2020-04-01) gets three leavers here, in fiscal 2025 (April 2025 – March 2026):
伊藤 (E006, 開発部) voluntary on 2025-06-30, 高橋 (E004, 営業1課) voluntary on
2025-09-30, and 中村 (E007, 営業1課, hired 2025-05-01) involuntary on 2025-08-31.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import types
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kizuna.core.models import User
from kizuna.org.models import Employee
from kizuna.practices.kpi import Ratio
from tests.practices.hrkpi import matrix
from tests.practices.hrkpi.conftest import make_person

D = dt.date
ALL = ("admin", "hr", "manager", "employee", "executive", "csm", "support", "marketer")


@pytest.fixture
def leavers(company: dict[str, Any]) -> dict[str, Employee]:
    people = company["people"]
    Employee.objects.filter(pk=people["E006"].pk).update(
        leave_date=D(2025, 6, 30), leave_reason="voluntary"
    )
    Employee.objects.filter(pk=people["E004"].pk).update(
        leave_date=D(2025, 9, 30), leave_reason="voluntary"
    )
    late = make_person(
        "E007", company["departments"]["SALES1"], D(2025, 5, 1), D(2025, 8, 31), "involuntary"
    )
    return {"E004": people["E004"], "E006": people["E006"], "E007": late}


def _client(user: User | None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # assertions read English
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("who", [*ALL, matrix.ANON])
def test_each_hrkpi_url_answers_each_role(who: str, company: Any, role_users: Any) -> None:
    fixtures = {"company": company, "users": role_users}
    fixtures.update(matrix.build(fixtures))
    client = _client(None if who == matrix.ANON else role_users[who])
    wrong = []
    for name, (kwargs, expected) in matrix.MATRIX.items():
        url = reverse(name, kwargs=kwargs(fixtures) if kwargs else None)
        status = client.get(url).status_code
        if status != expected[who]:
            wrong.append(f"{name}: expected {expected[who]}, got {status}")
    assert not wrong, wrong


def _api(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get(reverse("api:hr_kpis"), params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_api_gives_the_hand_counted_turnover(leavers: Any, role_users: Any) -> None:
    data = _api(_client(role_users["hr"]), period="2025")
    assert data["period"] == {
        "kind": "year",
        "key": "2025",
        "fiscal_year": 2025,
        "start": "2025-04-01",
        "end": "2026-03-31",
        "to_date": False,
    }
    # on 2025-04-01: E001–E006 = 6 (E007 joined 5/1); leavers E006, E007, E004 = 3 → 50%
    t = data["turnover"]
    assert t["turnover"] == {"numerator": 3, "denominator": 6, "rate": 50.0}
    assert t["voluntary"] == {"numerator": 2, "denominator": 6, "rate": pytest.approx(100 / 3)}
    assert (t["involuntary"], t["other"], t["hired_and_left"]) == (1, 0, 1)
    assert t["retention_rate"] == 50.0 and t["annualised_rate"] == 50.0
    by_code = {d["code"]: d for d in data["departments"]}
    # 営業部 subtree: E002, E003, E004 = 3; leavers E004, E007 = 2. 開発部: E005, E006; E006
    assert by_code["SALES"]["turnover"] == {
        "numerator": 2,
        "denominator": 3,
        "rate": pytest.approx(200 / 3),
    }
    assert by_code["DEV"]["turnover"] == {"numerator": 1, "denominator": 2, "rate": 50.0}
    # the quarter July–September: on 7/1 E001–E005 + E007 = 6; leavers E007, E004 = 2
    q2 = _api(_client(role_users["hr"]), period="2025-Q2")["turnover"]
    assert q2["turnover"] == {"numerator": 2, "denominator": 6, "rate": pytest.approx(100 / 3)}
    assert q2["annualised_rate"] == pytest.approx(100 / 3 * 4)


def test_api_rejects_a_bad_period_and_foreign_department(leavers: Any, role_users: Any) -> None:
    client = _client(role_users["hr"])
    response = client.get(reverse("api:hr_kpis"), {"period": "2025-Q9"})
    assert response.status_code == 422
    assert "period" in json.loads(response.content)["detail"]
    dev = Employee.objects.get(employee_number="E006").department
    manager = _client(role_users["manager"])
    assert manager.get(reverse("api:hr_kpis"), {"department": dev.pk}).status_code == 404


def test_manager_sees_only_their_subtree(leavers: Any, role_users: Any, company: Any) -> None:
    client = _client(role_users["manager"])
    data = _api(client, period="2025")
    # 営業部 only: E002, E003, E004 at the start, E004 and E007 left
    assert data["scope"]["company_wide"] is False
    assert data["turnover"]["turnover"] == {
        "numerator": 2,
        "denominator": 3,
        "rate": pytest.approx(200 / 3),
    }
    # heading one department, the breakdown starts below it: 営業1課 (E003, E004; E004 and
    # E007 left) and 営業部's own member E002
    rows = [
        (d["code"], d["own_members_only"], d["turnover"]["numerator"], d["turnover"]["denominator"])
        for d in data["departments"]
    ]
    assert rows == [("SALES1", False, 2, 2), ("SALES", True, 0, 1)]
    page = client.get(reverse("hrkpi:dashboard"), {"period": "2025"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "開発部" not in body and "伊藤" not in body
    dev = company["departments"]["DEV"]
    assert client.get(reverse("hrkpi:leavers", args=[dev.pk])).status_code == 404
    assert client.get(reverse("hrkpi:dashboard"), {"department": dev.pk}).status_code == 404
    sales1 = company["departments"]["SALES1"]
    listing = client.get(reverse("hrkpi:leavers", args=[sales1.pk]), {"period": "2025"})
    text = listing.content.decode()
    assert "高橋" in text and "E007" in text and "伊藤" not in text
    with translation.override("en"):
        listing = client.get(
            reverse("hrkpi:leavers", args=[sales1.pk]),
            {"period": "2025"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "Voluntary resignation" not in listing.content.decode()  # reasons: HR only


def test_hr_sees_the_reasons_and_the_cards(leavers: Any, role_users: Any, company: Any) -> None:
    client = _client(role_users["hr"])
    root = company["departments"]["ROOT"]
    listing = client.get(reverse("hrkpi:leavers", args=[root.pk]), {"period": "2025"})
    text = listing.content.decode()
    assert text.index("E004") < text.index("E007") < text.index("E006")  # newest first
    assert "自己都合" in text or "Voluntary resignation" in text
    page = client.get(reverse("hrkpi:dashboard"), {"period": "2025"}).content.decode()
    assert "50.0%" in page and 'id="department-turnover"' in page
    assert "2,020" not in page  # fiscal years are not numbers with separators
    assert 'data-chart="chart-monthly-turnover"' in page


def test_a_bad_period_shows_an_error_and_the_default(leavers: Any, role_users: Any) -> None:
    client = _client(role_users["hr"])
    with translation.override("en"):
        page = client.get(
            reverse("hrkpi:dashboard"), {"period": "1999-M13"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert page.status_code == 200
    assert "Choose a fiscal year, quarter or month from the list." in page.content.decode()


def test_a_manager_without_a_department_gets_an_explanation(make_user: Any, company: Any) -> None:
    user = make_user("lonely@test.example", "manager")
    with translation.override("en"):
        page = _client(user).get(reverse("hrkpi:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 403
    assert "not linked to an employee record" in page.content.decode()


def test_other_apps_kpis_are_composed_or_marked_unavailable(
    leavers: Any, role_users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kizuna.practices.hrkpi import compose

    real = compose.optional_function

    def fake_or_missing(module: str, name: str) -> Any:
        if module.endswith("oneonones.metrics") and name == "coverage":
            return lambda as_of, people=None: Ratio(3, 4)
        if module.endswith("recognition.metrics"):
            return None  # the app is not there yet
        return real(module, name)

    monkeypatch.setattr(compose, "optional_function", fake_or_missing)
    kpis = {k.key: k for k in compose.composed(D(2025, 4, 1), D(2025, 6, 30), D(2025, 6, 30), None)}
    assert kpis["coverage"].available and kpis["coverage"].figures[0].ratio == Ratio(3, 4)
    assert not kpis["reach"].available
    with translation.override("en"):
        page = _client(role_users["hr"]).get(reverse("hrkpi:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "75.0%" in text and "3 of 4 pairs" in text
    assert "Not available: this part of Kizuna is not installed yet." in text
    data = _api(_client(role_users["hr"]))
    practices = {p["key"]: p for p in data["practices"]}
    assert practices["coverage"]["figures"]["coverage"] == {
        "numerator": 3,
        "denominator": 4,
        "rate": 75.0,
    }
    assert practices["reach"]["available"] is False


def test_a_broken_module_does_not_break_the_page(
    role_users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = types.ModuleType("kizuna.practices.evaluation.metrics")

    def wish_rate(start: dt.date, end: dt.date, people: Any = None) -> Ratio:
        raise RuntimeError("bug in another app")

    broken.wish_rate = wish_rate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kizuna.practices.evaluation.metrics", broken)
    with translation.override("en"):
        page = _client(role_users["hr"]).get(reverse("hrkpi:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "the figure could not be computed" in page.content.decode()


def test_percentages_are_rounded_not_cut() -> None:
    from kizuna.practices.hrkpi import pages

    with translation.override("en"):
        # 1 / 6 = 16.666…% → 16.7%, 2 / 3 = 66.666…% → 66.7%; no value → a dash
        assert pages.pct(100 / 6) == "16.7%"
        assert pages.pct(200 / 3) == "66.7%"
        assert pages.pct(None) == "—"
        assert pages.score(-29.4909) == "-29.5"


def test_drilling_into_a_department_focuses_the_page(
    leavers: Any, role_users: Any, company: Any
) -> None:
    sales = company["departments"]["SALES"]
    client = _client(role_users["hr"])
    page = client.get(reverse("hrkpi:dashboard"), {"period": "2025", "department": sales.pk})
    body = page.content.decode()
    # 営業部's subtree: E002, E003, E004 on 2025-04-01; E004 and E007 left → 2 / 3
    card = body[body.index('id="kpi-turnover"') :]
    assert "66.7%" in card[: card.index("</p>")]
    table = body[body.index('id="department-turnover"') :]
    table = table[: table.index("</table>")]
    assert "Sales 1" in table and "Engineering" not in table  # English names (name_en)

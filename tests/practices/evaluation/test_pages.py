"""Pages: writing a review through the form, results with the guarded 360, HR pages,
calibration with audit entries — and no route that tells who wrote which peer review."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kizuna.core.models import AuditLog, User
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import (
    Cycle,
    CycleStatus,
    Participant,
    RaterAssignment,
    Review,
)

pytestmark = pytest.mark.django_db


def _client(user: User, language: str = "en") -> Client:
    """Signed in; pages in ``language`` (the user's saved choice wins over the browser)."""
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def test_the_member_writes_a_self_assessment_with_wishes(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    target = participant_of(company["people"]["E004"])
    client = _client(role_users["employee"])
    url = reverse("evaluation:review_form", args=[target.pk, "self"])
    page = client.get(url)
    assert page.status_code == 200
    assert "Results exceeded the goals" in page.content.decode()
    bad = client.post(url, {"action": "submit", "outcome": "4"})
    assert bad.status_code == 200  # the form again, errors inline
    assert "Choose a rating from 1 to 5." in bad.content.decode()
    assert not Review.objects.filter(submitted_on__isnull=False).exists()
    done = client.post(
        url,
        {
            "action": "submit",
            "outcome": "4",
            "process": "5",
            "comment": "新規顧客を開拓しました",
            "wish_transfer": "on",
            "wish_comment": "マーケティングに挑戦したい",
        },
    )
    assert done.status_code == 302
    review = Review.objects.get(participant=target, kind="self")
    assert (review.outcome, review.process, review.wish_transfer) == (4, 5, True)
    assert review.submitted_on is not None
    # the manager chain reads the wish; a colleague elsewhere cannot open the page
    page = _client(role_users["manager"]).get(reverse("evaluation:results", args=[target.pk]))
    assert "マーケティングに挑戦したい" in page.content.decode()


def test_a_draft_is_not_shown_to_the_manager(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    target = participant_of(company["people"]["E004"])
    _client(role_users["employee"]).post(
        reverse("evaluation:review_form", args=[target.pk, "self"]),
        {"action": "save", "comment": "まだ下書きです"},
    )
    page = _client(role_users["manager"]).get(reverse("evaluation:results", args=[target.pk]))
    assert "まだ下書きです" not in page.content.decode()
    mine = _client(role_users["employee"]).get(reverse("evaluation:results", args=[target.pk]))
    assert "まだ下書きです" in mine.content.decode()


def test_results_page_shows_the_lock_below_k_and_averages_at_k(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
    give_feedback: Callable[..., Any],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    give_feedback(target, [people["E002"], people["E005"]], scores=[(5, 5), (4, 2)])
    give_feedback(
        participant_of(people["E003"]),
        [people["E004"]],
        category="report",
        scores=[(2, 2)],
    )
    services.set_cycle_status(annual, CycleStatus.CLOSED, role_users["hr"])
    client = _client(role_users["employee"])
    url = reverse("evaluation:results", args=[target.pk])
    body = client.get(url).content.decode()
    assert "Hidden: fewer than 3 raters" in body
    # (5 + 4) / 2 = 4.5 must not appear anywhere
    assert "4.5" not in body
    services.set_cycle_status(annual, CycleStatus.OPEN, role_users["hr"])
    target.cycle.refresh_from_db()
    give_feedback(target, [people["E006"]], scores=[(3, 2)])
    services.set_cycle_status(annual, CycleStatus.CLOSED, role_users["hr"])
    body = client.get(url).content.decode()
    # outcome (5 + 4 + 3) / 3 = 4.0, process (5 + 2 + 2) / 3 = 3.0
    assert ">4.0<" in body and ">3.0<" in body


def test_no_route_tells_who_wrote_which_peer_review(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
    give_feedback: Callable[..., Any],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    raters = [people["E002"], people["E005"], people["E006"]]
    give_feedback(
        target,
        raters,
        scores=[(5, 5), (3, 1), (1, 3)],
        comments=["コメント甲", "コメント乙", "コメント丙"],
    )
    services.set_cycle_status(annual, CycleStatus.CLOSED, role_users["hr"])
    for role in ("admin", "hr", "employee", "manager", "executive"):
        client = _client(role_users[role])
        pages = [
            client.get(reverse("evaluation:results", args=[target.pk])),
            client.get(reverse("api:review_results", kwargs={"participant_id": target.pk})),
            client.get(reverse("evaluation:cycle_detail", args=[annual.pk])),
            client.get(reverse("evaluation:calibration", args=[annual.pk])),
            client.get(reverse("evaluation:index")),
        ]
        for response in pages:
            if response.status_code != 200:
                continue
            text = response.content.decode()
            # single ratings never appear; only the averages (3.0 / 3.0)
            assert "コメント甲" not in text or "佐藤" not in text.split("コメント甲")[0][-400:]
            if response["Content-Type"].startswith("application/json"):
                feedback = json.loads(text)["feedback"]
                assert {k for row in feedback for k in row} == {
                    "category",
                    "visible",
                    "reason",
                    "raters",
                    "outcome",
                    "process",
                    "comments",
                }
                peer = next(row for row in feedback if row["category"] == "peer")
                # (5 + 3 + 1) / 3 = 3.0 and (5 + 1 + 3) / 3 = 3.0
                assert (peer["outcome"], peer["process"], peer["raters"]) == (3.0, 3.0, 3)
    # nothing in the audit log ties a rater to a submission
    assert not AuditLog.objects.filter(action__contains="feedback").exists()
    # no admin page exists for feedback rows or for the completion flags
    admin = _client(role_users["admin"])
    assert admin.get("/admin/evaluation/feedback/").status_code == 404
    assert admin.get("/admin/evaluation/raterassignment/").status_code == 404
    # the HR progress page shows totals, never which rater completed
    detail = admin.get(reverse("evaluation:cycle_detail", args=[annual.pk])).content.decode()
    for rater in raters:
        assert rater.full_name not in detail.split('<h2 id="people-h">')[0]
    assert RaterAssignment.objects.filter(completed=True).count() == 3


def test_hr_creates_a_cycle_through_the_page(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    client = _client(role_users["hr"])
    url = reverse("evaluation:cycles")
    bad = client.post(url, {"name": "", "kind": "annual"})
    assert bad.status_code == 200  # the form again, errors inline
    assert "Give the cycle a name." in bad.content.decode()
    assert not Cycle.objects.exists()
    form = {
        "name": "2026年度 年次評価",
        "kind": "annual",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "due_on": "2027-04-20",
        "audience": "department",
        "department": "DEV",
        "min_raters": "3",
        **{f"target_{b}": str(v) for b, v in {"S": 5, "A": 20, "B": 50, "C": 20, "D": 5}.items()},
    }
    done = client.post(url, form)
    assert done.status_code == 302
    cycle = Cycle.objects.get()
    # 開発部: E005, E006
    assert cycle.participants.count() == 2
    assert client.get(done["Location"]).status_code == 200
    assert AuditLog.objects.filter(action="evaluation.cycle_created").count() == 1


def test_calibration_changes_are_audited(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    hr = role_users["hr"]
    takahashi = participant_of(people["E004"])
    ito = participant_of(people["E006"])
    # the manager sets B for 高橋 (as a logged-in reviewer of E004 would: E003 here)
    assert services.set_final(takahashi, band="B", outcome=3, process=4, by=hr)
    client = _client(hr)
    response = client.post(
        reverse("evaluation:calibration_adjust", args=[annual.pk]),
        {"people": [takahashi.pk, ito.pk], "band": "A", "note": "部門間調整"},
    )
    assert response.status_code == 302
    takahashi.refresh_from_db()
    ito.refresh_from_db()
    assert (takahashi.band, ito.band) == ("A", "A")
    entries = list(AuditLog.objects.filter(action="evaluation.final_rating").order_by("pk"))
    # one for the manager's B, one per person adjusted to A
    assert len(entries) == 3
    assert entries[1].detail["before"]["band"] == "B" and entries[1].detail["after"]["band"] == "A"
    assert entries[1].detail["via"] == "calibration" and entries[1].detail["note"] == "部門間調整"
    assert entries[2].detail["before"]["band"] == "" and entries[2].actor == hr
    # a no-op adjustment writes nothing
    client.post(
        reverse("evaluation:calibration_adjust", args=[annual.pk]),
        {"people": [takahashi.pk], "band": "A"},
    )
    assert AuditLog.objects.filter(action="evaluation.final_rating").count() == 3
    # a bad band changes nothing
    client.post(
        reverse("evaluation:calibration_adjust", args=[annual.pk]),
        {"people": [takahashi.pk], "band": "Z"},
    )
    takahashi.refresh_from_db()
    assert takahashi.band == "A"


def test_calibration_page_shows_the_distribution_against_the_target(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    hr = role_users["hr"]
    for number, band in (("E001", "S"), ("E002", "A"), ("E003", "B"), ("E004", "B")):
        services.set_final(participant_of(people[number]), band=band, by=hr)
    response = _client(hr, "ja").get(reverse("evaluation:calibration", args=[annual.pk]))
    view = response.context["view"]
    total = {c["band"]: c for c in view["total"]["cells"]}
    # 4 people banded, 2 without: S 1/4 = 25%, A 25%, B 2/4 = 50%, C 0, D 0
    assert view["total"]["banded"] == 4 and view["total"]["unbanded"] == 2
    assert total["S"]["pct"] == pytest.approx(25.0) and total["B"]["pct"] == pytest.approx(50.0)
    assert total["S"]["target"] == 5 and total["B"]["target"] == 50
    sales1 = next(r for r in view["rows"] if r["label"] == "営業1課")
    # 営業1課: E003 B, E004 B -> B 100%
    assert {c["band"]: c["n"] for c in sales1["cells"]}["B"] == 2


def test_the_member_sees_the_band_only_when_finalised(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    target = participant_of(company["people"]["E004"])
    services.set_final(target, band="S", by=role_users["hr"], note="特記事項")
    client = _client(role_users["employee"])
    url = reverse("evaluation:results", args=[target.pk])
    assert not client.get(url).context["show_band"]
    services.set_cycle_status(annual, CycleStatus.FINALISED, role_users["hr"], dt.date(2026, 5, 15))
    page = client.get(url)
    assert page.context["show_band"]
    assert "特記事項" not in page.content.decode()


def test_people_without_an_employee_record_get_an_explanation(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    page = _client(role_users["csm"]).get(reverse("evaluation:index"))
    assert page.status_code == 200
    assert "not linked to an employee record" in page.content.decode()

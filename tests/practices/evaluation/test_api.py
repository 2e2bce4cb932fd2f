"""The /api/reviews endpoints: my reviews, submitting with JSON errors, criteria."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kizuna.core.models import User
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import Cycle, Feedback, Participant, Review

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_submit_with_field_paths_then_idempotent(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    target = participant_of(company["people"]["E004"])
    client = _client(role_users["employee"])
    url = f"/api/reviews/{target.pk}/self"
    bad = _post(client, url, {"scores": {"outcome": 9}, "comment": "x"})
    assert bad.status_code == 422
    assert bad.json() == {
        "errors": [
            {"field": "scores.outcome", "message": "Choose a rating from 1 to 5."},
            {"field": "scores.process", "message": "Choose a rating from 1 to 5."},
        ]
    }
    assert not Review.objects.exists()
    body = {
        "scores": {"outcome": 4, "process": 3},
        "wishes": {"promotion": True, "comment": "リーダーに挑戦したい"},
    }
    first = _post(client, url, body)
    assert first.status_code == 200 and first.json()["stored"] is True
    again = _post(client, url, {"scores": {"outcome": 1, "process": 1}})
    assert again.json()["stored"] is False
    review = Review.objects.get()
    assert (review.outcome, review.process, review.wish_promotion) == (4, 3, True)
    # the manager review is not the member's to write
    assert _post(client, f"/api/reviews/{target.pk}/manager", body).status_code == 403


def test_mine_lists_what_to_write(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    services.propose_rater(participant_of(people["E006"]), people["E004"], "peer", role_users["hr"])
    data = _client(role_users["employee"]).get("/api/reviews/mine").json()
    assert [row["cycle"]["name"] for row in data["about_me"]] == ["2025年度 年次評価"]
    assert [(row["kind"], row["reviewee"]) for row in data["to_write"]] == [("peer", "伊藤 健")]
    # 佐藤 (manager login, E002) reviews 鈴木 (E003)
    boss = _client(role_users["manager"]).get("/api/reviews/mine").json()
    assert [(row["kind"], row["reviewee"]) for row in boss["to_write"]] == [
        ("manager", "鈴木 一郎")
    ]


def test_feedback_through_the_api(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    assignment = services.propose_rater(
        participant_of(people["E006"]), people["E004"], "peer", role_users["hr"]
    )
    url = f"/api/reviews/feedback/{assignment.pk}"
    # someone else cannot use the assignment
    assert _post(_client(role_users["manager"]), url, {}).status_code == 404
    client = _client(role_users["employee"])
    assert _post(client, url, {"scores": {"outcome": 2}}).status_code == 422
    ok = _post(client, url, {"scores": {"outcome": 4, "process": 4}, "comment": "頼れる"})
    assert ok.json() == {"stored": True, "submitted_on": None}
    assert _post(client, url, {"scores": {"outcome": 4, "process": 4}}).json()["stored"] is False
    assert Feedback.objects.count() == 1


def test_criteria_for_me(company: dict[str, Any], role_users: dict[str, User]) -> None:
    hr = role_users["hr"]
    services.create_criteria(
        title="開発部",
        body="b",
        department=company["departments"]["DEV"],
        job_level="",
        by=hr,
        publish=True,
    )
    services.create_criteria(
        title="全社", body="b", department=None, job_level="", by=hr, publish=True
    )
    mine = _client(role_users["employee"]).get("/api/reviews/criteria").json()
    assert [c["title"] for c in mine] == ["全社"]
    everything = _client(hr).get("/api/reviews/criteria").json()
    assert sorted(c["title"] for c in everything) == ["全社", "開発部"]

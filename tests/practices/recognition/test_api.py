"""The REST API: feed, posting thanks (JSON errors with field paths), clap, budget."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.test import Client

from kizuna.core.models import User
from kizuna.org.models import Employee
from kizuna.practices.recognition.models import CompanyValue, Thanks

BASE = "/api/recognition"


def post_json(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(BASE + path, data=json.dumps(body or {}), content_type="application/json")


def test_post_thanks_and_read_budget(
    client: Client,
    role_users: dict[str, User],
    people: dict[str, Employee],
    values: dict[str, CompanyValue],
) -> None:
    client.force_login(role_users["employee"])
    body = {
        "recipients": [people["E005"].pk, people["E006"].pk],
        "values": [values["Challenge"].pk],
        "message": "API から感謝",
        "points": 40,
    }
    response = post_json(client, "/thanks", body)
    assert response.status_code == 201, response.content
    item = response.json()
    assert [r["name"] for r in item["recipients"]] == ["田中 美咲", "伊藤 健"]
    assert item["points"] == 40
    budget = client.get(BASE + "/budget").json()
    # 40 × 2 = 80 used; 400 − 80 = 320 left
    assert (budget["used"], budget["remaining"], budget["max_per_post"]) == (80, 320, 120)


def test_errors_have_field_paths_and_nothing_is_saved(
    client: Client,
    role_users: dict[str, User],
    people: dict[str, Employee],
    values: dict[str, CompanyValue],
) -> None:
    client.force_login(role_users["employee"])
    body = {
        "recipients": [people["E004"].pk],  # oneself
        "values": [],
        "message": "x",
        "points": 200,  # over the 120 cap
    }
    response = post_json(client, "/thanks", body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {"loc": ["body", "recipients"], "msg": "You cannot thank yourself."} in detail
    assert {"loc": ["body", "values"], "msg": "Choose at least one company value."} in detail
    assert {
        "loc": ["body", "points"],
        "msg": "At most 120 points per recipient in one post.",
    } in detail
    unknown = post_json(
        client,
        "/thanks",
        {"recipients": [999999], "values": [values["Teamwork"].pk], "message": "x", "points": 1},
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "recipients"]
    assert not Thanks.objects.exists()


def test_feed_clap_and_no_employee(
    client: Client,
    role_users: dict[str, User],
    people: dict[str, Employee],
    give: Callable[..., Thanks],
) -> None:
    thanks = give(people["E004"], people["E005"], 10, message="最初")
    give(people["E005"], people["E006"], 10, message="二番目")
    client.force_login(role_users["manager"])
    feed = client.get(BASE + "/feed").json()
    assert [i["message"] for i in feed["items"]] == ["二番目", "最初"]
    assert feed["total"] == 2
    clapped = post_json(client, f"/thanks/{thanks.pk}/clap").json()
    assert clapped == {"clapped": True, "claps": 1}
    assert post_json(client, f"/thanks/{thanks.pk}/clap").json() == {"clapped": False, "claps": 0}
    client.force_login(role_users["employee"])  # the sender
    own = post_json(client, f"/thanks/{thanks.pk}/clap")
    assert own.status_code == 422
    assert own.json()["detail"] == [{"loc": ["body"], "msg": "You cannot clap your own post."}]
    client.force_login(role_users["hr"])  # no employee record
    assert client.get(BASE + "/budget").status_code == 403
    assert (
        post_json(
            client, "/thanks", {"recipients": [], "values": [], "message": "", "points": 0}
        ).status_code
        == 403
    )
    assert client.get(BASE + "/feed").status_code == 200

"""Each new thanks is posted to the configured Slack channel, over real HTTP to a fake
Slack Web API, after the post is committed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kizuna.core.models import User
from kizuna.org.models import Employee
from kizuna.practices.recognition.models import CompanyValue, RecognitionSettings, Thanks


def posts(recorder: Any) -> list[dict[str, Any]]:
    return [c for c in recorder.calls if c["method"] == "chat.postMessage"]


def test_a_thanks_is_posted_to_the_channel(
    slack_api: Any,
    people: dict[str, Employee],
    give: Callable[..., Thanks],
    django_capture_on_commit_callbacks: Any,
) -> None:
    RecognitionSettings.objects.update_or_create(pk=1, defaults={"slack_channel": "#thanks"})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        thanks = give(people["E004"], [people["E005"], people["E006"]], 30, message="助かりました")
        assert posts(slack_api) == []  # nothing is sent before the commit
    assert len(callbacks) == 1
    [call] = posts(slack_api)
    assert call["params"]["channel"] == "#thanks"
    assert call["auth"] == "Bearer xoxb-test-token"
    text = call["params"]["text"]
    assert "高橋 二郎" in text and "田中 美咲、伊藤 健" in text
    assert "助かりました" in text
    assert f"/recognition/thanks/{thanks.pk}/" in text


def test_no_channel_no_post(
    slack_api: Any,
    people: dict[str, Employee],
    give: Callable[..., Thanks],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        give(people["E004"], people["E005"], 30)
    assert posts(slack_api) == []


def test_a_refused_post_sends_nothing(
    slack_api: Any,
    people: dict[str, Employee],
    values: dict[str, CompanyValue],
    role_users: dict[str, User],
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    RecognitionSettings.objects.update_or_create(pk=1, defaults={"slack_channel": "#thanks"})
    client.force_login(role_users["employee"])
    form = {
        "recipients": [people["E005"].pk],
        "values": [values["Teamwork"].pk],
        "message": "ありがとう",
    }
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(reverse("recognition:post"), {**form, "points": 500})
        ok = client.post(reverse("recognition:post"), {**form, "points": 10})
    assert (refused.status_code, ok.status_code) == (422, 302)
    assert len(posts(slack_api)) == 1


@pytest.mark.parametrize("channel", ["#thanks"])
def test_slack_failure_does_not_lose_the_post(
    monkeypatch: pytest.MonkeyPatch,
    channel: str,
    people: dict[str, Employee],
    give: Callable[..., Thanks],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # a Slack API that is down: the post is still saved, the helper returns False
    monkeypatch.setenv("KIZUNA_SLACK_TOKEN", "xoxb-test")
    monkeypatch.setenv("KIZUNA_SLACK_API_URL", "http://127.0.0.1:9/api/")
    RecognitionSettings.objects.update_or_create(pk=1, defaults={"slack_channel": channel})
    with django_capture_on_commit_callbacks(execute=True):
        give(people["E004"], people["E005"], 30)
    assert Thanks.objects.count() == 1

"""Invitations and reminders: a real SMTP conversation, a fake Slack Web API, and
reminders that never reach anyone who answered."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from kizuna.core.models import AuditLog, User
from kizuna.surveys import services
from kizuna.surveys.models import Invitation, Survey
from tests.surveys.conftest import MailSink, SlackRecorder, path_of, token_of

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s]+/surveys/answer/[A-Za-z0-9_-]+/")


def _body(message: Any) -> str:
    return message.get_payload(decode=True).decode()


def test_invitations_go_through_a_real_smtp_conversation_with_a_working_link(
    smtp_server: MailSink,
    make_survey: Callable[..., Survey],
    hr: User,
    settings: Any,
    company: dict[str, Any],
) -> None:
    settings.KIZUNA_BASE_URL = "https://kizuna.example.jp/"
    e004 = company["people"]["E004"]
    make_user_en = User.objects.create_user("e006-login@test.example", "x", language="en")
    company["people"]["E006"].user = make_user_en
    company["people"]["E006"].save(update_fields=["user"])

    survey = make_survey(name="5月のパルス", template="kizuna-pulse", kind="pulse")
    result = services.launch(survey, by_user=hr)

    assert (result.invited, result.emailed, result.undelivered) == (6, 6, 0)
    assert sorted(rcpt for _from, rcpts in smtp_server.envelopes for rcpt in rcpts) == [
        f"e00{i}@test.example" for i in range(1, 7)
    ]
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    japanese = by_recipient["e004@test.example"]
    body = _body(japanese)
    assert "高橋 二郎 さん" in body
    assert "「5月のパルス」へのご回答をお願いします" in body
    assert "回答は匿名です" in body and "5人以上のグループ" in body
    links = LINK.findall(body)
    assert links == [result.links[e004.pk]]
    assert links[0].startswith("https://kizuna.example.jp/surveys/answer/")
    english = _body(by_recipient["e006@test.example"])
    assert "Please take part in “5月のパルス”" in english
    # the link in the email opens the answer page
    page = Client().get(path_of(links[0]))
    assert page.status_code == 200
    assert "会社のビジョンや目指している方向を理解している。" in page.content.decode()
    # sending is recorded on the invitation (a date, no time)
    assert Invitation.objects.filter(survey=survey, invited_on__isnull=False).count() == 6


def test_slack_dm_by_email_lookup_against_a_local_api(
    slack_api: SlackRecorder,
    make_survey: Callable[..., Survey],
    hr: User,
    company: dict[str, Any],
    mailoutbox: list[Any],
) -> None:
    survey = make_survey(name="年次サーベイ")
    result = services.launch(survey, by_user=hr)
    # Slack knows e004 and e006; the other four lookups answer users_not_found
    assert result.slack == 2 and result.emailed == 6 and len(mailoutbox) == 6
    lookups = [c for c in slack_api.calls if c["method"] == "users.lookupByEmail"]
    posts = [c for c in slack_api.calls if c["method"] == "chat.postMessage"]
    assert sorted(c["params"]["email"] for c in lookups) == [
        f"e00{i}@test.example" for i in range(1, 7)
    ]
    assert {c["auth"] for c in slack_api.calls} == {"Bearer xoxb-test-token"}
    assert sorted(c["params"]["channel"] for c in posts) == ["U004", "U006"]
    post = next(c for c in posts if c["params"]["channel"] == "U004")
    link = result.links[company["people"]["E004"].pk]
    assert f"<{link}|回答する>" in post["params"]["text"]
    assert "「年次サーベイ」へのご回答をお願いします" in post["params"]["text"]


def test_slack_is_skipped_without_a_token(
    make_survey: Callable[..., Survey],
    hr: User,
    mailoutbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KIZUNA_SLACK_TOKEN", raising=False)
    result = services.launch(make_survey(), by_user=hr)
    assert result.slack == 0 and result.emailed == 6


def test_people_without_an_address_are_counted_as_not_reached(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any], mailoutbox: list[Any]
) -> None:
    company["people"]["E005"].email = ""
    company["people"]["E005"].save(update_fields=["email"])
    result = services.launch(make_survey(), by_user=hr)
    assert (result.invited, result.emailed, result.undelivered) == (6, 5, 1)
    pending = Invitation.objects.get(survey=result.survey, invited_on__isnull=True)
    assert pending.employee == company["people"]["E005"]


def test_reminders_reach_only_people_who_have_not_answered(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any], mailoutbox: list[Any]
) -> None:
    people = company["people"]
    result = services.launch(make_survey(name="年次サーベイ"), by_user=hr)
    survey = result.survey
    for number in ("E002", "E004"):
        invitation = services.invitation_for_token(token_of(result.links[people[number].pk]))
        assert services.submit(invitation, {"belonging_1": 5})
    # E005 started but did not submit: a draft exists
    e005 = services.invitation_for_token(token_of(result.links[people["E005"].pk]))
    services.save_draft(e005, {"belonging_1": 2})
    mail.outbox.clear()

    report = services.send_reminders(survey, by_user=hr)

    reminded = sorted(m.to[0] for m in mail.outbox)
    assert reminded == [
        "e001@test.example",
        "e003@test.example",
        "e005@test.example",
        "e006@test.example",
    ]
    assert len(report.delivered) == 4
    assert all(m.subject == "【リマインド】年次サーベイ" for m in mail.outbox)
    counts = dict(
        Invitation.objects.filter(survey=survey).values_list(
            "employee__employee_number", "reminder_count"
        )
    )
    assert counts == {"E001": 1, "E002": 0, "E003": 1, "E004": 0, "E005": 1, "E006": 1}
    # the reminder carries a fresh link; the old one is refused, the new one resumes
    new_link = LINK.search(next(str(m.body) for m in mail.outbox if m.to == ["e005@test.example"]))
    assert new_link and new_link.group(0) != result.links[people["E005"].pk]
    with pytest.raises(services.InvitationUnavailable):
        services.invitation_for_token(token_of(result.links[people["E005"].pk]))
    resumed = services.invitation_for_token(token_of(new_link.group(0)))
    assert resumed.pk == e005.pk and resumed.draft == {"belonging_1": 2}
    assert AuditLog.objects.get(action="surveys.remind").detail == {"reminded": 4}


def test_a_second_reminder_round_skips_whoever_answered_in_between(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any], mailoutbox: list[Any]
) -> None:
    people = company["people"]
    result = services.launch(make_survey(), by_user=hr)
    services.send_reminders(result.survey)
    newest = {m.to[0]: LINK.findall(str(m.body))[0] for m in mail.outbox[6:]}
    invitation = services.invitation_for_token(token_of(newest["e001@test.example"]))
    assert services.submit(invitation, {})
    mail.outbox.clear()
    services.send_reminders(result.survey)
    assert sorted(m.to[0] for m in mail.outbox) == [f"e00{i}@test.example" for i in range(2, 7)]
    assert people["E001"].survey_invitations.get().reminder_count == 1

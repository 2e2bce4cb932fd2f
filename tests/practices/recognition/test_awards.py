"""Award rounds: nominations (not oneself), one secret vote per person (not for oneself),
results only after closing, ties shown as ties."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kizuna.core.models import User
from kizuna.org.models import Employee
from kizuna.practices.recognition import services
from kizuna.practices.recognition.models import (
    AwardRound,
    AwardStatus,
    Ballot,
    VoteReceipt,
)


@pytest.fixture
def award(role_users: dict[str, User]) -> AwardRound:
    return services.create_round(
        "月間MVP 2026年5月", "monthly", dt.date(2026, 5, 1), by=role_users["hr"]
    )


def test_nominating_oneself_is_refused(award: AwardRound, people: dict[str, Employee]) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.nominate(award, people["E004"], people["E004"], "頑張った")
    assert refused.value.message_dict["nominee"] == ["You cannot nominate yourself."]
    assert not award.nominations.exists()


def test_a_reason_is_required_and_nominations_close_with_voting(
    award: AwardRound, people: dict[str, Employee], role_users: dict[str, User]
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.nominate(award, people["E004"], people["E005"], " ")
    assert "reason" in refused.value.message_dict
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.advance(award, role_users["hr"])  # nobody nominated yet
    assert refused.value.messages == ["Nobody has been nominated yet; voting cannot start."]
    services.nominate(award, people["E004"], people["E005"], "新機能のリリース")
    award = services.advance(award, role_users["hr"])
    assert award.status == AwardStatus.VOTING
    with pytest.raises(ValidationError):
        services.nominate(award, people["E004"], people["E006"], "遅すぎる推薦")


def voting_round(award: AwardRound, people: dict[str, Employee], hr: User) -> AwardRound:
    services.nominate(award, people["E004"], people["E005"], "リリースを支えた")
    services.nominate(award, people["E003"], people["E006"], "障害対応")
    services.nominate(award, people["E001"], people["E004"], "大型受注")
    return services.advance(award, hr)


def test_one_vote_per_person_and_not_for_oneself(
    award: AwardRound, people: dict[str, Employee], role_users: dict[str, User]
) -> None:
    award = voting_round(award, people, role_users["hr"])
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.vote(award, people["E004"], people["E004"])
    assert refused.value.message_dict["nominee"] == ["You cannot vote for yourself."]
    with pytest.raises(ValidationError):  # E003 was never nominated
        services.vote(award, people["E004"], people["E003"])
    services.vote(award, people["E004"], people["E005"])
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.vote(award, people["E004"], people["E006"])  # a second vote
    assert refused.value.messages == ["You have already voted in this round."]
    assert (VoteReceipt.objects.count(), Ballot.objects.count()) == (1, 1)


def test_votes_are_secret(
    award: AwardRound, people: dict[str, Employee], role_users: dict[str, User]
) -> None:
    award = voting_round(award, people, role_users["hr"])
    services.vote(award, people["E004"], people["E005"])
    # a ballot has no field that leads to its voter, and no timestamp to correlate
    assert {f.name for f in Ballot._meta.get_fields()} == {"id", "round", "nominee"}
    assert {f.name for f in VoteReceipt._meta.get_fields()} == {"id", "round", "voter"}
    # no counts before closing, for anyone, HR included
    with pytest.raises(ValidationError):
        services.results(award)
    for role in ("hr", "admin", "employee"):
        client = Client()
        client.force_login(role_users[role])
        page = client.get(reverse("recognition:award", args=[award.pk])).content.decode()
        assert 'id="results-title"' not in page
    # the admin site does not list ballots or receipts
    from django.contrib import admin

    assert Ballot not in admin.site._registry
    assert VoteReceipt not in admin.site._registry


def test_results_after_closing_with_a_tie(
    award: AwardRound, people: dict[str, Employee], role_users: dict[str, User]
) -> None:
    award = voting_round(award, people, role_users["hr"])
    # E005: 2 votes (E004, E001), E006: 2 votes (E002, E003), E004: 1 vote (E005)
    services.vote(award, people["E004"], people["E005"])
    services.vote(award, people["E001"], people["E005"])
    services.vote(award, people["E002"], people["E006"])
    services.vote(award, people["E003"], people["E006"])
    services.vote(award, people["E005"], people["E004"])
    award = services.advance(award, role_users["hr"])
    assert award.status == AwardStatus.CLOSED
    standings = [
        (s.employee.employee_number, s.votes, s.rank, s.winner) for s in services.results(award)
    ]
    # tie at the top: both rank 1 and both winners; E004 third with one vote
    assert standings == [
        ("E005", 2, 1, True),
        ("E006", 2, 1, True),
        ("E004", 1, 3, False),
    ]
    with pytest.raises(ValidationError):  # closed rounds take no more votes
        services.vote(award, people["E006"], people["E005"])
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(role_users["employee"])
    page = client.get(reverse("recognition:award", args=[award.pk]))
    html = page.content.decode()
    # two winners (the tie), with counts but no voter names
    assert html.count(">Winner<") == 2
    assert "高橋" in html  # E004 is a nominee: shown with 1 vote


def test_voting_through_the_page(
    award: AwardRound, people: dict[str, Employee], role_users: dict[str, User], client: Client
) -> None:
    award = voting_round(award, people, role_users["hr"])
    client.force_login(role_users["employee"])  # 高橋 E004
    url = reverse("recognition:vote", args=[award.pk])
    assert client.get(url).status_code == 405
    own = client.post(url, {"nominee": people["E004"].pk})  # not a choice for oneself
    assert own.status_code == 422
    assert client.post(url, {"nominee": people["E005"].pk}).status_code == 302
    again = client.post(url, {"nominee": people["E006"].pk})
    assert again.status_code == 302
    assert Ballot.objects.count() == 1


def test_only_hr_and_admin_advance_a_round(
    award: AwardRound, people: dict[str, Employee], role_users: dict[str, User], client: Client
) -> None:
    services.nominate(award, people["E004"], people["E005"], "理由")
    client.force_login(role_users["manager"])
    url = reverse("recognition:award_advance", args=[award.pk])
    assert client.post(url).status_code == 403
    client.force_login(role_users["hr"])
    assert client.post(url).status_code == 302
    award.refresh_from_db()
    assert award.status == AwardStatus.VOTING


def test_nominating_through_the_page(
    award: AwardRound, people: dict[str, Employee], role_users: dict[str, User], client: Client
) -> None:
    client.force_login(role_users["employee"])
    url = reverse("recognition:nominate", args=[award.pk])
    bad = client.post(url, {"nominee": people["E005"].pk, "reason": ""})
    assert bad.status_code == 422
    ok = client.post(url, {"nominee": people["E005"].pk, "reason": "リリースを支えた"})
    assert ok.status_code == 302
    assert award.nominations.get().nominated_by == people["E004"]
    # a login without an employee record cannot nominate
    client.force_login(role_users["csm"])
    refused = client.post(url, {"nominee": people["E005"].pk, "reason": "x"})
    assert refused.status_code == 403
    assert award.nominations.count() == 1

"""The day-before reminder over real SMTP and the fake Slack API; the .ics invite parsed
back by a small independent RFC 5545 reader."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kizuna.core import scheduler
from kizuna.core.models import User
from kizuna.practices.oneonones import ics, reminders, services
from kizuna.practices.oneonones.models import Meeting, MeetingReminder, Pair

from .conftest import at

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 9)
TOMORROW = dt.date(2026, 6, 10)


def test_reminder_by_email_and_slack_once_per_meeting(
    pairs: dict[str, Pair],
    meet: Callable[..., Meeting],
    smtp_server: Any,
    slack_api: Any,
) -> None:
    due = meet(pairs["E003-E004"], TOMORROW, "scheduled")
    services.add_agenda_item(due, pairs["E003-E004"].member, "相談", "concern", "listen")
    meet(pairs["E005-E006"], TOMORROW, "cancelled")  # cancelled: no reminder
    meet(pairs["E002-E003"], TOMORROW + dt.timedelta(days=1), "scheduled")  # not tomorrow
    meet(pairs["E001-E002"], TODAY, "scheduled")  # today: too late for "the day before"
    with translation.override("en"):
        assert reminders.send_due_reminders(TODAY) == 1
    # two emails, one per participant, over a real SMTP conversation
    recipients = sorted(r for _sender, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == ["e003@test.example", "e004@test.example"]
    message = next(m for m in smtp_server.messages if m["To"] == "e004@test.example")
    body = message.get_payload(decode=True).decode()
    assert "鈴木 一郎" in body  # the other participant (language ja: the default)
    assert f"/one-on-ones/meetings/{due.pk}/" in body
    assert "相談" not in body  # the reminder counts topics; it does not quote them
    # Slack: both looked up by email; only E004 is known to the fake workspace
    lookups = sorted(
        c["params"]["email"] for c in slack_api.calls if c["method"] == "users.lookupByEmail"
    )
    assert lookups == ["e003@test.example", "e004@test.example"]
    posts = [c for c in slack_api.calls if c["method"] == "chat.postMessage"]
    assert [p["params"]["channel"] for p in posts] == ["U004"]
    assert f"/one-on-ones/meetings/{due.pk}/" in posts[0]["params"]["text"]
    row = MeetingReminder.objects.get(meeting=due)
    assert (row.emails, row.slack_messages) == (2, 1)
    # idempotent: a second run the same day (or a retry) sends nothing
    assert reminders.send_due_reminders(TODAY) == 0
    assert len(smtp_server.messages) == 2
    assert len([c for c in slack_api.calls if c["method"] == "chat.postMessage"]) == 1


def test_failed_email_leaves_the_meeting_due(
    pairs: dict[str, Pair], meet: Callable[..., Meeting], settings: Any
) -> None:
    from kizuna.config import mailer_from_url

    settings.MAILERS = {"default": mailer_from_url("smtp://127.0.0.1:9")}  # nothing listens
    meet(pairs["E003-E004"], TOMORROW, "scheduled")
    assert reminders.send_due_reminders(TODAY) == 0
    assert not MeetingReminder.objects.exists()


def test_the_daily_job_is_registered() -> None:
    scheduler.discover_jobs()
    job = scheduler.JOBS["oneonones.daily"]
    assert job.every == dt.timedelta(days=1)
    # 23:00 UTC is 08:00 in Tokyo
    assert job.slot_for(dt.datetime(2026, 6, 9, 23, 30, tzinfo=dt.UTC)).hour == 23


# --- .ics ---------------------------------------------------------------------------------


def parse_ics(text: str) -> list[tuple[str, dict[str, str], str]]:
    """A minimal RFC 5545 reader: checks CRLF and the 75-octet limit, unfolds, splits
    name, parameters and value, and unescapes TEXT."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    parsed = []
    for line in logical:
        # the first colon outside double quotes ends the name and parameters
        in_quotes, cut = False, -1
        for i, ch in enumerate(line):
            if ch == '"':
                in_quotes = not in_quotes
            elif ch == ":" and not in_quotes:
                cut = i
                break
        head, value = line[:cut], line[cut + 1 :]
        name, *raw_params = re.findall(r'(?:[^;"]|"[^"]*")+', head)
        params = {k: v.strip('"') for k, v in (p.split("=", 1) for p in raw_params)}
        parsed.append((name, params, value))
    return parsed


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_ics_escapes_and_folds_and_parses_back(
    pairs: dict[str, Pair], company: dict[str, Any]
) -> None:
    member = company["people"]["E004"]
    member.family_name = "高橋, Jr; \\テスト"
    member.given_name = "二郎" * 20  # a long name forces folding inside multibyte text
    member.save()
    pair = Pair.objects.select_related("manager", "member").get(pk=pairs["E003-E004"].pk)
    meeting = Meeting.objects.create(pair=pair, scheduled_at=at(TOMORROW, 15), duration_minutes=45)
    meeting.pair = pair
    url = f"https://kizuna.example/one-on-ones/meetings/{meeting.pk}/"
    with translation.override("en"):
        text = ics.meeting_invite(meeting, url, now=at(TODAY))
    lines = parse_ics(text)
    props = {name: (params, value) for name, params, value in lines}
    names = [name for name, _p, _v in lines]
    assert names[:2] == ["BEGIN", "VERSION"] and names[-1] == "END"
    assert names.count("BEGIN") == 2 and names.count("ATTENDEE") == 2
    # 15:00 in Tokyo is 06:00 UTC; 45 minutes later 06:45
    assert props["DTSTART"][1] == "20260610T060000Z"
    assert props["DTEND"][1] == "20260610T064500Z"
    assert props["DTSTAMP"][1] == "20260609T010000Z"
    assert props["UID"][1] == f"oneonone-{meeting.pk}@kizuna.example"
    full = f"高橋, Jr; \\テスト {'二郎' * 20}"
    assert unescape(props["SUMMARY"][1]) == f"1on1: 鈴木 一郎 and {full}"
    assert unescape(props["DESCRIPTION"][1]).endswith(f":\n{url}")
    attendees = [(p, v) for n, p, v in lines if n == "ATTENDEE"]
    assert attendees[1] == (
        {"CN": full, "ROLE": "REQ-PARTICIPANT"},
        "mailto:e004@test.example",
    )
    assert props["STATUS"][1] == "CONFIRMED"


def test_ics_download_for_a_participant(
    pairs: dict[str, Pair], role_users: dict[str, User], meet: Callable[..., Meeting]
) -> None:
    meeting = meet(pairs["E003-E004"], TOMORROW, "scheduled")
    services.save_private_note(meeting, pairs["E003-E004"].member, "PRIVATE-ICS")
    services.add_shared_note(meeting, pairs["E003-E004"].member, "SHARED-ICS")
    client = Client()
    client.force_login(role_users["employee"])
    response = client.get(reverse("oneonones:meeting_ics", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    props = {name: value for name, _p, value in parse_ics(text)}
    assert props["DTSTART"] == timezone.localtime(meeting.scheduled_at).astimezone(dt.UTC).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    assert "PRIVATE-ICS" not in text and "SHARED-ICS" not in text

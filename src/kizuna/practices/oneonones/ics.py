"""An iCalendar (RFC 5545) invite for one 1on1, written by hand (no extra dependency).

What RFC 5545 asks of a writer, and where it is done here:

* lines end with CRLF (§3.1) — ``"\\r\\n".join``;
* content lines longer than 75 octets are folded: CRLF plus one space, never splitting
  a UTF-8 character (§3.1) — :func:`fold`;
* TEXT values escape backslash, semicolon, comma and newline (§3.3.11) — :func:`escape`;
* parameter values containing ``:;,`` are quoted, and may not contain ``"`` (§3.2) —
  :func:`param`;
* DTSTART/DTEND/DTSTAMP in UTC with the ``Z`` suffix (§3.3.5), a globally unique UID and
  a DTSTAMP (§3.6.1).

The invite holds the time, the two participants and a link to the meeting page — never
the agenda or any note.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _

from kizuna.org.models import Employee
from kizuna.practices.oneonones.models import Meeting, MeetingStatus

PRODID = "-//Kizuna//1on1//JA"


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def param(value: str) -> str:
    value = value.replace('"', "'").replace("\r", " ").replace("\n", " ")
    return f'"{value}"' if any(ch in value for ch in ":;,") else value


def fold(line: str, limit: int = 75) -> str:
    """Fold one content line into chunks of at most ``limit`` octets (continuation lines
    start with a space, which counts towards their limit)."""
    out: list[str] = []
    current = ""
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        room = limit if not out else limit - 1
        if size + width > room:
            out.append(current)
            current, size = "", 0
        current += ch
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _person(prop: str, employee: Employee, extra: str = "") -> str:
    address = employee.email or f"employee-{employee.pk}@invalid"
    return f"{prop};CN={param(employee.full_name)}{extra}:mailto:{address}"


def meeting_invite(meeting: Meeting, url: str, now: dt.datetime | None = None) -> str:
    pair = meeting.pair
    host = urlsplit(url).hostname or "kizuna.invalid"
    start = meeting.scheduled_at
    end = start + dt.timedelta(minutes=meeting.duration_minutes)
    summary = _("1on1: %(manager)s and %(member)s") % {
        "manager": pair.manager.full_name,
        "member": pair.member.full_name,
    }
    description = _("Your 1on1. Add topics to the agenda before the meeting:\n%(url)s") % {
        "url": url
    }
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:oneonone-{meeting.pk}@{host}",
        f"DTSTAMP:{_utc(now or timezone.now())}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{escape(summary)}",
        f"DESCRIPTION:{escape(description)}",
        f"URL:{url}",
        _person("ORGANIZER", pair.manager),
        _person("ATTENDEE", pair.manager, ";ROLE=CHAIR;PARTSTAT=ACCEPTED"),
        _person("ATTENDEE", pair.member, ";ROLE=REQ-PARTICIPANT"),
        "STATUS:" + ("CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED"),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"

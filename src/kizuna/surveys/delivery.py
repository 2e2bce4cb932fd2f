"""Sending invitation and reminder links by email and, when configured, Slack DM.

Configuration (environment, read at send time so a running worker picks up changes):

- ``KIZUNA_BASE_URL``: the address people open (default ``http://127.0.0.1:8000``); a
  ``KIZUNA_BASE_URL`` setting wins when the settings module defines one.
- ``KIZUNA_SLACK_TOKEN``: a bot token with ``users:read.email`` and ``chat:write``;
  without it Slack is skipped.
- ``KIZUNA_SLACK_API_URL``: the Web API base (default Slack's own), for proxies and tests.

Each message is written in the invitation's language (the person's account language, else
Japanese). A failure on one channel or one person is logged and counted, never allowed
to stop the others.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from slack_sdk import WebClient

from kizuna.core import slack
from kizuna.surveys.models import Invitation, Survey

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
EMAIL_BATCH = 200


@dataclass
class DeliveryReport:
    emailed: int = 0
    slack: int = 0
    failed: int = 0
    delivered: set[int] = field(default_factory=set)  # invitation pks reached somehow

    def merge(self, other: DeliveryReport) -> None:
        self.emailed += other.emailed
        self.slack += other.slack
        self.failed += other.failed
        self.delivered |= other.delivered


def base_url() -> str:
    configured = getattr(settings, "KIZUNA_BASE_URL", "") or os.environ.get("KIZUNA_BASE_URL")
    return (configured or DEFAULT_BASE_URL).rstrip("/")


def answer_link(token: str) -> str:
    return base_url() + reverse("surveys:answer", kwargs={"token": token})


def slack_client() -> WebClient | None:
    return slack.client()


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    slack: str


def compose(
    survey: Survey, invitation: Invitation, link: str, minutes: int, *, reminder: bool
) -> Message:
    """The message in the invitation's language (email subject and body, Slack text)."""
    with translation.override(invitation.language):
        values = {
            "survey": survey.name,
            "minutes": minutes,
            "k": survey.min_group_size,
            "name": invitation.employee.full_name,
        }
        if reminder:
            subject = _("Reminder: %(survey)s") % values
            lead = _("You have not answered “%(survey)s” yet. It takes about %(minutes)s minutes.")
        else:
            subject = _("Survey: %(survey)s") % values
            lead = _("Please take part in “%(survey)s”. It takes about %(minutes)s minutes.")
        lines = [lead % values]
        if survey.closes_on:
            lines.append(
                _("Please answer by %(date)s.")
                % {"date": date_format(survey.closes_on, "DATE_FORMAT")}
            )
        lines.append(
            _(
                "Your answers are anonymous and are never shown in a way that identifies you. "
                "Results are shown only for groups of at least %(k)s people."
            )
            % values
        )
        personal = _("This link is personal; please do not share it.")
        replaced = (
            _("This link replaces the one in earlier messages; answers you saved are kept.")
            if reminder
            else ""
        )
        body_lines = [
            _("Dear %(name)s,") % values,
            "",
            *lines,
            "",
            _("Answer here:"),
            link,
            "",
            personal,
        ]
        if replaced:
            body_lines.append(replaced)
        button = _("Answer the survey")
        slack_lines = [*lines, f"<{link}|{button}>", personal]
        if replaced:
            slack_lines.append(replaced)
        return Message(subject, "\n".join(body_lines) + "\n", "\n".join(slack_lines))


def deliver(
    survey: Survey, pairs: Sequence[tuple[Invitation, str]], minutes: int, *, reminder: bool
) -> DeliveryReport:
    """Send each (invitation, raw token) its link by email and Slack."""
    report = DeliveryReport()
    if not pairs:
        return report
    messages = {
        invitation.pk: compose(survey, invitation, answer_link(token), minutes, reminder=reminder)
        for invitation, token in pairs
    }
    report.merge(_send_emails(pairs, messages))
    client = slack_client()
    if client is not None:
        report.merge(_send_slack(client, pairs, messages))
    report.failed = sum(1 for invitation, _token in pairs if invitation.pk not in report.delivered)
    return report


def _send_emails(
    pairs: Sequence[tuple[Invitation, str]], messages: dict[int, Message]
) -> DeliveryReport:
    report = DeliveryReport()
    with_address = [invitation for invitation, _token in pairs if invitation.employee.email]
    mailer = mailers.default
    for start in range(0, len(with_address), EMAIL_BATCH):
        batch = with_address[start : start + EMAIL_BATCH]
        emails = [
            EmailMessage(
                messages[invitation.pk].subject,
                messages[invitation.pk].body,
                settings.DEFAULT_FROM_EMAIL,
                [invitation.employee.email],
            )
            for invitation in batch
        ]
        try:
            mailer.send_messages(emails)
        except Exception:
            # The mail server refused or was unreachable: these stay undelivered (and
            # pending, so "send pending invitations" can retry them).
            logger.exception("survey email batch of %s failed", len(batch))
            continue
        report.emailed += len(batch)
        report.delivered.update(invitation.pk for invitation in batch)
    return report


def _send_slack(
    client: WebClient, pairs: Sequence[tuple[Invitation, str]], messages: dict[int, Message]
) -> DeliveryReport:
    report = DeliveryReport()
    for invitation, _token in pairs:
        if not slack.direct_message(
            invitation.employee.email, messages[invitation.pk].slack, web=client
        ):
            continue
        report.slack += 1
        report.delivered.add(invitation.pk)
    return report

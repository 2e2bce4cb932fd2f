"""Lifecycle triggers (onboarding, exit), due reminders, closing, and the daily jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from kizuna.core import scheduler
from kizuna.core.models import User
from kizuna.org import services as org
from kizuna.org.models import Employee
from kizuna.surveys import services, tasks
from kizuna.surveys.models import Invitation, Survey, SurveyKind, SurveyStatus

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


def _hire(company: dict[str, Any], number: str, hired: dt.date) -> Employee:
    employee = Employee.objects.create(
        employee_number=number,
        family_name="新",
        given_name=number,
        email=f"{number.lower()}@test.example",
        hire_date=hired,
        department=company["departments"]["DEV"],
        manager=company["people"]["E005"],
    )
    org.record_employee_change(employee, hired)
    return employee


def test_onboarding_survey_thirty_days_after_joining_once(
    company: dict[str, Any], mailoutbox: list[Any]
) -> None:
    on_time = _hire(company, "N001", DAY - dt.timedelta(days=30))
    missed_by_a_down_worker = _hire(company, "N002", DAY - dt.timedelta(days=33))
    too_new = _hire(company, "N003", DAY - dt.timedelta(days=29))
    too_old = _hire(company, "N004", DAY - dt.timedelta(days=40))

    assert services.launch_onboarding_surveys(DAY) == 2
    survey = Survey.objects.get(kind=SurveyKind.ONBOARDING)
    assert survey.status == SurveyStatus.OPEN and survey.series == "onboarding-2026-06"
    assert survey.questionnaire.code == "kizuna-onboarding"
    # open for the month, plus 14 days to answer for people invited at its end
    assert (survey.opens_on, survey.closes_on) == (dt.date(2026, 6, 1), dt.date(2026, 7, 14))
    invited = set(Invitation.objects.filter(survey=survey).values_list("employee", flat=True))
    assert invited == {on_time.pk, missed_by_a_down_worker.pk}
    assert too_new.pk not in invited and too_old.pk not in invited
    assert sorted(m.to[0] for m in mailoutbox) == ["n001@test.example", "n002@test.example"]
    # the snapshot is taken on the day of the invitation
    snapshot = Invitation.objects.get(employee=on_time).demographics
    assert (
        snapshot["tenure_band"] == "<1y" and snapshot["manager_id"] == company["people"]["E005"].pk
    )

    # once: the next days invite nobody twice, and the day N003 reaches 30 days adds N003
    assert services.launch_onboarding_surveys(DAY) == 0
    assert services.launch_onboarding_surveys(DAY + dt.timedelta(days=1)) == 1
    assert Survey.objects.filter(kind=SurveyKind.ONBOARDING).count() == 1
    assert Invitation.objects.filter(employee=too_new).count() == 1


def test_exit_survey_before_or_just_after_the_last_day_once(
    company: dict[str, Any], mailoutbox: list[Any]
) -> None:
    people = company["people"]

    def leave(number: str, last_day: dt.date) -> None:
        people[number].leave_date = last_day
        people[number].save(update_fields=["leave_date"])

    leave("E004", DAY + dt.timedelta(days=14))  # in two weeks: invited
    leave("E006", DAY - dt.timedelta(days=3))  # left three days ago: invited
    leave("E003", DAY + dt.timedelta(days=15))  # not yet
    leave("E002", DAY - dt.timedelta(days=20))  # too long ago

    assert services.launch_exit_surveys(DAY) == 2
    survey = Survey.objects.get(kind=SurveyKind.EXIT)
    invitations = {
        i.employee.employee_number: i for i in Invitation.objects.select_related("employee")
    }
    assert set(invitations) == {"E004", "E006"}
    assert survey.questionnaire.code == "kizuna-exit"
    # the snapshot of someone who already left is taken on their last day
    assert invitations["E006"].demographics["department_id"] == company["departments"]["DEV"].pk
    assert services.launch_exit_surveys(DAY) == 0
    assert services.launch_exit_surveys(DAY + dt.timedelta(days=1)) == 1  # E003 now in range
    assert len(mailoutbox) == 3


def test_due_reminders_three_days_before_closing(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any], mailoutbox: list[Any]
) -> None:
    closing_soon = make_survey(name="締切間近", opens_on=DAY, closes_on=DAY + dt.timedelta(days=3))
    later = make_survey(name="まだ先", opens_on=DAY, closes_on=DAY + dt.timedelta(days=10))
    services.launch(closing_soon, by_user=hr, today=DAY)
    services.launch(later, by_user=hr, today=DAY)
    mail.outbox.clear()
    assert services.send_due_reminders(DAY) == 6
    assert {m.subject for m in mail.outbox} == {"【リマインド】締切間近"}


def test_closing_due_surveys_and_scrubbing(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any]
) -> None:
    ended = make_survey(name="終了", opens_on=DAY, closes_on=DAY + dt.timedelta(days=1))
    running = make_survey(name="実施中", opens_on=DAY, closes_on=DAY + dt.timedelta(days=2))
    result = services.launch(ended, by_user=hr, today=DAY, send=False)
    services.launch(running, by_user=hr, today=DAY, send=False)
    token = next(iter(result.links.values())).rstrip("/").rsplit("/", 1)[-1]
    services.save_draft(services.invitation_for_token(token, today=DAY), {"enps": 5}, today=DAY)
    # the closing day itself still accepts answers; the day after, the job closes it
    assert services.close_due_surveys(DAY + dt.timedelta(days=1)) == 0
    assert services.close_due_surveys(DAY + dt.timedelta(days=2)) == 1
    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.status == SurveyStatus.CLOSED and running.status == SurveyStatus.OPEN
    assert not Invitation.objects.filter(draft__isnull=False).exists()
    assert services.scrub_completion_traces() == 0  # nobody completed the open one yet


def test_daily_jobs_are_registered() -> None:
    scheduler.discover_jobs()
    jobs = {name: job for name, job in scheduler.JOBS.items() if name.startswith("surveys.")}
    assert set(jobs) == {
        "surveys.launch_onboarding",
        "surveys.launch_exit",
        "surveys.send_due_reminders",
        "surveys.close_due_surveys",
    }
    assert all(job.every == dt.timedelta(days=1) for job in jobs.values())
    assert jobs["surveys.launch_onboarding"].task is tasks.launch_onboarding_surveys
    # people-facing messages at 09:00 JST (00:00 UTC); closing just after midnight JST
    assert jobs["surveys.send_due_reminders"].offset < dt.timedelta(hours=1)
    assert jobs["surveys.close_due_surveys"].offset == dt.timedelta(hours=15, minutes=5)


def test_the_tasks_run(company: dict[str, Any]) -> None:
    # with the immediate backend in tests, enqueue runs the task in place
    assert tasks.launch_onboarding_surveys.enqueue().return_value == 0
    assert tasks.close_due_surveys.enqueue().return_value == 0

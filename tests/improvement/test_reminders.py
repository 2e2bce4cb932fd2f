"""Daily reminders: only owners with something due, once per plan per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from kizuna.core import scheduler
from kizuna.core.models import User
from kizuna.improvement import reminders, tasks
from kizuna.improvement.models import Action, PlanReminder, PlanStatus, Review

from .conftest import TODAY

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def owners(make_user: Callable[..., User], company: dict[str, Any]) -> dict[str, User]:
    return {name: make_user(f"{name}@test.example", "manager") for name in "abcdefg"}


def test_only_owners_with_something_due_are_emailed_once_a_day(
    owners: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    review_soon = make_plan(owners["a"], "SALES1", review_on=TODAY + 7 * DAY)
    overdue = make_plan(owners["b"], "DEV", review_on=TODAY + 60 * DAY)
    Action.objects.create(plan=overdue, text="評価基準の説明会", due_on=TODAY - DAY)
    # not due: review in 8 days, actions due today or done, or the plan is not active
    make_plan(owners["c"], "SALES1", review_on=TODAY + 8 * DAY)
    calm = make_plan(owners["d"], "DEV", review_on=TODAY + 60 * DAY)
    Action.objects.create(plan=calm, text="今日が期限", due_on=TODAY)
    Action.objects.create(plan=calm, text="完了", due_on=TODAY - DAY, done_on=TODAY - 2 * DAY)
    make_plan(owners["e"], "SALES1", review_on=TODAY, status=PlanStatus.DRAFT)
    make_plan(owners["f"], "SALES1", review_on=TODAY, status=PlanStatus.CANCELLED)
    reviewed = make_plan(owners["g"], "SALES1", review_on=TODAY - DAY)
    Review.objects.create(
        plan=reviewed,
        on=TODAY - DAY,
        method="proportion",
        before_value=40,
        before_n=10,
        after_value=50,
        after_n=10,
        diff=10,
        verdict="no_clear_change",
    )

    assert reminders.send_due_reminders(TODAY) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@test.example", "b@test.example"]
    by_owner = {m.to[0]: m for m in mail.outbox}
    assert review_soon.title in by_owner["a@test.example"].subject
    assert "評価基準の説明会" in by_owner["b@test.example"].body
    assert f"/plans/{overdue.pk}/" in by_owner["b@test.example"].body

    # the job running again the same day (a second worker, a retry) sends nothing more
    assert reminders.send_due_reminders(TODAY) == 0
    assert len(mail.outbox) == 2
    # the next day a and b are reminded again, and c (review now 7 days away) and d (its
    # action due today is overdue tomorrow) join them
    assert reminders.send_due_reminders(TODAY + DAY) == 4
    assert sorted(m.to[0] for m in mail.outbox[2:]) == [f"{x}@test.example" for x in "abcd"]
    assert PlanReminder.objects.count() == 6


def test_a_passed_review_date_without_a_review_keeps_reminding(
    owners: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    make_plan(owners["a"], "SALES1", review_on=TODAY - 3 * DAY)
    assert reminders.send_due_reminders(TODAY) == 1


def test_the_email_is_in_the_owners_language(
    owners: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    english = owners["a"]
    english.language = "en"
    english.save(update_fields=["language"])
    make_plan(english, "SALES1", title="Fair evaluation", review_on=TODAY + 2 * DAY)
    reminders.send_due_reminders(TODAY)
    (message,) = mail.outbox
    assert message.subject == "[Kizuna] Action plan “Fair evaluation”: something is due"
    assert "The review is due in 2 days" in message.body


def test_a_failing_send_is_not_recorded_so_a_later_run_retries(
    owners: dict[str, User], make_plan: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_plan(owners["a"], "SALES1", review_on=TODAY)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("mail server down")

    monkeypatch.setattr(reminders, "send_mail", broken)
    assert reminders.send_due_reminders(TODAY) == 0
    assert not PlanReminder.objects.exists()
    monkeypatch.undo()
    assert reminders.send_due_reminders(TODAY) == 1


def test_the_reminder_job_is_registered_daily_and_runs_the_same_code(
    owners: dict[str, User], make_plan: Callable[..., Any]
) -> None:
    scheduler.discover_jobs()
    job = scheduler.JOBS["improvement.send_plan_reminders"]
    assert job.task is tasks.send_plan_reminders
    assert job.every == dt.timedelta(days=1)
    make_plan(owners["a"], "SALES1", review_on=TODAY)
    result = tasks.send_plan_reminders.enqueue()  # the immediate backend in tests
    assert result.return_value == 1
    assert len(mail.outbox) == 1

"""The weekly points budget: 400 a week (Monday–Sunday, Japan time), at most 120 per
recipient per post, a post to n people costs points × n, no carry-over, nothing saved
when refused, and the budget read inside the transaction that saves the post."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from kizuna.org.models import Employee
from kizuna.practices.recognition import services
from kizuna.practices.recognition.models import (
    CompanyValue,
    RecognitionSettings,
    Thanks,
    ThanksRecipient,
)

from .conftest import jst

# Wednesday 2026-05-13 in Tokyo; its week is Monday 05-11 … Sunday 05-17.
WED = jst(2026, 5, 13)


def counts() -> tuple[int, int]:
    return Thanks.objects.count(), ThanksRecipient.objects.count()


def test_defaults_are_400_a_week_and_120_per_post(db: None) -> None:
    config = RecognitionSettings.current()
    assert (config.weekly_budget, config.max_per_post) == (400, 120)


def test_week_starts_on_monday_in_tokyo() -> None:
    # 2026-05-17 is a Sunday, 05-18 a Monday
    assert services.week_start(dt.date(2026, 5, 17)) == dt.date(2026, 5, 11)
    assert services.week_start(dt.date(2026, 5, 18)) == dt.date(2026, 5, 18)
    # Monday 08:00 in Tokyo is still Sunday 23:00 UTC: the Tokyo date decides
    assert services.tokyo_date(jst(2026, 5, 18, 8)) == dt.date(2026, 5, 18)


def test_a_post_to_several_people_costs_points_times_people(
    people: dict[str, Employee], give: Callable[..., Any]
) -> None:
    give(people["E004"], [people["E005"], people["E006"]], 100, moment=WED)
    budget = services.budget_for(people["E004"], WED)
    # 100 points × 2 people = 200 used; 400 − 200 = 200 left
    assert (budget.used, budget.remaining) == (200, 200)
    received = dict(ThanksRecipient.objects.values_list("employee__employee_number", "points"))
    assert received == {"E005": 100, "E006": 100}


def test_more_than_120_per_post_is_refused_and_nothing_saved(
    people: dict[str, Employee], give: Callable[..., Any]
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        give(people["E004"], people["E005"], 121, moment=WED)
    assert refused.value.message_dict["points"] == ["At most 120 points per recipient in one post."]
    assert counts() == (0, 0)
    give(people["E004"], people["E005"], 120, moment=WED)  # exactly the cap is fine
    assert counts() == (1, 1)


def test_over_budget_is_refused_and_nothing_saved(
    people: dict[str, Employee], give: Callable[..., Any]
) -> None:
    sender = people["E004"]
    # 120 × 3 people = 360 used, 40 left
    give(sender, [people["E001"], people["E005"], people["E006"]], 120, moment=WED)
    assert counts() == (1, 3)
    # 25 × 2 = 50 > 40: refused
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        give(sender, [people["E005"], people["E006"]], 25, moment=WED)
    assert refused.value.message_dict["points"] == [
        "This post costs 50 points (25 × 2 people) but you have 40 of 400 points left this week."
    ]
    assert counts() == (1, 3)
    assert services.budget_for(sender, WED).used == 360
    # 20 × 2 = 40 = what is left: accepted, budget now exactly spent
    give(sender, [people["E005"], people["E006"]], 20, moment=WED)
    assert services.budget_for(sender, WED).remaining == 0
    # even a single point more is refused
    with pytest.raises(ValidationError):
        give(sender, people["E005"], 1, moment=WED)
    assert counts() == (2, 5)


def test_budget_resets_on_monday_in_tokyo_and_is_not_carried_over(
    people: dict[str, Employee], give: Callable[..., Any]
) -> None:
    sender = people["E004"]
    sunday_late = jst(2026, 5, 17, 23, 59)  # = 14:59 UTC on Sunday
    for _ in range(3):  # 120 + 120 + 120 = 360 on Sunday night
        give(sender, people["E005"], 120, moment=sunday_late)
    with pytest.raises(ValidationError):  # 360 + 120 = 480 > 400, same week
        give(sender, people["E005"], 120, moment=sunday_late)
    monday = jst(2026, 5, 18, 0, 0)  # = 15:00 UTC on Sunday, but Monday in Tokyo
    budget = services.budget_for(sender, monday)
    # a new week: 0 used, and the 40 unused points of last week are not added
    assert (budget.week_start, budget.used, budget.remaining) == (dt.date(2026, 5, 18), 0, 400)
    give(sender, people["E005"], 120, moment=monday)
    assert services.budget_for(sender, monday).remaining == 280


def test_budget_and_cap_follow_the_settings_row(
    people: dict[str, Employee], give: Callable[..., Any]
) -> None:
    RecognitionSettings.objects.update_or_create(
        pk=1, defaults={"weekly_budget": 100, "max_per_post": 60}
    )
    with pytest.raises(ValidationError):  # over the 60 cap
        give(people["E004"], people["E005"], 61, moment=WED)
    give(people["E004"], people["E005"], 60, moment=WED)  # 60 used, 40 left
    with pytest.raises(ValidationError):  # 50 > 40 left
        give(people["E004"], people["E005"], 50, moment=WED)
    assert services.budget_for(people["E004"], WED).remaining == 40


def test_self_thanks_is_refused(people: dict[str, Employee], give: Callable[..., Any]) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        give(people["E004"], [people["E004"], people["E005"]], 10, moment=WED)
    assert "You cannot thank yourself." in refused.value.message_dict["recipients"]
    assert counts() == (0, 0)


def test_only_current_employees_can_be_thanked(
    people: dict[str, Employee], give: Callable[..., Any]
) -> None:
    leaver = people["E006"]
    leaver.leave_date = dt.date(2026, 4, 30)
    leaver.save()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        give(people["E004"], leaver, 10, moment=WED)
    assert refused.value.message_dict["recipients"] == [
        "Only current employees can be thanked: 伊藤 健."
    ]
    assert counts() == (0, 0)


def test_a_value_is_required_and_must_be_active(
    people: dict[str, Employee], values: dict[str, CompanyValue]
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.post_thanks(people["E004"], [people["E005"]], [], "ありがとう", 10)
    assert refused.value.message_dict["values"] == ["Choose at least one company value."]
    values["Challenge"].active = False
    values["Challenge"].save()
    with pytest.raises(ValidationError) as refused:
        services.post_thanks(
            people["E004"], [people["E005"]], [values["Challenge"]], "ありがとう", 10
        )
    assert "values" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.post_thanks(people["E004"], [people["E005"]], [values["Teamwork"]], "  ", 10)
    assert "message" in refused.value.message_dict
    assert counts() == (0, 0)


def test_the_budget_is_read_inside_the_saving_transaction(
    people: dict[str, Employee], give: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check happens under the row lock, in the same transaction as the insert: a
    post that slipped in after the form was shown still counts."""
    seen: list[bool] = []
    real = services.used_points

    def spy(sender: Employee, monday: dt.date) -> int:
        # one atomic level deeper than the test itself: post_thanks's own transaction
        seen.append(len(connection.atomic_blocks) == outside + 1)
        return real(sender, monday)

    outside = len(connection.atomic_blocks)
    monkeypatch.setattr(services, "used_points", spy)
    sender = people["E004"]
    shown = services.budget_for(sender, WED)  # the form shows 400 left
    assert shown.remaining == 400
    give(sender, people["E005"], 120, moment=WED)  # another tab spends 120 × 3 = 360
    give(sender, people["E006"], 120, moment=WED)
    give(sender, people["E001"], 120, moment=WED)
    seen.clear()
    with pytest.raises(ValidationError):  # the first form now asks for 120: 360 + 120 > 400
        give(sender, people["E005"], 120, moment=WED)
    assert seen == [True]
    assert counts() == (3, 3)


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_cannot_overspend(company: dict[str, Any]) -> None:
    """Four threads each post 120 at once with 400 available: at most three succeed
    (3 × 120 = 360 ≤ 400; a fourth would make 480)."""
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers anyway")
    value = CompanyValue.objects.create(name="挑戦", name_en="Challenge")
    people = company["people"]
    sender, recipient = people["E004"], people["E005"]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def post() -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.post_thanks(sender, [recipient], [value], "同時送信", 120, moment=WED)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "ok", "ok", "refused"]
    assert services.budget_for(sender, WED).used == 360

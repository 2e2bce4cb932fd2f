"""Fixtures: an annual review of the test company (6 people) and helpers to fill it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from kizuna.core.models import User
from kizuna.org.models import Employee
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import (
    AssignmentStatus,
    Cycle,
    Participant,
    RaterAssignment,
)

START = dt.date(2025, 4, 1)
END = dt.date(2026, 3, 31)


@pytest.fixture
def annual(company: dict[str, Any], role_users: dict[str, User]) -> Cycle:
    """2025年度 年次評価 for everyone (E001–E006), created by HR."""
    return services.create_cycle(
        name="2025年度 年次評価",
        kind="annual",
        starts_on=START,
        ends_on=END,
        due_on=dt.date(2026, 4, 20),
        audience={"all": True},
        by=role_users["hr"],
    )


@pytest.fixture
def participant_of(annual: Cycle) -> Callable[[Employee], Participant]:
    def get(employee: Employee) -> Participant:
        return Participant.objects.select_related("cycle", "employee").get(
            cycle=annual, employee=employee
        )

    return get


@pytest.fixture
def give_feedback() -> Callable[..., list[RaterAssignment]]:
    """Ask each rater (approved directly) and submit their feedback."""

    def give(
        participant: Participant,
        raters: list[Employee],
        category: str = "peer",
        scores: list[tuple[int, int]] | None = None,
        comments: list[str] | None = None,
    ) -> list[RaterAssignment]:
        made = []
        for i, rater in enumerate(raters):
            assignment = RaterAssignment.objects.create(
                participant=participant,
                rater=rater,
                category=category,
                status=AssignmentStatus.APPROVED,
            )
            outcome, process = (scores or [(4, 3)] * len(raters))[i]
            comment = (comments or [""] * len(raters))[i]
            assert services.submit_feedback(
                assignment,
                services.ReviewInput(outcome=outcome, process=process, comment=comment),
            )
            made.append(assignment)
        return made

    return give

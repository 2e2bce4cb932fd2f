"""The rules of evaluation cycles: rater-category anonymity, who may write and read what,
validation with field paths, idempotent submissions, criteria scope and versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from kizuna.core.models import User
from kizuna.org.models import Department
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import (
    AssignmentStatus,
    Criteria,
    Cycle,
    CycleStatus,
    Feedback,
    Participant,
    RaterAssignment,
    Review,
)

pytestmark = pytest.mark.django_db


def _close(cycle: Cycle, hr: User) -> None:
    services.set_cycle_status(cycle, CycleStatus.CLOSED, hr)


def test_participants_and_reviewer_are_taken_at_the_start(
    annual: Cycle, company: dict[str, Any]
) -> None:
    people = company["people"]
    assert annual.participants.count() == 6
    e004 = annual.participants.get(employee=people["E004"])
    assert e004.manager == people["E003"]
    assert e004.department == company["departments"]["SALES1"]


def test_a_department_audience_takes_its_subtree(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    cycle = services.create_cycle(
        name="営業 Q1",
        kind="quarterly",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 6, 30),
        due_on=dt.date(2026, 7, 10),
        audience={"department": "SALES"},
        by=role_users["hr"],
    )
    # 営業部 (E002) and 営業1課 (E003, E004)
    numbers = set(cycle.participants.values_list("employee__employee_number", flat=True))
    assert numbers == {"E002", "E003", "E004"}


def test_bad_cycle_input_names_each_field_and_creates_nothing(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    with translation.override("en"), pytest.raises(services.ReviewErrors) as info:
        services.create_cycle(
            name=" ",
            kind="monthly",
            starts_on=dt.date(2026, 4, 1),
            ends_on=dt.date(2026, 3, 1),
            due_on=None,
            audience={"department": "NOPE"},
            min_raters=2,
            target={"S": 10, "A": 20, "B": 50, "C": 20, "D": 5},
            by=role_users["hr"],
        )
    errors = info.value.errors
    assert set(errors) == {
        "name",
        "kind",
        "ends_on",
        "due_on",
        "min_raters",
        "target_distribution",
        "audience",
    }
    assert errors["min_raters"] == "The minimum number of raters cannot be below 3."
    assert not Cycle.objects.exists()


# --- rater categories (the anonymity rule) --------------------------------------------------


def test_two_peer_reviews_are_hidden_three_are_shown(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
    give_feedback: Callable[..., Any],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    give_feedback(target, [people["E002"], people["E005"]], scores=[(5, 4), (3, 2)])
    _close(annual, role_users["hr"])
    target.cycle.refresh_from_db()
    with translation.override("en"):
        peer, report = services.category_results(target)
    assert peer.category == "peer" and not peer.visible
    # below k: no average, no count of raters, the lock reason instead
    assert (peer.raters, peer.outcome, peer.process, peer.comments) == (None, None, None, [])
    assert peer.reason == "Hidden: fewer than 3 raters"
    assert not report.visible

    services.set_cycle_status(annual, CycleStatus.OPEN, role_users["hr"])
    target.cycle.refresh_from_db()
    give_feedback(target, [people["E006"]], scores=[(4, 3)])
    _close(annual, role_users["hr"])
    target.cycle.refresh_from_db()
    peer, _report = services.category_results(target)
    assert peer.visible and peer.raters == 3
    # outcome (5 + 3 + 4) / 3 = 4.0; process (4 + 2 + 3) / 3 = 3.0
    assert peer.outcome == pytest.approx(4.0)
    assert peer.process == pytest.approx(3.0)


def test_results_stay_hidden_while_the_cycle_is_open(
    annual: Cycle,
    company: dict[str, Any],
    participant_of: Callable[..., Participant],
    give_feedback: Callable[..., Any],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    give_feedback(target, [people["E002"], people["E005"], people["E006"]])
    with translation.override("en"):
        peer, _report = services.category_results(target)
    assert not peer.visible
    assert peer.reason.startswith("Shown after the cycle closes")


def test_k_is_the_cycles_setting_but_never_below_three(annual: Cycle) -> None:
    annual.min_raters = 4
    assert services.k_of(annual) == 4
    annual.min_raters = 1  # a row written around the validators
    assert services.k_of(annual) == 3


def test_comments_only_at_k_and_without_names(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
    give_feedback: Callable[..., Any],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    give_feedback(
        target,
        [people["E002"], people["E005"]],
        comments=["資料が分かりやすい", "相談しやすい"],
    )
    _close(annual, role_users["hr"])
    target.cycle.refresh_from_db()
    peer, _ = services.category_results(target)
    assert peer.comments == []
    services.set_cycle_status(annual, CycleStatus.OPEN, role_users["hr"])
    target.cycle.refresh_from_db()
    give_feedback(target, [people["E006"]], comments=[""])
    _close(annual, role_users["hr"])
    target.cycle.refresh_from_db()
    peer, _ = services.category_results(target)
    # the empty comment is not shown; the two others are, as plain strings
    assert sorted(peer.comments) == ["相談しやすい", "資料が分かりやすい"]


def test_feedback_rows_carry_no_link_to_the_rater() -> None:
    names = {f.name for f in Feedback._meta.get_fields()}
    assert names == {"id", "participant", "category", "outcome", "process", "comment"}
    completion = {f.name for f in RaterAssignment._meta.get_fields()}
    assert "feedback" not in completion and not any("date" in n or "_at" in n for n in completion)


def test_a_second_submission_stores_nothing(
    annual: Cycle,
    company: dict[str, Any],
    participant_of: Callable[..., Participant],
    give_feedback: Callable[..., Any],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    (assignment,) = give_feedback(target, [people["E002"]])
    again = services.submit_feedback(assignment, services.ReviewInput(outcome=1, process=1))
    assert again is False
    assert Feedback.objects.filter(participant=target).count() == 1


def test_feedback_needs_both_scores(
    annual: Cycle, company: dict[str, Any], participant_of: Callable[..., Participant]
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    assignment = RaterAssignment.objects.create(
        participant=target, rater=people["E002"], category="peer", status="approved"
    )
    with translation.override("en"), pytest.raises(services.ReviewErrors) as info:
        services.submit_feedback(assignment, services.ReviewInput(outcome="6", process=""))
    assert info.value.errors == {
        "scores.outcome": "Choose a rating from 1 to 5.",
        "scores.process": "Choose a rating from 1 to 5.",
    }
    assignment.refresh_from_db()
    assert not assignment.completed and not Feedback.objects.exists()


def test_member_proposes_manager_approves(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    proposed = services.propose_rater(target, people["E006"], "peer", role_users["employee"])
    assert proposed.status == AssignmentStatus.PROPOSED
    with pytest.raises(services.ReviewErrors):
        services.submit_feedback(proposed, services.ReviewInput(outcome=3, process=3))
    # HR adds directly (approved), and approves the member's proposal
    added = services.propose_rater(target, people["E005"], "peer", role_users["hr"])
    assert added.status == AssignmentStatus.APPROVED
    services.decide_rater(proposed, True, role_users["hr"])
    assert proposed.status == AssignmentStatus.APPROVED


def test_who_cannot_be_a_rater(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    hr = role_users["hr"]
    with translation.override("en"):
        for rater, category, message in (
            (people["E004"], "peer", "Nobody can give peer or upward feedback to themselves."),
            (people["E003"], "peer", "The manager writes the manager review, not peer feedback."),
            (
                people["E002"],
                "report",
                "Upward feedback comes from the person's direct reports only.",
            ),
        ):
            with pytest.raises(services.ReviewErrors) as info:
                services.propose_rater(target, rater, category, hr)
            assert info.value.errors == {"rater": message}
    # 高橋 (E004) reports to 鈴木 (E003): upward feedback for 鈴木 is fine
    boss = participant_of(people["E003"])
    assert services.propose_rater(boss, people["E004"], "report", hr).status == "approved"


# --- named reviews ------------------------------------------------------------------------


def test_an_annual_self_assessment_needs_both_scores_and_keeps_the_draft(
    annual: Cycle, company: dict[str, Any], participant_of: Callable[..., Participant]
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    draft = services.ReviewInput(outcome="4", goals="目標", wish_transfer=True)
    review, submitted = services.save_review(target, "self", people["E004"], draft, submit=False)
    assert not submitted and review.submitted_on is None and review.wish_transfer
    with translation.override("en"), pytest.raises(services.ReviewErrors) as info:
        services.save_review(target, "self", people["E004"], draft, submit=True)
    assert info.value.errors == {"scores.process": "Choose a rating from 1 to 5."}
    review.refresh_from_db()
    assert review.submitted_on is None
    full = services.ReviewInput(outcome=4, process=5, wish_promotion=True)
    review, submitted = services.save_review(
        target, "self", people["E004"], full, submit=True, today=dt.date(2026, 4, 10)
    )
    assert submitted and review.submitted_on == dt.date(2026, 4, 10)
    # final: a retry changes nothing
    _same, again = services.save_review(
        target, "self", people["E004"], services.ReviewInput(outcome=1, process=1), submit=True
    )
    assert again is False
    review.refresh_from_db()
    assert (review.outcome, review.process, review.wish_promotion) == (4, 5, True)


def test_wishes_are_kept_on_self_assessments_only(
    annual: Cycle, company: dict[str, Any], participant_of: Callable[..., Participant]
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    data = services.ReviewInput(
        outcome=3, process=3, comment="よく頑張りました", wish_transfer=True, wish_comment="x"
    )
    review, _ = services.save_review(target, "manager", people["E003"], data, submit=True)
    assert (review.wish_transfer, review.wish_comment) == (False, "")


def test_who_reads_a_persons_reviews(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    make_user: Callable[..., User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    e003 = make_user("e003@test.example", "employee", employee=people["E003"])
    e006 = make_user("e006@test.example", "employee", employee=people["E006"])
    # the member, the manager chain (E003 → E002 → E001) and HR/admins
    assert services.can_read(role_users["employee"], target)
    assert services.can_read(e003, target)
    assert services.can_read(role_users["manager"], target)  # E002
    assert services.can_read(role_users["executive"], target)  # E001, top of the chain
    assert services.can_read(role_users["hr"], target)
    assert services.can_read(role_users["admin"], target)
    # a colleague in another department and roles without an employee record do not
    assert not services.can_read(e006, target)
    for role in ("csm", "support", "marketer"):
        assert not services.can_read(role_users[role], target)


def test_nothing_is_written_in_a_closed_cycle(
    annual: Cycle,
    company: dict[str, Any],
    role_users: dict[str, User],
    participant_of: Callable[..., Participant],
) -> None:
    people = company["people"]
    target = participant_of(people["E004"])
    _close(annual, role_users["hr"])
    target.cycle.refresh_from_db()
    with pytest.raises(services.ReviewErrors):
        services.save_review(target, "self", people["E004"], services.ReviewInput(), submit=False)
    assert not Review.objects.exists()


# --- criteria -----------------------------------------------------------------------------


def test_criteria_apply_by_scope_and_the_newest_published_version_wins(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    people, depts = company["people"], company["departments"]
    hr = role_users["hr"]
    people["E004"].job_level = "一般"
    people["E004"].save()

    def make(title: str, **kw: Any) -> Criteria:
        return services.create_criteria(
            title=title,
            body="本文",
            department=kw.get("department"),
            job_level=kw.get("job_level", ""),
            by=hr,
            publish=kw.get("publish", True),
        )

    make("全社 v1")
    v2 = make("全社 v2")
    make("全社 v3 下書き", publish=False)
    make("営業部", department=depts["SALES"])
    make("開発部", department=depts["DEV"])
    make("一般職", job_level="一般")
    make("主任", job_level="主任")
    assert v2.version == 2
    titles = [c.title for c in services.criteria_for(people["E004"])]
    # company-wide v2 (v3 is a draft), 営業部 covers 営業1課, 一般 matches the level
    assert sorted(titles) == sorted(["全社 v2", "営業部", "一般職"])
    assert [c.title for c in services.criteria_for(people["E006"])] == ["全社 v2", "開発部"]
    assert isinstance(depts["SALES"], Department)

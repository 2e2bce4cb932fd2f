"""Attacks a curious manager or HR user could try on survey results, each simulated through
the guard's API, each asserting the attacker learns nothing about a group of fewer than k.

Where an attack needs two requests, both are made and the attacker's arithmetic is done on
what the guard let through: the result is either refused, or undefined, or the answers of
a group of at least k people that is not the hidden group."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import pytest

from kizuna.engagement import guard
from kizuna.engagement.guard import Policy, Refused

POLICY = Policy()  # k = 5, comment_k = 10


def crowd(
    groups: Mapping[Any, int],
    columns: list[str],
    scores: Mapping[Any, float] | None = None,
) -> pl.DataFrame:
    """``n`` respondents per attribute tuple; everyone in a group has the group's score, so a
    derived mean equals a hidden group's mean only if the attacker isolated that group."""
    rows = [
        (*key, (scores or {}).get(key, float(i + 1)))
        for i, (key, n) in enumerate(groups.items())
        for _ in range(n)
    ]
    return pl.DataFrame(rows, schema=[*columns, "score"], orient="row")


def results(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """What the scoring layer would compute per group (respondents, mean, favourable %)."""
    return frame.group_by(by).agg(
        pl.len().alias("respondents"),
        pl.col("score").mean().alias("mean"),
        (pl.col("score") >= 4).mean().alias("favourable"),
    )


def shown(frame: pl.DataFrame, by: list[str], **filters: object) -> pl.DataFrame:
    """The page the attacker gets: results passed through the guard."""
    scope = frame
    for column, value in filters.items():
        scope = scope.filter(pl.col(column) == value)
    return guard.apply(
        results(scope, by), guard.guard_groups(frame, by, POLICY, filters=filters or None), by
    )


def visible_sum(page: pl.DataFrame) -> tuple[int, float]:
    rows = page.filter(~pl.col("suppressed"))
    n = int(rows.get_column("respondents").sum())
    total = float((rows.get_column("respondents") * rows.get_column("mean")).sum())
    return n, total


def refused(frame: pl.DataFrame, filters: dict[str, object], policy: Policy = POLICY) -> str:
    with pytest.raises(Refused) as caught:
        guard.check_filters(frame, filters, policy)
    return caught.value.code


def determined(hidden: Sequence[Any], lines: Sequence[Sequence[Any]]) -> set[Any]:
    """Which hidden cells the equations "line total = sum of its cells" pin down: cell i is
    determined iff the unit vector e_i lies in the row space of the system."""
    index = {cell: i for i, cell in enumerate(hidden)}
    rows = []
    for line in lines:
        members = [index[c] for c in line if c in index]
        if members:
            row = np.zeros(len(hidden))
            row[members] = 1.0
            rows.append(row)
    system = np.array(rows) if rows else np.zeros((0, len(hidden)))
    rank = np.linalg.matrix_rank(system) if rows else 0
    found = set()
    for cell, i in index.items():
        unit = np.zeros((1, len(hidden)))
        unit[0, i] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.add(cell)
    return found


# --------------------------------------------------------------------------- stacking filters


def test_filter_stacking_department_gender_age() -> None:
    # Department A: women 30s 3, women 40s 5, men 30s 6, men 40s 6; department B: 20 people.
    frame = crowd(
        {
            ("A", "F", "30s"): 3,
            ("A", "F", "40s"): 5,
            ("A", "M", "30s"): 6,
            ("A", "M", "40s"): 6,
            ("B", "F", "30s"): 5,
            ("B", "F", "40s"): 5,
            ("B", "M", "30s"): 5,
            ("B", "M", "40s"): 5,
        },
        ["location", "gender", "age_band"],
    )
    guard.check_filters(frame, {"location": "A", "gender": "F"}, POLICY)  # 8: allowed
    # Narrowing to the three women in their 30s is refused outright...
    assert refused(frame, {"location": "A", "gender": "F", "age_band": "30s"}) == "too_few"
    # ...and so is the 40s, whose difference from {A, F} is exactly those three women.
    assert refused(frame, {"location": "A", "gender": "F", "age_band": "40s"}) == "differencing"


def test_inclusion_exclusion_over_two_filters() -> None:
    # total − A − F + (A∧F) = people in neither A nor F = B's 3 men.
    frame = crowd(
        {("A", "F"): 10, ("A", "M"): 10, ("B", "F"): 7, ("B", "M"): 3}, ["location", "gender"]
    )
    guard.check_filters(frame, {"location": "A"}, POLICY)
    guard.check_filters(frame, {"gender": "F"}, POLICY)
    assert refused(frame, {"location": "A", "gender": "F"}) == "differencing"
    # The two-way table does not give B's men away either (see the two-way attack below).
    page = shown(frame, ["location", "gender"])
    assert page.filter(pl.col("location") == "B").get_column("suppressed").all()


def test_one_filter_minus_another() -> None:
    # Department A = 14: 12 with tenure 1-3 and 2 new hires. {A} − {A ∧ 1-3} = the new hires.
    frame = crowd(
        {("A", "1-3"): 12, ("A", "new"): 2, ("B", "1-3"): 10, ("B", "new"): 10},
        ["location", "tenure_band"],
    )
    guard.check_filters(frame, {"location": "A"}, POLICY)
    assert refused(frame, {"location": "A", "tenure_band": "1-3"}) == "differencing"


def test_filter_whose_complement_is_small() -> None:
    # A manager's 25 people: 22 full-time, 3 contract. "Full-time only" = everyone − contract.
    frame = crowd(
        {("full_time", "F"): 11, ("full_time", "M"): 11, ("contract", "F"): 3},
        ["employment_type", "gender"],
    )
    assert refused(frame, {"employment_type": "full_time"}) == "differencing"
    # The same through a list: everyone but the 2 people of another gender.
    frame = crowd({("F",): 12, ("M",): 11, ("X",): 2}, ["gender"])
    assert refused(frame, {"gender": ["F", "M"]}) == "differencing"


def test_differencing_two_overlapping_filter_sets() -> None:
    # [1-3, 5+] is 32 people, [1-3, 5+, 3-5] is 34: the two lists differ by 3-5's 2.
    # (3-5 is hidden by tenure, and "new", the next smallest, as its complement.)
    frame = crowd({("new",): 10, ("1-3",): 12, ("3-5",): 2, ("5+",): 20}, ["tenure_band"])
    guard.check_filters(frame, {"tenure_band": ["1-3", "5+"]}, POLICY)
    assert refused(frame, {"tenure_band": ["1-3", "5+", "3-5"]}) == "differencing"
    # and the other way round: 3-5 with 5+ against 5+ alone.
    guard.check_filters(frame, {"tenure_band": "5+"}, POLICY)
    assert refused(frame, {"tenure_band": ["3-5", "5+"]}) == "differencing"


def test_filtering_on_a_complementary_group_to_subtract_it() -> None:
    # by location: A (2) hidden, B (6) hidden as its complement. Asking for B alone would
    # give total − B − C − D = A.
    frame = crowd({("A",): 2, ("B",): 6, ("C",): 8, ("D",): 10}, ["location"])
    page = shown(frame, ["location"])
    assert page.filter(pl.col("location") == "B").row(0, named=True)["suppressed"]
    assert refused(frame, {"location": "B"}) == "differencing"
    assert refused(frame, {"location": ["A", "B"]}) == "differencing"
    # C ∪ D is allowed: what it leaves outside is A and B together (8 people), which the
    # page above already gives away as a whole and which is at least k.
    guard.check_filters(frame, {"location": ["C", "D"]}, POLICY)


def test_filtered_heatmap_minus_unfiltered_heatmap() -> None:
    # By department: A = 12 (10 women, 2 men). Women-only heatmap A∧F = 10 would give A's
    # two men as A − A∧F.
    groups = {("A", "F"): 10, ("A", "M"): 2, ("B", "F"): 10, ("B", "M"): 10}
    groups |= {("C", "F"): 10, ("C", "M"): 10}
    frame = crowd(groups, ["location", "gender"])
    everyone = shown(frame, ["location"])
    women = shown(frame, ["location"], gender="F")
    a_all = everyone.filter(pl.col("location") == "A").row(0, named=True)
    a_women = women.filter(pl.col("location") == "A").row(0, named=True)
    assert not a_all["suppressed"]
    assert a_women["suppressed"] and a_women["respondents"] is None
    # Every way of subtracting the women's page from everyone's page covers ≥ k people.
    for location in ("A", "B", "C"):
        w = women.filter(pl.col("location") == location).row(0, named=True)
        e = everyone.filter(pl.col("location") == location).row(0, named=True)
        if not w["suppressed"] and not e["suppressed"]:
            assert e["respondents"] - w["respondents"] >= POLICY.k


# --------------------------------------------------------------------------- subtraction


def test_parent_minus_visible_children() -> None:
    # Teams: A = 2 people (score 1), B = 6 (5), C = 8 (3), D = 10 (4); the company total
    # is always shown. Company − visible teams = ?
    frame = crowd(
        {("A",): 2, ("B",): 6, ("C",): 8, ("D",): 10},
        ["location"],
        scores={("A",): 1.0, ("B",): 5.0, ("C",): 3.0, ("D",): 4.0},
    )
    company = shown(frame, []).row(0, named=True)
    n, total = visible_sum(shown(frame, ["location"]))
    rest_n = company["respondents"] - n
    rest_mean = (company["respondents"] * company["mean"] - total) / rest_n
    assert rest_n == 8 >= POLICY.k  # A and B together, not A
    assert rest_mean != pytest.approx(1.0)  # A's answers are not recovered


def test_parent_minus_children_when_the_hidden_group_is_the_direct_members() -> None:
    # 営業部 (1): 2 people directly in it (score 1), 1課 (2): 10 (score 5), 2課 (3): 13 (3).
    paths = {"/1/": 2, "/1/2/": 10, "/1/3/": 13}
    rows = [(path, {"/1/": 1.0, "/1/2/": 5.0, "/1/3/": 3.0}[path]) for path, n in paths.items()]
    frame = pl.DataFrame(
        [(int(p.strip("/").split("/")[-1]), p, s) for p, s in rows for _ in range(paths[p])],
        schema=["department_id", "department_path", "score"],
        orient="row",
    )
    departments = [(1, "/1/", None), (2, "/1/2/", 1), (3, "/1/3/", 1)]
    tree = guard.guard_tree(frame, departments, POLICY)
    visible = set(tree.filter(pl.col("visible")).get_column("department_id").to_list())
    assert visible == {1, 3}  # 1課 hidden so that 営業部 − 2課 is 12 people, not the 2
    subtree_n = {1: 25, 2: 10, 3: 13}
    derived = subtree_n[1] - sum(subtree_n[d] for d in visible - {1})
    assert derived == 12 != 2
    # The view of direct members agrees: neither the 2 nor 1課's people are shown there.
    direct = shown(frame, ["department_id"])
    assert direct.filter(~pl.col("suppressed")).get_column("department_id").to_list() == [3]
    # and asking for 1課 as a subtree filter is refused.
    assert refused(frame, {"subtree": 2}) == "differencing"


def test_two_way_table_row_and_column_totals() -> None:
    # gender × age, one cell of 2. Margins (row and column totals and the grand total) are
    # assumed known; the attacker solves the linear system for the hidden cells.
    groups = {(g, a): 10 for g, a in itertools.product(["F", "M", "X"], ["20s", "30s", "40s"])} | {
        ("M", "40s"): 2
    }
    frame = crowd(groups, ["gender", "age_band"])
    visibility = guard.guard_groups(frame, ["gender", "age_band"], POLICY)
    hidden = [
        (row["gender"], row["age_band"])
        for row in visibility.filter(~pl.col("visible")).iter_rows(named=True)
    ]
    assert ("M", "40s") in hidden
    lines = [[(g, a) for a in ["20s", "30s", "40s"]] for g in ["F", "M", "X"]]
    lines += [[(g, a) for g in ["F", "M", "X"]] for a in ["20s", "30s", "40s"]]
    lines += [list(groups)]
    assert determined(hidden, lines) == set()


def test_swapping_the_order_of_attributes_reveals_no_extra_cell() -> None:
    groups = {(g, a): 10 for g, a in itertools.product(["F", "M", "X"], ["20s", "30s", "40s"])} | {
        ("M", "40s"): 2,
        ("X", "20s"): 3,
    }
    frame = crowd(groups, ["gender", "age_band"])
    one = guard.guard_groups(frame, ["gender", "age_band"], POLICY)
    two = guard.guard_groups(frame, ["age_band", "gender"], POLICY)
    hidden_one = {(r["gender"], r["age_band"]) for r in one.filter(~pl.col("visible")).to_dicts()}
    hidden_two = {(r["gender"], r["age_band"]) for r in two.filter(~pl.col("visible")).to_dicts()}
    assert hidden_one == hidden_two
    lines = [[(g, a) for a in ["20s", "30s", "40s"]] for g in ["F", "M", "X"]]
    lines += [[(g, a) for g in ["F", "M", "X"]] for a in ["20s", "30s", "40s"]]
    assert not determined(sorted(hidden_one), lines) & {("M", "40s"), ("X", "20s")}


def test_breakdown_that_exposes_a_cell_through_its_margins_is_refused() -> None:
    # Women: 2 new + 10 long-serving; men: 12 new. Women (12) − long-serving (10) = 2.
    frame = crowd({("F", "new"): 2, ("F", "old"): 10, ("M", "new"): 12}, ["gender", "tenure_band"])
    with pytest.raises(Refused) as caught:
        guard.guard_groups(frame, ["gender", "tenure_band"], POLICY)
    assert caught.value.code == "too_detailed"


# --------------------------------------------------------------------------- thresholds


def test_k_set_to_two_is_refused() -> None:
    from kizuna.surveys.models import Survey

    with pytest.raises(ValueError):
        Policy(k=2)
    with pytest.raises(Refused) as caught:
        Policy.for_survey(Survey(min_group_size=2, comment_min_group_size=10))
    assert caught.value.code == "invalid_threshold"


def test_comment_threshold_below_k_is_refused() -> None:
    from kizuna.surveys.models import Survey

    with pytest.raises(ValueError):
        Policy(k=5, comment_k=4)
    with pytest.raises(Refused) as caught:
        Policy.for_survey(Survey(min_group_size=5, comment_min_group_size=3))
    assert caught.value.code == "invalid_threshold"


def test_group_of_k_minus_one_versus_k() -> None:
    frame = crowd({("A",): 4, ("B",): 5, ("C",): 5, ("D",): 30}, ["location"])
    page = shown(frame, ["location"])
    row = {r["location"]: r for r in page.to_dicts()}
    assert row["A"]["suppressed"] and row["A"]["reason"] == "too_few"
    assert row["A"]["respondents"] is None and row["A"]["mean"] is None
    # B (5) is hidden as A's complement (next smallest, by key); C with exactly 5 is shown.
    assert row["B"]["reason"] == "complementary"
    assert not row["C"]["suppressed"] and row["C"]["respondents"] == 5


def test_one_non_response_makes_a_team_of_five_hidden() -> None:
    # Team A has 5 people; one of them has not answered.
    invited = 5
    one_missing = crowd({("A",): 4, ("B",): 20, ("C",): 20}, ["location"])
    assert not guard.response_rate_visible(invited, 4, POLICY)
    a = shown(one_missing, ["location"]).filter(pl.col("location") == "A").row(0, named=True)
    assert a["suppressed"] and a["respondents"] is None and a["mean"] is None
    # Once the fifth answers, the team is shown.
    everyone = crowd({("A",): 5, ("B",): 20, ("C",): 20}, ["location"])
    assert guard.response_rate_visible(invited, 5, POLICY)
    a = shown(everyone, ["location"]).filter(pl.col("location") == "A").row(0, named=True)
    assert not a["suppressed"] and a["respondents"] == 5


def test_refusal_does_not_tell_whether_one_person_answered() -> None:
    # The only person in their 60s in department A: refused the same way whether or not
    # they answered, so a refusal cannot be used to check someone's participation.
    base = {("A", "30s"): 12, ("B", "30s"): 12, ("B", "60s"): 6}
    answered = crowd({**base, ("A", "60s"): 1}, ["location", "age_band"])
    did_not = crowd(base, ["location", "age_band"])
    messages = []
    for frame in (answered, did_not):
        with pytest.raises(Refused) as caught:
            guard.check_filters(frame, {"location": "A", "age_band": "60s"}, POLICY)
        messages.append((caught.value.code, caught.value.message))
    assert messages[0] == messages[1]
    assert messages[0][0] == "too_few"


# --------------------------------------------------------------------------- exports


def test_hidden_group_respondent_count_is_null_not_zero() -> None:
    frame = crowd({("A",): 3, ("B",): 9, ("C",): 12}, ["location"])
    page = shown(frame, ["location"])
    hidden = page.filter(pl.col("suppressed"))
    assert hidden.height == 2
    assert hidden.get_column("respondents").null_count() == 2
    assert 0 not in hidden.get_column("respondents").to_list()


def test_export_json_shape() -> None:
    frame = crowd({("A",): 3, ("B",): 9, ("C",): 12}, ["location"])
    table = results(frame, ["location"]).with_columns(
        (pl.col("mean") - 0.5).alias("ci_low"),
        (pl.col("mean") + 0.5).alias("ci_high"),
        pl.lit(12.5).alias("enps"),
    )
    visibility = guard.guard_groups(frame, ["location"], POLICY)
    exported = json.loads(json.dumps(guard.apply(table, visibility, ["location"]).to_dicts()))
    by_location = {row["location"]: row for row in exported}
    for location in ("A", "B"):
        row = by_location[location]
        assert row["suppressed"] is True
        assert row["respondents"] is None
        for key in ("mean", "favourable", "ci_low", "ci_high", "enps"):
            assert row[key] is None
    assert by_location["A"]["reason"] == "too_few"
    assert by_location["B"]["reason"] == "complementary"
    assert by_location["C"]["suppressed"] is False and by_location["C"]["respondents"] == 12
    assert "n" not in by_location["C"] and "visible" not in by_location["C"]


def test_sorting_reveals_nothing() -> None:
    frame = crowd(
        {("D",): 10, ("A",): 2, ("C",): 8, ("B",): 6},
        ["location"],
        scores={("A",): 5.0, ("B",): 1.0, ("C",): 3.0, ("D",): 4.0},
    )
    # The guard's answer does not depend on the order rows were submitted in.
    expected = guard.guard_groups(frame, ["location"], POLICY)
    for seed in range(5):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert guard.guard_groups(shuffled, ["location"], POLICY).equals(expected)
    # A table ranked by score (A, the hidden best, first) comes back in key order, so the
    # hidden group's rank is not given away; sorting the output by score puts hidden last.
    ranked = results(frame, ["location"]).sort("mean", descending=True)
    page = guard.apply(ranked, expected, ["location"])
    assert page.get_column("location").to_list() == ["A", "B", "C", "D"]
    resorted = page.sort("mean", descending=True, nulls_last=True)
    assert resorted.get_column("location").to_list() == ["D", "C", "A", "B"]


# --------------------------------------------------------------------------- comments


def comment_frame(groups: Mapping[Any, int], columns: list[str]) -> pl.DataFrame:
    rows = [(*key, f"{'/'.join(map(str, key))}#{i}") for key, n in groups.items() for i in range(n)]
    return pl.DataFrame(rows, schema=[*columns, "text"], orient="row")


def test_comments_of_a_six_person_team() -> None:
    frame = comment_frame({("A",): 6}, ["location"])
    assert guard.guard_groups(frame, [], POLICY).row(0, named=True)["visible"]  # scores: yes
    assert not guard.comments_visible(frame, None, POLICY)
    assert guard.filter_comments(frame, POLICY) == []
    assert guard.filter_comments(frame, POLICY, ["location"]) == []


def test_comments_by_an_attribute_that_narrows_below_comment_k() -> None:
    frame = comment_frame({("F",): 12, ("M",): 10, ("X",): 3}, ["gender"])
    texts = guard.filter_comments(frame, POLICY, ["gender"])
    # X (3) is dropped entirely; M (10) is dropped too, or all − F − M would be X's.
    assert sorted(texts) == sorted(f"F#{i}" for i in range(12))
    assert guard.comments_by_group(frame, POLICY, ["gender"])[0][0] == {"gender": "F"}
    assert len(guard.comments_by_group(frame, POLICY, ["gender"])) == 1


def test_comment_sets_cannot_be_differenced_by_filters() -> None:
    # Department A: 12 people, 10 of them tenure 1-3, 2 new hires. Comments of A minus
    # comments of A ∧ 1-3 would be the new hires' comments.
    frame = comment_frame(
        {("A", "1-3"): 10, ("A", "new"): 2, ("B", "1-3"): 15, ("B", "new"): 15},
        ["location", "tenure_band"],
    )
    assert guard.comments_visible(frame, {"location": "A"}, POLICY)
    assert not guard.comments_visible(frame, {"location": "A", "tenure_band": "1-3"}, POLICY)
    assert (
        guard.filter_comments(frame, POLICY, filters={"location": "A", "tenure_band": "1-3"}) == []
    )


def test_comment_order_is_not_submission_order() -> None:
    frame = comment_frame({("A",): 12}, ["location"])
    submitted = frame.get_column("text").to_list()
    orders = [guard.filter_comments(frame, POLICY) for _ in range(5)]
    for order in orders:
        assert sorted(order) == sorted(submitted)
        assert order != submitted
        assert order != sorted(submitted)
    # Same data, different order each time: the shuffle is not seeded from the data.
    assert len({tuple(order) for order in orders}) > 1


# --------------------------------------------------------------------------- other doors


def test_trend_between_waves_needs_both_waves_visible() -> None:
    wave1 = crowd({("A",): 4, ("B",): 10, ("C",): 10}, ["location"])
    wave2 = crowd({("A",): 6, ("B",): 10, ("C",): 10}, ["location"])
    change = guard.wave_guard(
        guard.guard_groups(wave2, ["location"], POLICY),
        guard.guard_groups(wave1, ["location"], POLICY),
        ["location"],
    )
    a = change.filter(pl.col("location") == "A").row(0, named=True)
    assert a == {"location": "A", "visible": False, "reason": "too_few"}


def test_filtering_or_grouping_by_answers_is_refused() -> None:
    frame = crowd({("A",): 12}, ["location"])
    assert refused(frame, {"score": 1.0}) == "unknown_attribute"
    with pytest.raises(Refused):
        guard.guard_groups(frame, ["score"], POLICY)


def test_live_results_of_an_open_survey_are_refused() -> None:
    from kizuna.surveys.models import Survey, SurveyStatus

    with pytest.raises(Refused) as caught:
        guard.require_closed(Survey(status=SurveyStatus.OPEN))
    assert caught.value.code == "survey_open"

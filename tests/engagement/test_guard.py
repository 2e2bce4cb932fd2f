"""The anonymity guard, rule by rule, on small frames whose visibility is worked out by hand
in the comments (METRICS.md §Anonymity)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl
import pytest
from django.utils import translation

from kizuna.core.models import AuditLog, User
from kizuna.engagement import guard
from kizuna.engagement.guard import Policy, Refused

POLICY = Policy()  # k = 5, comment_k = 10


def crowd(groups: Mapping[Any, int], columns: list[str]) -> pl.DataFrame:
    """A respondent-level frame: ``n`` rows for each attribute tuple."""
    rows = [key for key, n in groups.items() for _ in range(n)]
    return pl.DataFrame(rows, schema=columns, orient="row")


def verdict(frame: pl.DataFrame) -> dict[tuple[object, ...], tuple[int, bool, str | None]]:
    keys = [c for c in frame.columns if c not in ("n", "visible", "reason")]
    return {
        tuple(row[c] for c in keys): (row["n"], row["visible"], row["reason"])
        for row in frame.iter_rows(named=True)
    }


def tree_frame(direct: Mapping[str, int]) -> pl.DataFrame:
    rows = []
    for path, n in direct.items():
        ids = [int(p) for p in path.split("/") if p]
        rows += [(ids[-1] if ids else None, path)] * n
    return pl.DataFrame(rows, schema=["department_id", "department_path"], orient="row")


# --------------------------------------------------------------------------- policy


def test_policy_defaults_and_validation() -> None:
    assert (Policy().k, Policy().comment_k) == (5, 10)
    assert Policy(k=3, comment_k=3).k == 3
    with pytest.raises(ValueError):
        Policy(k=2)
    with pytest.raises(ValueError):
        Policy(k=5, comment_k=4)
    with pytest.raises(AttributeError):
        Policy().k = 3  # type: ignore[misc]


def test_policy_for_survey_reads_thresholds() -> None:
    from kizuna.surveys.models import Survey

    assert Policy.for_survey(Survey(min_group_size=7, comment_min_group_size=12)) == Policy(7, 12)
    with pytest.raises(Refused) as refused:
        Policy.for_survey(Survey(min_group_size=6, comment_min_group_size=5))
    assert refused.value.code == guard.INVALID_THRESHOLD


def test_reason_texts_name_the_threshold() -> None:
    with translation.override("en"):
        assert "7" in guard.reason_text(guard.TOO_FEW, Policy(k=7))
        assert "12" in guard.reason_text(guard.COMMENT_TOO_FEW, Policy(k=7, comment_k=12))
        assert guard.reason_text(guard.COMPLEMENTARY, POLICY)


# --------------------------------------------------------------------------- one attribute


def test_all_groups_large_enough_are_visible_and_sorted_by_key() -> None:
    frame = crowd({("M",): 6, ("F",): 9, ("X",): 5}, ["gender"])
    result = guard.guard_groups(frame, ["gender"], POLICY)
    assert result.get_column("gender").to_list() == ["F", "M", "X"]
    assert verdict(result) == {
        ("F",): (9, True, None),
        ("M",): (6, True, None),
        ("X",): (5, True, None),  # exactly k is shown
    }


def test_one_small_group_hides_the_next_smallest() -> None:
    # A=2 < 5 hidden; it is the only hidden child of the total (26), so total − B − C − D
    # would give A: hide the next smallest visible group, B (6). Hidden A+B = 8 ≥ 5: stable.
    frame = crowd({("A",): 2, ("B",): 6, ("C",): 8, ("D",): 10}, ["team"])
    frame = frame.rename({"team": "location"})
    assert verdict(guard.guard_groups(frame, ["location"], POLICY)) == {
        ("A",): (2, False, "too_few"),
        ("B",): (6, False, "complementary"),
        ("C",): (8, True, None),
        ("D",): (10, True, None),
    }


def test_hidden_groups_adding_up_to_fewer_than_k_hide_another() -> None:
    # A=1 and B=2 are hidden (too few); two are hidden, but together they are 3 < 5 people
    # and total − C − D = 3 would reveal them as one group: hide C (10), the next smallest.
    frame = crowd({("A",): 1, ("B",): 2, ("C",): 10, ("D",): 12}, ["location"])
    assert verdict(guard.guard_groups(frame, ["location"], POLICY)) == {
        ("A",): (1, False, "too_few"),
        ("B",): (2, False, "too_few"),
        ("C",): (10, False, "complementary"),
        ("D",): (12, True, None),
    }


def test_two_hidden_groups_of_k_together_need_no_more() -> None:
    # A=3, B=4 hidden; together 7 ≥ 5 and two of them: total − C is a group of 7, fine.
    frame = crowd({("A",): 3, ("B",): 4, ("C",): 10}, ["location"])
    assert verdict(guard.guard_groups(frame, ["location"], POLICY)) == {
        ("A",): (3, False, "too_few"),
        ("B",): (4, False, "too_few"),
        ("C",): (10, True, None),
    }


def test_ties_are_broken_by_key() -> None:
    # A hidden; B and C both 6: the complement is the first by key, B.
    frame = crowd({("C",): 6, ("A",): 2, ("B",): 6}, ["location"])
    result = verdict(guard.guard_groups(frame, ["location"], POLICY))
    assert result[("B",)] == (6, False, "complementary")
    assert result[("C",)] == (6, True, None)


def test_boundary_k_minus_one_hidden_k_shown() -> None:
    frame = crowd({("A",): 4, ("B",): 5, ("C",): 20}, ["location"])
    # A=4 hidden, complement B=5 (next smallest); C shown.
    assert verdict(guard.guard_groups(frame, ["location"], POLICY)) == {
        ("A",): (4, False, "too_few"),
        ("B",): (5, False, "complementary"),
        ("C",): (20, True, None),
    }
    frame = crowd({("A",): 5, ("B",): 5, ("C",): 20}, ["location"])
    assert all(v for _, v, _ in verdict(guard.guard_groups(frame, ["location"], POLICY)).values())


def test_missing_values_form_their_own_group() -> None:
    frame = crowd({("F",): 8, (None,): 2, ("M",): 9}, ["gender"])
    result = guard.guard_groups(frame, ["gender"], POLICY)
    # None (2) too few; complement F (8). Nulls sort last.
    assert result.get_column("gender").to_list() == ["F", "M", None]
    assert verdict(result)[(None,)] == (2, False, "too_few")
    assert verdict(result)[("F",)] == (8, False, "complementary")


def test_whole_population_below_k_and_empty_by() -> None:
    small = crowd({("F",): 2, ("M",): 2}, ["gender"])
    assert verdict(guard.guard_groups(small, [], POLICY)) == {(): (4, False, "too_few")}
    assert verdict(guard.guard_groups(small, ["gender"], POLICY)) == {
        ("F",): (2, False, "too_few"),
        ("M",): (2, False, "too_few"),
    }
    big = crowd({("F",): 3, ("M",): 3}, ["gender"])
    assert verdict(guard.guard_groups(big, [], POLICY)) == {(): (6, True, None)}
    empty = big.head(0)
    assert verdict(guard.guard_groups(empty, [], POLICY)) == {(): (0, False, "too_few")}


def test_unknown_or_answer_columns_cannot_group() -> None:
    frame = pl.DataFrame({"gender": ["F"] * 6, "score": [1.0] * 6})
    with pytest.raises(Refused) as refused:
        guard.guard_groups(frame, ["score"], POLICY)
    assert refused.value.code == guard.UNKNOWN_ATTRIBUTE
    frame = frame.with_columns(pl.lit("x").alias("custom_site"))
    assert guard.guard_groups(frame, ["custom_site"], POLICY).height == 1


def test_too_many_attributes_refused() -> None:
    columns = ["gender", "age_band", "tenure_band", "location", "job_level"]
    frame = crowd({("F", "30s", "new", "Tokyo", "L1"): 10}, columns)
    with pytest.raises(Refused) as refused:
        guard.guard_groups(frame, columns, POLICY)
    assert refused.value.code == guard.TOO_DETAILED


# --------------------------------------------------------------------------- two attributes

TWO_WAY = {
    ("F", "20s"): 10,
    ("F", "30s"): 10,
    ("F", "40s"): 10,
    ("M", "20s"): 10,
    ("M", "30s"): 10,
    ("M", "40s"): 2,
    ("X", "20s"): 10,
    ("X", "30s"): 10,
    ("X", "40s"): 10,
}


def test_two_way_table_suppressed_along_rows_and_columns() -> None:
    # (M, 40s) = 2 is too few. Row M: hide the smallest other cell, ties by key (age_band
    # sorts before gender): (M, 20s). Column 40s: hide (F, 40s). Now row F has one hidden
    # cell (F, 40s) -> hide (F, 20s); column 20s then has (F, 20s) and (M, 20s): stable.
    frame = crowd(TWO_WAY, ["gender", "age_band"])
    result = verdict(guard.guard_groups(frame, ["gender", "age_band"], POLICY))
    hidden = {key: reason for key, (_, visible, reason) in result.items() if not visible}
    assert hidden == {
        ("M", "40s"): "too_few",
        ("M", "20s"): "complementary",
        ("F", "40s"): "complementary",
        ("F", "20s"): "complementary",
    }


def test_two_way_table_same_cells_whatever_the_order_of_by() -> None:
    frame = crowd(TWO_WAY, ["gender", "age_band"])
    ab = verdict(guard.guard_groups(frame, ["gender", "age_band"], POLICY))
    ba = verdict(guard.guard_groups(frame, ["age_band", "gender"], POLICY))
    assert {(g, a): v for (g, a), v in ab.items()} == {(g, a): v for (a, g), v in ba.items()}


def test_filtered_view_is_a_slice_of_the_full_table() -> None:
    # by gender within age 40s = column 40s of the table above.
    frame = crowd(TWO_WAY, ["gender", "age_band"])
    result = guard.guard_groups(frame, ["gender"], POLICY, filters={"age_band": "40s"})
    assert verdict(result) == {
        ("F",): (10, False, "complementary"),
        ("M",): (2, False, "too_few"),
        ("X",): (10, True, None),
    }


def test_table_that_cannot_be_protected_is_refused() -> None:
    # (F, new) = 2. Its only row partner (F, old) is the whole 'old' column and its only
    # column partner (M, new) is the whole M row: hiding either protects nothing
    # (F = 12 and old = 10 give F,new = 2), so the table is refused.
    frame = crowd({("F", "new"): 2, ("F", "old"): 10, ("M", "new"): 12}, ["gender", "tenure_band"])
    with pytest.raises(Refused) as refused:
        guard.guard_groups(frame, ["gender", "tenure_band"], POLICY)
    assert refused.value.code == guard.TOO_DETAILED


# --------------------------------------------------------------------------- filters

FILTERED = {
    ("A", "F", "30s"): 6,
    ("A", "F", "40s"): 6,
    ("A", "M", "30s"): 6,
    ("A", "M", "40s"): 6,
    ("B", "F", "30s"): 6,
    ("B", "F", "40s"): 6,
    ("B", "M", "30s"): 6,
    ("B", "M", "40s"): 6,
}


def test_check_filters_accepts_a_safe_selection() -> None:
    frame = crowd(FILTERED, ["location", "gender", "age_band"])
    # Every atom of {location A, gender F} has 12 people.
    guard.check_filters(frame, {"location": "A", "gender": "F"}, POLICY)
    guard.check_filters(frame, {"location": ["A", "B"]}, POLICY)
    guard.check_filters(frame, None, POLICY)


def test_check_filters_refuses_small_and_empty_selections_alike() -> None:
    frame = crowd({**FILTERED, ("C", "F", "30s"): 3}, ["location", "gender", "age_band"])
    for filters in ({"location": "C"}, {"location": "Z"}):
        with pytest.raises(Refused) as refused:
            guard.check_filters(frame, filters, POLICY)
        assert refused.value.code == guard.TOO_FEW


def test_check_filters_refuses_when_dropping_one_filter_differs_by_less_than_k() -> None:
    groups = dict(FILTERED)
    groups[("A", "M", "30s")] = 2
    groups[("A", "M", "40s")] = 1
    frame = crowd(groups, ["location", "gender", "age_band"])
    # {A, F} = 12; dropping gender gives A = 15: a difference of 3 (A's men).
    with pytest.raises(Refused) as refused:
        guard.check_filters(frame, {"location": "A", "gender": "F"}, POLICY)
    assert refused.value.code == guard.DIFFERENCING


def test_check_filters_refuses_a_list_value_that_adds_fewer_than_k() -> None:
    frame = crowd({("new",): 10, ("1-3",): 10, ("3-5",): 2, ("5+",): 20}, ["tenure_band"])
    # [new, 1-3] vs [new, 1-3, 3-5] differ by the 2 people of 3-5 (an atom of the list).
    with pytest.raises(Refused):
        guard.check_filters(frame, {"tenure_band": ["new", "1-3", "3-5"]}, POLICY)


def test_check_filters_cast_values_to_the_column_type() -> None:
    frame = crowd({(1,): 6, (2,): 7}, ["manager_id"])
    assert verdict(guard.guard_groups(frame, [], POLICY, filters={"manager_id": "2"})) == {
        (): (7, True, None)
    }


def test_guard_groups_with_filters_groups_the_filtered_population() -> None:
    frame = crowd(FILTERED, ["location", "gender", "age_band"])
    result = guard.guard_groups(frame, ["age_band"], POLICY, filters={"location": "A"})
    assert verdict(result) == {("30s",): (12, True, None), ("40s",): (12, True, None)}


def test_filters_on_unknown_columns_are_refused() -> None:
    frame = crowd(FILTERED, ["location", "gender", "age_band"])
    with pytest.raises(Refused) as refused:
        guard.check_filters(frame, {"salary": 1}, POLICY)
    assert refused.value.code == guard.UNKNOWN_ATTRIBUTE


# --------------------------------------------------------------------------- department tree

# 1 (root): 3 direct members; children 2 (10 direct), 3 (8 direct + child 4 with 2), 5 (20).
TREE = {"/1/": 3, "/1/2/": 10, "/1/3/": 8, "/1/3/4/": 2, "/1/5/": 20}
DEPARTMENTS = [
    (1, "/1/", None),
    (2, "/1/2/", 1),
    (3, "/1/3/", 1),
    (4, "/1/3/4/", 3),
    (5, "/1/5/", 1),
    (6, "/1/6/", 1),
]


def test_guard_tree_by_hand() -> None:
    # Lines: 1 = {2:10, 3:10, 5:20, direct(1):3}; 3 = {4:2, direct(3):8}; 2 = {direct(2)};
    # 5 = {direct(5)}; total 43 = all direct groups {3, 10, 8, 2, 20}.
    # Too few: direct(1)=3, subtree 4 = direct(4) = 2.
    # Line 1 has one hidden (direct(1)) -> hide the smallest visible: 2 (10, ties by id).
    # Line 3 has one hidden (4) -> hide direct(3) (8).
    # Subtree 2 is now hidden but all its children are visible -> hide direct(2), else
    # subtree 2 = direct(2) would rebuild it. The total line: hidden 3+8+2+10 = 23: fine.
    result = guard.guard_tree(tree_frame(TREE), DEPARTMENTS, POLICY)
    assert result.get_column("department_id").to_list() == [1, 2, 3, 4, 5, 6]
    rows = {row["department_id"]: row for row in result.iter_rows(named=True)}
    expected = {
        1: (43, True, None, 3, False, "too_few"),
        2: (10, False, "complementary", 10, False, "complementary"),
        3: (10, True, None, 8, False, "complementary"),
        4: (2, False, "too_few", 2, False, "too_few"),
        5: (20, True, None, 20, True, None),
        6: (0, False, "too_few", 0, False, "too_few"),  # nobody answered: like a small group
    }
    for dept, (n, visible, reason, dn, dvisible, dreason) in expected.items():
        row = rows[dept]
        got = (row["n"], row["visible"], row["reason"])
        got_direct = (row["direct_n"], row["direct_visible"], row["direct_reason"])
        assert (got, got_direct) == ((n, visible, reason), (dn, dvisible, dreason)), dept


def test_view_by_department_agrees_with_the_tree() -> None:
    frame = tree_frame(TREE)
    by_department = verdict(guard.guard_groups(frame, ["department_id"], POLICY))
    tree = guard.guard_tree(frame, DEPARTMENTS, POLICY)
    for row in tree.filter(pl.col("direct_n") > 0).iter_rows(named=True):
        assert by_department[(row["department_id"],)][1] == row["direct_visible"]


def test_subtree_filter() -> None:
    frame = tree_frame(TREE)
    # subtree 3 is visible (10 people): allowed.
    guard.check_filters(frame, {"subtree": 3}, POLICY)
    # subtree 2 is hidden as a complement: refused even though it has 10 people.
    with pytest.raises(Refused) as refused:
        guard.check_filters(frame, {"subtree": 2}, POLICY)
    assert refused.value.code == guard.DIFFERENCING


# --------------------------------------------------------------------------- apply


def results_table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "location": ["D", "A", "C", "B"],
            "label": ["d", "a", "c", "b"],
            "respondents": [10, 2, 8, 6],
            "favourable": [0.5, 1.0, 0.25, 0.5],
            "ci_low": [0.2, 0.9, 0.1, 0.3],
            "significant": [True, True, False, False],
        }
    )


def test_apply_nulls_every_value_of_hidden_groups() -> None:
    frame = crowd({("A",): 2, ("B",): 6, ("C",): 8, ("D",): 10}, ["location"])
    visibility = guard.guard_groups(frame, ["location"], POLICY)
    result = guard.apply(results_table(), visibility, ["location"], keep=["label"])
    assert result.columns == [
        "location",
        "label",
        "respondents",
        "favourable",
        "ci_low",
        "significant",
        "suppressed",
        "reason",
    ]
    assert result.to_dicts() == [
        {
            "location": "A",
            "label": "a",
            "respondents": None,
            "favourable": None,
            "ci_low": None,
            "significant": None,
            "suppressed": True,
            "reason": "too_few",
        },
        {
            "location": "B",
            "label": "b",
            "respondents": None,
            "favourable": None,
            "ci_low": None,
            "significant": None,
            "suppressed": True,
            "reason": "complementary",
        },
        {
            "location": "C",
            "label": "c",
            "respondents": 8,
            "favourable": 0.25,
            "ci_low": 0.1,
            "significant": False,
            "suppressed": False,
            "reason": None,
        },
        {
            "location": "D",
            "label": "d",
            "respondents": 10,
            "favourable": 0.5,
            "ci_low": 0.2,
            "significant": True,
            "suppressed": False,
            "reason": None,
        },
    ]


def test_apply_hides_groups_the_guard_did_not_vouch_for() -> None:
    visibility = pl.DataFrame(
        {"location": ["C"], "n": [8], "visible": [True], "reason": [None]},
        schema_overrides={"reason": pl.String},
    )
    result = guard.apply(results_table(), visibility, ["location"])
    assert result.filter(pl.col("location") == "D").row(0, named=True)["suppressed"] is True
    assert result.filter(pl.col("location") == "D").row(0, named=True)["reason"] == "too_few"
    assert result.filter(pl.col("location") == "C").row(0, named=True)["respondents"] == 8
    assert "n" not in result.columns


def test_apply_with_tree_visibility_and_empty_by() -> None:
    tree = guard.guard_tree(tree_frame(TREE), DEPARTMENTS, POLICY)
    table = pl.DataFrame({"department_id": [4, 3], "mean": [4.5, 3.0]})
    result = guard.apply(table, tree, ["department_id"])
    assert result.to_dicts() == [
        {"department_id": 3, "mean": 3.0, "suppressed": False, "reason": None},
        {"department_id": 4, "mean": None, "suppressed": True, "reason": "too_few"},
    ]
    total = guard.guard_groups(tree_frame({"/1/": 4}), [], POLICY)
    result = guard.apply(pl.DataFrame({"mean": [4.0], "respondents": [4]}), total, [])
    assert result.to_dicts() == [
        {"mean": None, "respondents": None, "suppressed": True, "reason": "too_few"}
    ]


def test_guard_table_is_guard_groups_then_apply() -> None:
    frame = crowd({("A",): 2, ("B",): 6, ("C",): 8, ("D",): 10}, ["location"])
    result = guard.guard_table(results_table(), frame, ["location"], POLICY, keep=["label"])
    assert result.get_column("suppressed").to_list() == [True, True, False, False]


# --------------------------------------------------------------------------- comments


def comment_frame(groups: Mapping[str, int]) -> pl.DataFrame:
    rows = [(team, f"{team}-{i}") for team, n in groups.items() for i in range(n)]
    return pl.DataFrame(rows, schema=["location", "text"], orient="row")


def test_comments_need_comment_k_respondents() -> None:
    assert guard.filter_comments(comment_frame({"A": 9}), POLICY) == []
    assert sorted(guard.filter_comments(comment_frame({"A": 10}), POLICY)) == sorted(
        f"A-{i}" for i in range(10)
    )
    assert not guard.comments_visible(comment_frame({"A": 9}), None, POLICY)
    assert guard.comments_visible(comment_frame({"A": 10}), None, POLICY)


def test_comment_threshold_counts_respondents_not_comments() -> None:
    # 12 respondents, only 3 wrote something: the group is 12 ≥ 10, the 3 texts are shown;
    # blank texts are not comments.
    frame = pl.DataFrame(
        {"location": ["A"] * 12, "text": ["x", "y", "z", " ", *[None] * 8]},
        schema_overrides={"text": pl.String},
    )
    assert sorted(guard.filter_comments(frame, POLICY)) == ["x", "y", "z"]
    # with response ids, several texts of one person count once: 9 people, 18 rows.
    frame = pl.DataFrame(
        {"response_id": [i // 2 for i in range(18)], "location": ["A"] * 18, "text": ["t"] * 18}
    )
    assert guard.filter_comments(frame, POLICY) == []


def test_comments_by_group_and_filters() -> None:
    frame = comment_frame({"A": 12, "B": 11, "C": 3})
    # C (3) too few; complement B (11). Only A's comments.
    assert sorted(guard.filter_comments(frame, POLICY, ["location"])) == sorted(
        f"A-{i}" for i in range(12)
    )
    grouped = guard.comments_by_group(frame, POLICY, ["location"])
    assert [(key, sorted(texts)) for key, texts in grouped] == [
        ({"location": "A"}, sorted(f"A-{i}" for i in range(12)))
    ]
    assert guard.filter_comments(frame, POLICY, filters={"location": "B"}) == []
    assert len(guard.filter_comments(frame, POLICY, filters={"location": "A"})) == 12


# --------------------------------------------------------------------------- trends, rates


def test_wave_guard_needs_both_waves_visible() -> None:
    now = pl.DataFrame(
        {
            "location": ["A", "B", "C"],
            "n": [6, 3, 8],
            "visible": [True, False, True],
            "reason": [None, "too_few", None],
        }
    )
    before = pl.DataFrame(
        {
            "location": ["A", "B", "D"],
            "n": [7, 9, 9],
            "visible": [True, True, True],
            "reason": [None, None, None],
        },
        schema_overrides={"reason": pl.String},
    )
    assert guard.wave_guard(now, before, ["location"]).to_dicts() == [
        {"location": "A", "visible": True, "reason": None},
        {"location": "B", "visible": False, "reason": "too_few"},
        {"location": "C", "visible": False, "reason": "too_few"},  # not in the earlier wave
        {"location": "D", "visible": False, "reason": "too_few"},
    ]


def test_response_rate_visible() -> None:
    assert not guard.response_rate_visible(10, 4, POLICY)
    assert guard.response_rate_visible(10, 5, POLICY)
    assert guard.response_rate_visible(6, 6, POLICY)
    with pytest.raises(ValueError):
        guard.response_rate_visible(3, 4, POLICY)


def test_require_closed() -> None:
    from kizuna.surveys.models import Survey, SurveyStatus

    guard.require_closed(Survey(status=SurveyStatus.CLOSED))
    with pytest.raises(Refused) as refused:
        guard.require_closed(Survey(status=SurveyStatus.OPEN))
    assert refused.value.code == guard.SURVEY_OPEN


# --------------------------------------------------------------------------- audit


@pytest.mark.django_db
def test_audit_view_records_who_what_and_filters(role_users: dict[str, User]) -> None:
    from kizuna.surveys.models import Questionnaire, Survey

    questionnaire = Questionnaire.objects.create(code="q", name_ja="質問票", name_en="Q")
    survey = Survey.objects.create(name="2026年度 年次", kind="annual", questionnaire=questionnaire)
    user = role_users["hr"]
    guard.audit_view(
        user, survey, "heatmap", {"gender": "F", "age_band": ("30s", "40s")}, ["department_id"]
    )
    entry = AuditLog.objects.get(action="engagement.view_results")
    assert entry.actor == user
    assert (entry.target_type, entry.target_id) == ("surveys.survey", str(survey.pk))
    assert entry.detail == {
        "what": "heatmap",
        "filters": {"gender": "F", "age_band": ["30s", "40s"]},
        "by": ["department_id"],
    }
    json.dumps(entry.detail)

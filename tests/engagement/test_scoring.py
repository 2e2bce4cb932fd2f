"""Scoring tables: a hand-built three-respondent survey with every number worked out in
comments, boundary cases of the engagement category, and random data checked against a
straightforward per-group computation (pandas, scipy, statsmodels as references)."""

import math

import numpy as np
import pandas as pd
import pingouin
import polars as pl
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportions_ztest

from kizuna.engagement import scoring, stats

QUESTIONS = pl.DataFrame(
    {
        "question_id": [1, 2, 3, 4, 5, 6],
        "code": ["bel1", "bel2", "car1", "car2", "enps", "comment"],
        "factor_code": ["belonging", "belonging", "career", "career", "enps", None],
        "factor_kind": ["engagement", "engagement", "driver", "driver", "enps", None],
        "kind": ["agreement", "agreement", "agreement", "agreement", "scale", "text"],
    }
)
RESPONSES = pl.DataFrame(
    {
        "response_id": ["r1", "r2", "r3"],
        "survey_id": [1, 1, 1],
        "department_id": [10, 10, 20],
        "location": ["Tokyo", "Osaka", "Tokyo"],
    }
)
# r1: belonging 5, 4   career 2, 3      eNPS 9   (and a comment: value null)
# r2: belonging 3, 2   career 4, skip   eNPS 6
# r3: belonging 1, 2   career 5, 5      eNPS skipped
ANSWERS = pl.DataFrame(
    {
        "response_id": ["r1"] * 6 + ["r2"] * 5 + ["r3"] * 4,
        "question_id": [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 1, 2, 3, 4],
        "value": [5, 4, 2, 3, 9, None, 3, 2, 4, None, 6, 1, 2, 5, 5],
    },
    schema_overrides={"value": pl.Int16},
)
FACTORS = ["belonging", "career"]


@pytest.fixture
def respondents() -> pl.DataFrame:
    return scoring.respondent_table(ANSWERS, QUESTIONS, RESPONSES)


def test_respondent_table_hand_example(respondents):
    rows = {r["response_id"]: r for r in respondents.iter_rows(named=True)}
    # demographics pass through
    assert rows["r2"]["location"] == "Osaka" and rows["r3"]["department_id"] == 20
    # r1 belonging: 5 + 4 = 9 over 2 answers, both favourable; mean 4.5 → engaged
    assert [rows["r1"][f"belonging__{s}"] for s in ("sum", "count", "fav", "unfav")] == [
        9,
        2,
        2,
        0,
    ]
    assert rows["r1"]["belonging__mean"] == 4.5
    assert rows["r1"]["engagement_mean"] == 4.5 and rows["r1"]["category"] == "engaged"
    # r1 career: 2 + 3 = 5 over 2, none favourable, one unfavourable (2); mean 2.5
    assert [rows["r1"][f"career__{s}"] for s in ("sum", "count", "fav", "unfav", "mean")] == [
        5,
        2,
        0,
        1,
        2.5,
    ]
    # r2 belonging 3 + 2 = 5 → mean 2.5: not engaged; career one answer (4) → 4.0
    assert rows["r2"]["category"] == "not_engaged"
    assert [rows["r2"][f"career__{s}"] for s in ("sum", "count", "fav", "unfav", "mean")] == [
        4,
        1,
        1,
        0,
        4.0,
    ]
    # r3 belonging 1 + 2 = 3 → 1.5: actively disengaged, two unfavourable answers
    assert rows["r3"]["category"] == "actively_disengaged"
    assert rows["r3"]["belonging__unfav"] == 2
    # eNPS answers; r3 skipped
    assert [rows[r]["enps_score"] for r in ("r1", "r2", "r3")] == [9, 6, None]
    # engagement totals (belonging is the only engagement factor here)
    assert [rows[r]["engagement_sum"] for r in ("r1", "r2", "r3")] == [9, 5, 3]
    assert [rows[r]["engagement_fav"] for r in ("r1", "r2", "r3")] == [2, 0, 0]


def test_group_scores_company_hand_example(respondents):
    company = scoring.group_scores(respondents, [], FACTORS).row(0, named=True)
    assert company["respondents"] == 3
    # engagement answers 5,4,3,2,1,2: sum 17 over 6; index = (17/6 − 1)/4 × 100 = 45.8333
    assert company["engagement_answers"] == 6
    assert company["engagement_index"] == pytest.approx(45.833333, abs=1e-5)
    # favourable engagement answers: 5, 4 → 2/6 = 33.33 %
    assert company["engagement_favourable"] == pytest.approx(100 / 3)
    # one respondent in each category → 33.33 % each
    for category in scoring.CATEGORIES:
        assert company[category] == pytest.approx(100 / 3)
    # eNPS: answers 9 and 6 → P = 1, D = 1, n = 2 → 0; half-width 1.96 × 100 × √(1/2) = 138.6
    # → clipped to [−100, 100]
    assert (company["enps"], company["enps_low"], company["enps_high"]) == (0.0, -100.0, 100.0)
    assert (company["enps_n"], company["enps_promoters"], company["enps_detractors"]) == (2, 1, 1)
    # belonging: 6 answers, favourable 2 (33.33 %), unfavourable 3 (2, 1, 2: 50 %),
    # score = (17/6 − 1)/4 × 100 = 45.8333
    assert company["belonging__answers"] == 6
    assert company["belonging__favourable"] == pytest.approx(100 / 3)
    assert company["belonging__unfavourable"] == pytest.approx(50.0)
    assert company["belonging__score"] == pytest.approx(45.833333, abs=1e-5)
    # respondent means 4.5, 2.5, 1.5: mean 8.5/3 = 2.8333; deviations 1.6667, −0.3333,
    # −1.3333 → squares 2.7778 + 0.1111 + 1.7778 = 4.6667, / 2 = 2.3333
    assert company["belonging__resp_mean"] == pytest.approx(8.5 / 3)
    assert company["belonging__resp_var"] == pytest.approx(7 / 3)
    assert company["belonging__resp_n"] == 3
    # career: answers 2, 3, 4, 5, 5 → 5 answers, sum 19, favourable 3 (60 %),
    # unfavourable 1 (20 %), score (3.8 − 1)/4 × 100 = 70
    assert company["career__answers"] == 5
    assert company["career__favourable"] == pytest.approx(60.0)
    assert company["career__unfavourable"] == pytest.approx(20.0)
    assert company["career__score"] == pytest.approx(70.0)
    # respondent means 2.5, 4.0, 5.0 → mean 11.5/3; deviations −4/3, 1/6, 7/6
    # → squares 16/9 + 1/36 + 49/36 = 114/36, / 2 = 1.5833
    assert company["career__resp_mean"] == pytest.approx(11.5 / 3)
    assert company["career__resp_var"] == pytest.approx(114 / 72)
    # the engagement inputs for Welch: same as belonging here
    assert company["engagement_resp_mean"] == pytest.approx(8.5 / 3)
    assert company["engagement_resp_var"] == pytest.approx(7 / 3)


def test_group_scores_by_department_hand_example(respondents):
    by_dept = scoring.group_scores(respondents, ["department_id"], FACTORS)
    assert by_dept.get_column("department_id").to_list() == [10, 20]
    d10, d20 = by_dept.iter_rows(named=True)
    # department 10 (r1, r2): engagement answers 5, 4, 3, 2 → 14/4 = 3.5 → 62.5
    assert d10["respondents"] == 2
    assert d10["engagement_index"] == pytest.approx(62.5)
    assert (d10["engaged"], d10["not_engaged"], d10["actively_disengaged"]) == (50.0, 50.0, 0.0)
    # career answers 2, 3, 4 → favourable 1/3, score (3 − 1)/4 × 100 = 50
    assert d10["career__favourable"] == pytest.approx(100 / 3)
    assert d10["career__score"] == pytest.approx(50.0)
    # department 20 (r3): 1, 2 → 1.5 → 12.5; no eNPS answers → null eNPS
    assert d20["engagement_index"] == pytest.approx(12.5)
    assert d20["enps"] is None and d20["enps_n"] == 0
    # a variance over one respondent is undefined
    assert d20["belonging__resp_var"] is None


def test_item_table_hand_example():
    items = scoring.item_table(ANSWERS, QUESTIONS, RESPONSES, [])
    by_code = {r["code"]: r for r in items.iter_rows(named=True)}
    # bel1: 5, 3, 1 → mean 3, one each of favourable / neutral / unfavourable
    assert by_code["bel1"]["n"] == 3 and by_code["bel1"]["mean"] == 3.0
    assert by_code["bel1"]["favourable"] == pytest.approx(100 / 3)
    assert by_code["bel1"]["neutral"] == pytest.approx(100 / 3)
    assert by_code["bel1"]["unfavourable"] == pytest.approx(100 / 3)
    # car2: 3 and 5 (r2 skipped) → n 2, mean 4, 50 % favourable, 50 % neutral
    assert (by_code["car2"]["n"], by_code["car2"]["mean"]) == (2, 4.0)
    assert by_code["car2"]["favourable"] == 50.0 and by_code["car2"]["neutral"] == 50.0
    # the eNPS item has a mean (7.5) but no favourable band; text questions are not items
    assert by_code["enps"]["mean"] == 7.5 and by_code["enps"]["favourable"] is None
    assert "comment" not in by_code
    assert set(items.get_column("respondents")) == {3}

    per_dept = scoring.item_table(ANSWERS, QUESTIONS, RESPONSES, ["department_id"])
    row = per_dept.filter((pl.col("department_id") == 10) & (pl.col("code") == "bel2"))
    # department 10, bel2: 4 and 2 → mean 3, 50 % favourable, 50 % unfavourable
    assert row.row(0, named=True)["respondents"] == 2
    assert (row["mean"][0], row["favourable"][0], row["unfavourable"][0]) == (3.0, 50.0, 50.0)


def test_engagement_category_boundaries():
    # means exactly 4.0 (4, 4 and 5, 3) are engaged, exactly 2.0 (2, 2 and 1, 3) actively
    # disengaged, 7/3 = 2.33 and 11/3 = 3.67 not engaged; a respondent with no engagement
    # answer has no category
    questions = pl.DataFrame(
        {
            "question_id": [1, 2, 3],
            "code": ["e1", "e2", "e3"],
            "factor_code": ["vision", "vision", "action"],
            "factor_kind": ["engagement", "engagement", "engagement"],
            "kind": ["agreement"] * 3,
        }
    )
    plan = {
        "a": [4, 4],
        "b": [5, 3],
        "c": [2, 2],
        "d": [1, 3],
        "e": [2, 3, 2],
        "f": [4, 3, 4],
        "g": [],
    }
    answers = pl.DataFrame(
        {
            "response_id": [r for r, values in plan.items() for _ in values],
            "question_id": [q + 1 for values in plan.values() for q in range(len(values))],
            "value": [v for values in plan.values() for v in values],
        }
    )
    responses = pl.DataFrame({"response_id": list(plan)})
    table = scoring.respondent_table(answers, questions, responses)
    assert table.get_column("category").to_list() == [
        "engaged",
        "engaged",
        "actively_disengaged",
        "actively_disengaged",
        "not_engaged",
        "not_engaged",
        None,
    ]
    # the mean pools both engagement factors (vision and action)
    assert table.get_column("engagement_mean").to_list()[4] == pytest.approx(7 / 3)
    assert table.get_column("engagement_mean").to_list()[6] is None


def test_bad_and_stray_answers():
    stray = pl.DataFrame(
        {"response_id": ["r1", "zz", "r1"], "question_id": [1, 1, 99], "value": [4, 5, 3]}
    )
    table = scoring.respondent_table(stray, QUESTIONS, RESPONSES)
    # answers of unknown responses or questions are ignored
    assert table.get_column("belonging__count").to_list() == [1, 0, 0]
    bad = pl.DataFrame({"response_id": ["r1"], "question_id": [1], "value": [7]})
    with pytest.raises(ValueError, match="agreement answers are outside 1–5"):
        scoring.respondent_table(bad, QUESTIONS, RESPONSES)
    with pytest.raises(ValueError, match="missing the columns: value"):
        scoring.respondent_table(bad.drop("value"), QUESTIONS, RESPONSES)


def test_wave_comparison_hand_example(respondents):
    # next wave: r1 unchanged, r2 more positive (belonging 4, 4), r3 left
    curr_answers = pl.DataFrame(
        {
            "response_id": ["r1", "r1", "r1", "r2", "r2", "r2"],
            "question_id": [1, 2, 3, 1, 2, 3],
            "value": [5, 4, 2, 4, 4, 4],
        }
    )
    curr = scoring.respondent_table(curr_answers, QUESTIONS, RESPONSES.head(2))
    result = scoring.wave_comparison(respondents, curr, ["department_id"], FACTORS)
    eng10 = result.filter(
        (pl.col("measure") == "engagement_index") & (pl.col("department_id") == 10)
    ).row(0, named=True)
    # department 10 engagement: before 62.5 (answers 5, 4, 3, 2); after 5, 4, 4, 4 → 17/4
    # = 4.25 → 81.25; diff 18.75; Welch on respondent means (4.5, 2.5) vs (4.5, 4.0)
    assert (eng10["prev_value"], eng10["curr_value"]) == (62.5, 81.25)
    assert eng10["diff"] == pytest.approx(18.75)
    ref = sps.ttest_ind([4.5, 2.5], [4.5, 4.0], equal_var=False)
    assert eng10["p_value"] == pytest.approx(ref.pvalue)
    assert eng10["test"] == "welch"
    bel10 = result.filter((pl.col("measure") == "belonging") & (pl.col("department_id") == 10)).row(
        0, named=True
    )
    # belonging favourable: 2/4 = 50 % → 4/4 = 100 %; z test on (2 of 4) vs (4 of 4)
    assert (bel10["prev_value"], bel10["curr_value"], bel10["diff"]) == (50.0, 100.0, 50.0)
    assert bel10["p_value"] == pytest.approx(proportions_ztest([2, 4], [4, 4])[1])
    # department 20 exists only in the first wave: nothing to compare
    gone = result.filter(pl.col("department_id") == 20)
    assert gone.height == 3
    assert gone.get_column("p_value").null_count() == 3
    assert gone.get_column("curr_respondents").to_list() == [0, 0, 0]


def _random_wave(seed: int, n: int = 400) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    factors = [("vision", "engagement"), ("belonging", "engagement"), ("career", "driver")]
    rows: list[tuple[int, str, str, str, str]] = []
    for code, kind in factors:
        for k in range(3):
            rows.append((len(rows) + 1, f"{code}{k}", code, kind, "agreement"))
    rows.append((len(rows) + 1, "enps", "enps", "enps", "scale"))
    questions = pl.DataFrame(
        rows, schema=["question_id", "code", "factor_code", "factor_kind", "kind"], orient="row"
    )
    ids = [f"{seed}-{i}" for i in range(n)]
    responses = pl.DataFrame(
        {"response_id": ids, "department_id": rng.integers(1, 9, n), "survey_id": seed}
    )
    level = rng.normal(0, 0.8, n)
    answer_rows = []
    for i, rid in enumerate(ids):
        for q in rows:
            if rng.random() < 0.1:  # skipped
                continue
            if q[4] == "scale":
                value = int(np.clip(np.round(7 + 2 * level[i] + rng.normal()), 0, 10))
            else:
                value = int(np.clip(np.round(3.5 + level[i] + rng.normal(0, 0.9)), 1, 5))
            answer_rows.append((rid, q[0], value))
    answers = pl.DataFrame(
        answer_rows, schema=["response_id", "question_id", "value"], orient="row"
    )
    return answers, questions, responses


def _pandas(df: pl.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(df.to_dict(as_series=False))  # no pyarrow needed


def test_group_scores_equal_a_direct_computation_on_random_data():
    answers, questions, responses = _random_wave(1)
    table = scoring.respondent_table(answers, questions, responses)
    scores = scoring.group_scores(table, ["department_id"], ["vision", "belonging", "career"])
    raw = _pandas(answers.join(questions, on="question_id").join(responses, on="response_id"))
    for row in scores.iter_rows(named=True):
        dept = raw[raw.department_id == row["department_id"]]
        eng = dept[dept.factor_kind == "engagement"]
        assert row["engagement_index"] == pytest.approx((eng.value.mean() - 1) / 4 * 100)
        career = dept[dept.factor_code == "career"].value
        assert row["career__favourable"] == pytest.approx(100 * (career >= 4).mean())
        assert row["career__score"] == pytest.approx((career.mean() - 1) / 4 * 100)
        per_person = eng.groupby("response_id").value.mean()
        categories = np.where(
            per_person >= 4, "engaged", np.where(per_person <= 2, "disengaged", "not")
        )
        assert row["engaged"] == pytest.approx(100 * np.mean(categories == "engaged"))
        enps_answers = dept[dept.code == "enps"].value.to_numpy(dtype=float)
        expected = stats.enps(enps_answers)
        assert (row["enps"], row["enps_low"], row["enps_high"]) == pytest.approx(
            (expected.value, expected.low, expected.high)
        )
        assert row["engagement_resp_var"] == pytest.approx(per_person.var(ddof=1))


def test_wave_comparison_equals_scipy_and_statsmodels_per_group():
    prev_answers, questions, prev_responses = _random_wave(2)
    curr_answers, _, curr_responses = _random_wave(3)
    prev = scoring.respondent_table(prev_answers, questions, prev_responses)
    curr = scoring.respondent_table(curr_answers, questions, curr_responses)
    result = scoring.wave_comparison(prev, curr, ["department_id"], ["career"])
    for row in result.iter_rows(named=True):
        dept = pl.col("department_id") == row["department_id"]
        if row["measure"] == "engagement_index":
            a = prev.filter(dept).get_column("engagement_mean").drop_nulls().to_numpy()
            b = curr.filter(dept).get_column("engagement_mean").drop_nulls().to_numpy()
            expected = sps.ttest_ind(a, b, equal_var=False).pvalue
        else:
            pf, cf = prev.filter(dept), curr.filter(dept)
            expected = proportions_ztest(
                [pf["career__fav"].sum(), cf["career__fav"].sum()],
                [pf["career__count"].sum(), cf["career__count"].sum()],
            )[1]
        assert row["p_value"] == pytest.approx(expected, rel=1e-8)
    company = scoring.wave_comparison(prev, curr, [], ["career"])
    assert company.height == 2 and company["prev_respondents"][0] == 400


def test_driver_matrix_and_factor_items_feed_the_statistics():
    answers, questions, responses = _random_wave(4)
    table = scoring.respondent_table(answers, questions, responses)
    X, y = scoring.driver_matrix(table, ["career", "vision"])
    assert X.shape == (400, 2) and y.shape == (400,)
    np.testing.assert_allclose(X[:, 0], table.get_column("career__mean").to_numpy(), equal_nan=True)
    items = scoring.factor_item_matrix(answers, questions, "belonging")
    belonging = answers.join(questions, on="question_id").filter(
        pl.col("factor_code") == "belonging"
    )
    wide = _pandas(belonging).pivot(index="response_id", columns="question_id", values="value")
    expected, _ = pingouin.cronbach_alpha(wide, nan_policy="listwise")
    assert stats.cronbach_alpha(items) == pytest.approx(expected)
    assert math.isfinite(stats.cronbach_alpha(items))


def test_empty_wave_gives_a_company_row_with_nothing_to_show():
    empty = scoring.respondent_table(
        ANSWERS.head(0), QUESTIONS, RESPONSES.head(0).select("response_id")
    )
    company = scoring.group_scores(empty, [], FACTORS).row(0, named=True)
    assert company["respondents"] == 0
    assert company["engagement_index"] is None and company["enps"] is None


def test_subtree_scores_roll_up_the_department_path(respondents):
    # r1 and r2 sit in /1/10/, r3 in /1/20/: department 1 is everyone (same as the company
    # row), 10 is r1 + r2 (index 62.5, from the department test), 20 is r3 alone
    paths = respondents.with_columns(pl.Series("department_path", ["/1/10/", "/1/10/", "/1/20/"]))
    tree = scoring.subtree_scores(paths, FACTORS)
    assert tree.get_column("department_id").to_list() == [1, 10, 20]
    assert tree.get_column("respondents").to_list() == [3, 2, 1]
    company = scoring.group_scores(respondents, [], FACTORS)
    assert tree.row(0, named=True)["engagement_index"] == company["engagement_index"][0]
    assert tree.row(1, named=True)["engagement_index"] == pytest.approx(62.5)


def test_custom_attributes_become_columns():
    responses = RESPONSES.with_columns(
        pl.Series("custom", ['{"team": "A", "shift": 2}', "{}", '{"team": "B"}'])
    )
    table = scoring.respondent_table(ANSWERS, QUESTIONS, responses)
    assert "custom" not in table.columns
    assert table.get_column("custom_team").to_list() == ["A", None, "B"]
    assert table.get_column("custom_shift").to_list() == ["2", None, None]
    by_team = scoring.group_scores(table, ["custom_team"], FACTORS)
    assert by_team.get_column("respondents").to_list() == [1, 1, 1]

"""Engagement scores from a wave's answers, as polars tables (no database, no Python loops
over answers or respondents).

The shape follows DESIGN.md's performance notes: ``respondent_table`` aggregates the
answers **per respondent once** (one row per response, with per-factor sums and counts),
and every figure — company KPIs, heatmap cells, wave comparisons, driver inputs — reads
that small table. Pooled figures (favourable %, 0–100 scores, the engagement index) are
sums of counts over respondents divided by sums of answers, so any grouping of the
respondent table gives exactly the figure computed from the raw answers.

ANONYMITY: nothing here applies the minimum group size or the differencing rules. Every
group these functions return — its scores, shares, counts and even its respondent count —
must pass ``kizuna.engagement.guard`` before the UI, an export or the API shows it.

Conventions: shares and favourable figures are percentages (0–100); a figure with no
answers behind it is null (not NaN, so polars aggregations skip it; ``to_numpy()`` turns it
into NaN for the functions in ``kizuna.engagement.stats``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from kizuna.engagement import stats

# METRICS.md: a respondent whose engagement-item mean is ≥ 4.0 is engaged, ≤ 2.0 actively
# disengaged, anything between not engaged.
ENGAGED_MIN = 4
DISENGAGED_MAX = 2
CATEGORIES = ("engaged", "not_engaged", "actively_disengaged")
ENGAGEMENT_INDEX = "engagement_index"
_STATS = ("sum", "count", "fav", "unfav")
_ANSWER_COLUMNS = ("response_id", "question_id", "value")
_QUESTION_COLUMNS = ("question_id", "code", "factor_code", "factor_kind", "kind")
_RANGES = {"agreement": (1, 5), "scale": (0, 10)}


def _require(df: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing the columns: {', '.join(missing)}.")


def agreement_factor_codes(questions: pl.DataFrame) -> list[str]:
    """Codes of the factors that have 5-point agreement questions, sorted: the factors that
    get F__sum/F__count/F__fav/F__unfav/F__mean columns in ``respondent_table``."""
    _require(questions, _QUESTION_COLUMNS, "questions")
    codes = (
        questions.filter((pl.col("kind") == "agreement") & pl.col("factor_code").is_not_null())
        .get_column("factor_code")
        .unique()
        .sort()
    )
    return [str(code) for code in codes]


def _scored_answers(answers: pl.DataFrame, questions: pl.DataFrame) -> pl.DataFrame:
    """Numeric answers joined to their question's code, factor and kind; out-of-range
    values are refused rather than silently counted."""
    _require(answers, _ANSWER_COLUMNS, "answers")
    _require(questions, _QUESTION_COLUMNS, "questions")
    scored = (
        answers.select(_ANSWER_COLUMNS)
        .filter(pl.col("value").is_not_null())
        .with_columns(pl.col("value").cast(pl.Int64))
        .join(questions.select(_QUESTION_COLUMNS), on="question_id", how="inner")
    )
    for kind, (low, high) in _RANGES.items():
        bad = scored.filter(
            (pl.col("kind") == kind) & ((pl.col("value") < low) | (pl.col("value") > high))
        )
        if bad.height:
            raise ValueError(
                f"{bad.height} {kind} answers are outside {low}–{high} "
                f"(questions: {', '.join(sorted(set(bad.get_column('code').cast(pl.String))))})."
            )
    return scored


def flatten_custom(responses: pl.DataFrame) -> pl.DataFrame:
    """Replace a ``custom`` column (a struct, or JSON text as stored on Response.custom)
    with one string column per key, named ``custom_<key>``, so custom attributes group and
    filter like the built-in demographics (and pass the guard the same way). A frame
    without ``custom`` is returned unchanged."""
    if "custom" not in responses.columns:
        return responses
    column = responses.get_column("custom")
    if column.dtype == pl.String:
        column = column.str.json_decode(infer_schema_length=None)
    if column.dtype == pl.Null:  # no response has a custom attribute
        return responses.drop("custom")
    if not isinstance(column.dtype, pl.Struct):
        raise ValueError("responses.custom must be a struct or JSON text.")
    fields = column.struct.unnest()
    renamed = fields.select(
        [pl.col(name).cast(pl.String).alias(f"custom_{name}") for name in fields.columns]
    )
    return responses.drop("custom").hstack(renamed)


def _enps_question(questions: pl.DataFrame) -> int | None:
    """The eNPS question: the 0–10 question of the eNPS factor (the lowest id if a
    questionnaire ever holds several)."""
    ids = questions.filter((pl.col("factor_kind") == "enps") & (pl.col("kind") == "scale"))
    if ids.height == 0:
        return None
    return int(ids.get_column("question_id").min())  # type: ignore[arg-type]


def _check_ranges(kinds: npt.NDArray[np.object_], values: npt.NDArray[np.int64]) -> None:
    for kind, (low, high) in _RANGES.items():
        bad = int(np.count_nonzero((kinds == kind) & ((values < low) | (values > high))))
        if bad:
            raise ValueError(f"{bad} {kind} answers are outside {low}–{high}.")


def respondent_table(
    answers: pl.DataFrame, questions: pl.DataFrame, responses: pl.DataFrame
) -> pl.DataFrame:
    """One row per response: its demographics plus everything the figures need.

    Input columns — answers: response_id, question_id, value (nullable; text answers have
    none); questions: question_id, code, factor_code, factor_kind, kind; responses:
    response_id, survey_id, submitted_on and the demographic columns (all passed through,
    in their order; a ``custom`` column becomes ``custom_<key>`` columns, see
    ``flatten_custom``). Answers to unknown questions or responses are ignored.

    Added columns, for every factor F with agreement questions (``agreement_factor_codes``):
    F__sum, F__count, F__fav (answers ≥ 4), F__unfav (answers ≤ 2) — 0 when the respondent
    answered none — and F__mean (null then). Across the engagement-kind factors:
    engagement_sum, engagement_count, engagement_fav and engagement_mean (mean of the
    respondent's engagement answers, null if none), category (METRICS.md: "engaged" ≥ 4.0,
    "actively_disengaged" ≤ 2.0, else "not_engaged"; null without engagement answers) and
    enps_score (the 0–10 eNPS answer, null if skipped).

    One pass: each answer is mapped to (respondent row, factor) and the four counts are
    accumulated with ``np.bincount`` into respondents × factors matrices.
    """
    _require(answers, _ANSWER_COLUMNS, "answers")
    _require(questions, _QUESTION_COLUMNS, "questions")
    _require(responses, ("response_id",), "responses")
    responses = flatten_custom(responses)
    codes = agreement_factor_codes(questions)
    n_resp, n_fac = responses.height, len(codes)

    rows_of = responses.select("response_id").with_row_index("_row")
    numeric = (
        answers.select(_ANSWER_COLUMNS)
        .filter(pl.col("value").is_not_null())
        .join(rows_of, on="response_id", how="inner")
    )
    rows = numeric.get_column("_row").to_numpy().astype(np.int64)
    qids = numeric.get_column("question_id").to_numpy().astype(np.int64)
    values = numeric.get_column("value").to_numpy().astype(np.int64)

    # Question attributes by position in ``questions``; answers find theirs by binary search.
    q_ids = questions.get_column("question_id").to_numpy().astype(np.int64)
    q_kind = questions.get_column("kind").to_numpy().astype(object)
    q_codes = questions.get_column("factor_code").to_list()
    code_pos = {code: i for i, code in enumerate(codes)}
    q_factor = np.array(
        [
            code_pos.get(c, -1) if k == "agreement" else -1
            for c, k in zip(q_codes, q_kind, strict=True)
        ],
        dtype=np.int64,
    )
    order = np.argsort(q_ids, kind="stable")
    found = np.searchsorted(q_ids[order], qids).clip(0, max(len(q_ids) - 1, 0))
    known = q_ids[order][found] == qids if len(q_ids) else np.zeros(len(qids), dtype=bool)
    qpos = order[found[known]]
    rows, qids, values = rows[known], qids[known], values[known]
    _check_ranges(q_kind[qpos], values)

    factor = q_factor[qpos]
    agree = factor >= 0
    key = rows[agree] * n_fac + factor[agree]
    v = values[agree]
    size = n_resp * n_fac

    def matrix(
        keys: npt.NDArray[np.int64], weights: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.int64]:
        counts = np.bincount(keys, weights=weights, minlength=size)
        return counts.astype(np.int64).reshape(n_resp, n_fac)

    sums = matrix(key, v)
    counts = matrix(key)
    favs = matrix(key[v >= stats.FAVOURABLE_MIN])
    unfavs = matrix(key[v <= stats.UNFAVOURABLE_MAX])

    kinds_of = dict(
        zip(
            questions.get_column("factor_code").to_list(),
            questions.get_column("factor_kind").to_list(),
            strict=True,
        )
    )
    engagement = np.array([kinds_of.get(c) == "engagement" for c in codes], dtype=bool)
    eng_sum = sums[:, engagement].sum(axis=1)
    eng_count = counts[:, engagement].sum(axis=1)
    eng_fav = favs[:, engagement].sum(axis=1)

    enps = np.full(n_resp, np.nan)
    enps_id = _enps_question(questions)
    if enps_id is not None:
        is_enps = qids == enps_id
        enps[rows[is_enps]] = values[is_enps]

    columns: list[pl.Series] = [
        pl.Series("engagement_sum", eng_sum, dtype=pl.Int64),
        pl.Series("engagement_count", eng_count, dtype=pl.Int64),
        pl.Series("engagement_fav", eng_fav, dtype=pl.Int64),
        pl.Series("enps_score", enps, dtype=pl.Float64).fill_nan(None).cast(pl.Int64),
    ]
    for j, code in enumerate(codes):
        columns += [
            pl.Series(f"{code}__sum", sums[:, j], dtype=pl.Int64),
            pl.Series(f"{code}__count", counts[:, j], dtype=pl.Int64),
            pl.Series(f"{code}__fav", favs[:, j], dtype=pl.Int64),
            pl.Series(f"{code}__unfav", unfavs[:, j], dtype=pl.Int64),
        ]
    table = responses.with_columns(columns)
    eng_sum_col, eng_count_col = pl.col("engagement_sum"), pl.col("engagement_count")
    table = table.with_columns(
        pl.when(eng_count_col > 0).then(eng_sum_col / eng_count_col).alias("engagement_mean"),
        # compare sums, not a rounded mean: mean ≥ 4 ⇔ sum ≥ 4 × count
        pl.when(eng_count_col == 0)
        .then(None)
        .when(eng_sum_col >= ENGAGED_MIN * eng_count_col)
        .then(pl.lit("engaged"))
        .when(eng_sum_col <= DISENGAGED_MAX * eng_count_col)
        .then(pl.lit("actively_disengaged"))
        .otherwise(pl.lit("not_engaged"))
        .alias("category"),
        *[
            pl.when(pl.col(f"{code}__count") > 0)
            .then(pl.col(f"{code}__sum") / pl.col(f"{code}__count"))
            .alias(f"{code}__mean")
            for code in codes
        ],
    )
    ordered = [
        *responses.columns,
        "engagement_mean",
        "category",
        "enps_score",
        "engagement_sum",
        "engagement_count",
        "engagement_fav",
        *[f"{code}__{stat}" for code in codes for stat in (*_STATS, "mean")],
    ]
    return table.select(ordered)


def _group(df: pl.DataFrame, by: Sequence[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    """Aggregate per group; ``by=[]`` gives a single (company) row even for no rows."""
    if not by:
        return df.select(aggs)
    return df.group_by(list(by)).agg(aggs).sort(list(by), nulls_last=True)


def _pct(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(100.0 * pl.col(part) / pl.col(whole))


def _to_100(total: str, count: str) -> pl.Expr:
    return pl.when(pl.col(count) > 0).then((pl.col(total) / pl.col(count) - 1.0) / 4.0 * 100.0)


def item_table(
    answers: pl.DataFrame,
    questions: pl.DataFrame,
    responses: pl.DataFrame,
    by: Sequence[str],
) -> pl.DataFrame:
    """Item scores per group × question (METRICS.md "Item score").

    Columns: the ``by`` columns, question_id, code, factor_code, kind, respondents (responses
    in the group, what the guard's threshold applies to), n (answers to the item), mean,
    favourable, neutral, unfavourable (% of the item's answers; null for 0–10 questions,
    which have no favourable band). Covers agreement and 0–10 questions.
    """
    _require(responses, ("response_id", *by), "responses")
    scored = _scored_answers(answers, questions).filter(pl.col("kind").is_in(list(_RANGES)))
    rows = scored.join(responses.select("response_id", *by), on="response_id", how="inner")
    value = pl.col("value")
    agreement = pl.col("kind").first() == "agreement"
    items = _group(
        rows,
        [*by, "question_id"],
        [
            pl.col("code").first(),
            pl.col("factor_code").first(),
            pl.col("kind").first(),
            pl.len().cast(pl.Int64).alias("n"),
            value.mean().alias("mean"),
            pl.when(agreement)
            .then(100.0 * (value >= stats.FAVOURABLE_MIN).mean())
            .alias("favourable"),
            pl.when(agreement)
            .then(
                100.0 * ((value > stats.UNFAVOURABLE_MAX) & (value < stats.FAVOURABLE_MIN)).mean()
            )
            .alias("neutral"),
            pl.when(agreement)
            .then(100.0 * (value <= stats.UNFAVOURABLE_MAX).mean())
            .alias("unfavourable"),
        ],
    )
    if by:
        sizes = responses.group_by(list(by)).agg(pl.len().cast(pl.Int64).alias("respondents"))
        items = items.join(sizes, on=list(by), how="left", nulls_equal=True)
    else:
        items = items.with_columns(pl.lit(responses.height, dtype=pl.Int64).alias("respondents"))
    return items.select(
        *by,
        "question_id",
        "code",
        "factor_code",
        "kind",
        "respondents",
        "n",
        "mean",
        "favourable",
        "neutral",
        "unfavourable",
    ).sort([*by, "question_id"], nulls_last=True)


def group_scores(
    respondents: pl.DataFrame, by: Sequence[str], factor_codes: Sequence[str]
) -> pl.DataFrame:
    """Per group of the respondent table (``by=[]``: one company row), sorted by ``by``.

    Columns: respondents; engagement_answers, engagement_index (0–100 of the pooled mean of
    all engagement answers: (Σ sum / Σ count − 1)/4 × 100), engagement_favourable (%);
    engaged / not_engaged / actively_disengaged (% of the respondents with a category) and
    categorised (that denominator); enps, enps_low, enps_high, enps_n, enps_promoters,
    enps_detractors; engagement_resp_mean / _resp_var (ddof=1) / _resp_n over respondents'
    engagement_mean (inputs to Welch tests). Per factor F: F__answers, F__fav_count,
    F__favourable and F__unfavourable (% of all answers to F's items, pooled), F__score
    (0–100 of the pooled mean), F__resp_mean, F__resp_var, F__resp_n (over respondents'
    F__mean).
    """
    _require(respondents, [*by, "engagement_mean", "category", "enps_score"], "respondents")
    eng_mean = pl.col("engagement_mean")
    enps_score = pl.col("enps_score")
    aggs: list[pl.Expr] = [
        pl.len().cast(pl.Int64).alias("respondents"),
        pl.col("engagement_sum").sum().alias("_eng_sum"),
        pl.col("engagement_count").sum().cast(pl.Int64).alias("engagement_answers"),
        pl.col("engagement_fav").sum().alias("_eng_fav"),
        pl.col("category").is_not_null().sum().cast(pl.Int64).alias("categorised"),
        *[(pl.col("category") == c).sum().cast(pl.Int64).alias(f"_{c}") for c in CATEGORIES],
        enps_score.is_not_null().sum().cast(pl.Int64).alias("enps_n"),
        (enps_score >= stats.PROMOTER_MIN).sum().cast(pl.Int64).alias("enps_promoters"),
        (enps_score <= stats.DETRACTOR_MAX).sum().cast(pl.Int64).alias("enps_detractors"),
        eng_mean.mean().alias("engagement_resp_mean"),
        eng_mean.var(ddof=1).alias("engagement_resp_var"),
        eng_mean.count().cast(pl.Int64).alias("engagement_resp_n"),
    ]
    for code in factor_codes:
        f_mean = pl.col(f"{code}__mean")
        aggs += [
            pl.col(f"{code}__sum").sum().alias(f"_{code}__sum"),
            pl.col(f"{code}__count").sum().cast(pl.Int64).alias(f"{code}__answers"),
            pl.col(f"{code}__fav").sum().cast(pl.Int64).alias(f"{code}__fav_count"),
            pl.col(f"{code}__unfav").sum().cast(pl.Int64).alias(f"_{code}__unfav"),
            f_mean.mean().alias(f"{code}__resp_mean"),
            f_mean.var(ddof=1).alias(f"{code}__resp_var"),
            f_mean.count().cast(pl.Int64).alias(f"{code}__resp_n"),
        ]
    grouped = _group(respondents, by, aggs)
    derived: list[pl.Expr] = [
        _to_100("_eng_sum", "engagement_answers").alias(ENGAGEMENT_INDEX),
        _pct("_eng_fav", "engagement_answers").alias("engagement_favourable"),
        *[_pct(f"_{c}", "categorised").alias(c) for c in CATEGORIES],
    ]
    for code in factor_codes:
        derived += [
            _pct(f"{code}__fav_count", f"{code}__answers").alias(f"{code}__favourable"),
            _pct(f"_{code}__unfav", f"{code}__answers").alias(f"{code}__unfavourable"),
            _to_100(f"_{code}__sum", f"{code}__answers").alias(f"{code}__score"),
        ]
    grouped = grouped.with_columns(derived)
    value, low, high = stats.enps_arrays(
        grouped.get_column("enps_promoters").to_numpy(),
        grouped.get_column("enps_detractors").to_numpy(),
        grouped.get_column("enps_n").to_numpy(),
    )
    grouped = grouped.with_columns(
        pl.Series("enps", np.atleast_1d(value), dtype=pl.Float64).fill_nan(None),
        pl.Series("enps_low", np.atleast_1d(low), dtype=pl.Float64).fill_nan(None),
        pl.Series("enps_high", np.atleast_1d(high), dtype=pl.Float64).fill_nan(None),
    )
    per_factor = [
        f"{code}__{suffix}"
        for code in factor_codes
        for suffix in (
            "answers",
            "fav_count",
            "favourable",
            "unfavourable",
            "score",
            "resp_mean",
            "resp_var",
            "resp_n",
        )
    ]
    return grouped.select(
        *by,
        "respondents",
        "engagement_answers",
        ENGAGEMENT_INDEX,
        "engagement_favourable",
        "categorised",
        *CATEGORIES,
        "enps",
        "enps_low",
        "enps_high",
        "enps_n",
        "enps_promoters",
        "enps_detractors",
        "engagement_resp_mean",
        "engagement_resp_var",
        "engagement_resp_n",
        *per_factor,
    )


def subtree_scores(respondents: pl.DataFrame, factor_codes: Sequence[str]) -> pl.DataFrame:
    """``group_scores`` per department *subtree*: each respondent counts for their own
    department and every ancestor in their snapshot ``department_path`` ("/1/4/9/" counts
    for 1, 4 and 9). Keyed by ``department_id`` (of the subtree's root), sorted. Respondents
    without a path count for no department. Visibility comes from ``guard.guard_tree``."""
    _require(respondents, ["department_path"], "respondents")
    ancestors = pl.col("department_path").fill_null("").str.split("/")
    expanded = (
        respondents.drop("department_id", strict=False)
        .with_columns(ancestors.list.eval(pl.element().filter(pl.element() != "")).alias("_ids"))
        .explode("_ids")
        .filter(pl.col("_ids").is_not_null())
        .with_columns(pl.col("_ids").cast(pl.Int64).alias("department_id"))
    )
    return group_scores(expanded, ["department_id"], factor_codes)


def _column(df: pl.DataFrame, name: str) -> npt.NDArray[np.float64]:
    return df.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy()


def _comparison_rows(
    both: pl.DataFrame,
    by: Sequence[str],
    measure: str,
    test: str,
    prev_value: npt.NDArray[np.float64],
    curr_value: npt.NDArray[np.float64],
    p_value: npt.ArrayLike,
) -> pl.DataFrame:
    p_values = np.atleast_1d(np.asarray(p_value, dtype=np.float64))
    return both.select(
        *by,
        pl.lit(measure).alias("measure"),
        pl.lit(test).alias("test"),
        pl.col("respondents").fill_null(0).alias("prev_respondents"),
        pl.col("respondents__curr").fill_null(0).alias("curr_respondents"),
        pl.Series("prev_value", prev_value).fill_nan(None),
        pl.Series("curr_value", curr_value).fill_nan(None),
        pl.Series("diff", curr_value - prev_value).fill_nan(None),
        pl.Series("p_value", p_values).fill_nan(None),
    )


def wave_comparison(
    prev: pl.DataFrame,
    curr: pl.DataFrame,
    by: Sequence[str],
    factor_codes: Sequence[str],
) -> pl.DataFrame:
    """Change between two waves per group × measure, from the two waves' respondent tables.

    One row per group and measure: measure "engagement_index" (values are the 0–100 index,
    diff in index points, p from Welch's t on respondents' engagement_mean) and one per
    factor code (values are favourable %, diff in points, p from the two-proportion z test
    on the pooled favourable answer counts, as METRICS.md specifies — note answers within a
    respondent are not independent, so this p is somewhat optimistic for multi-item
    factors). Columns: the ``by`` columns, measure, test, prev_respondents,
    curr_respondents, prev_value, curr_value, diff, p_value. Groups present in one wave only
    get null values and p.

    Whether a change is *shown* as significant is the caller's decision through
    ``stats.significant_change(p_value, visible_prev, visible_curr)`` with the guard's
    verdicts: both waves must meet the anonymity threshold.
    """
    gp = group_scores(prev, by, factor_codes)
    gc = group_scores(curr, by, factor_codes)
    if by:
        keys = list(by)
    else:
        keys = ["_all"]
        gp = gp.with_columns(pl.lit(0).alias("_all"))
        gc = gc.with_columns(pl.lit(0).alias("_all"))
    both = gp.join(gc, on=keys, how="full", coalesce=True, suffix="__curr", nulls_equal=True).sort(
        keys, nulls_last=True
    )
    _, _, p_eng = stats.welch_test(
        _column(both, "engagement_resp_mean"),
        _column(both, "engagement_resp_var"),
        _column(both, "engagement_resp_n"),
        _column(both, "engagement_resp_mean__curr"),
        _column(both, "engagement_resp_var__curr"),
        _column(both, "engagement_resp_n__curr"),
    )
    frames = [
        _comparison_rows(
            both,
            by,
            ENGAGEMENT_INDEX,
            "welch",
            _column(both, ENGAGEMENT_INDEX),
            _column(both, f"{ENGAGEMENT_INDEX}__curr"),
            p_eng,
        )
    ]
    for code in factor_codes:
        _, p_fav = stats.two_proportion_test(
            _column(both, f"{code}__fav_count"),
            _column(both, f"{code}__answers"),
            _column(both, f"{code}__fav_count__curr"),
            _column(both, f"{code}__answers__curr"),
        )
        frames.append(
            _comparison_rows(
                both,
                by,
                code,
                "two_proportion",
                _column(both, f"{code}__favourable"),
                _column(both, f"{code}__favourable__curr"),
                p_fav,
            )
        )
    return pl.concat(frames, how="vertical")


def series_comparison(
    respondents: pl.DataFrame,
    waves: Sequence[int],
    by: Sequence[str],
    factor_codes: Sequence[str],
) -> pl.DataFrame:
    """``wave_comparison`` for every consecutive pair of ``waves`` (survey ids, oldest
    first) at once: the waves are scored in one ``group_scores`` call, each wave's groups
    are joined to the previous wave's, and every test runs once over all rows — one
    vectorised call per measure instead of one per wave pair.

    Same columns as ``wave_comparison`` plus ``survey_id`` (the later wave of the pair);
    only groups present in both waves of a pair appear."""
    order = {int(w): i for i, w in enumerate(waves)}
    keys = ["_wave", *by]
    scored = group_scores(
        respondents.filter(pl.col("survey_id").is_in(list(order))).with_columns(
            pl.col("survey_id").replace_strict(order, return_dtype=pl.Int64).alias("_wave")
        ),
        keys,
        factor_codes,
    )
    previous = scored.with_columns((pl.col("_wave") + 1).alias("_wave"))
    both = previous.join(scored, on=keys, how="inner", suffix="__curr", nulls_equal=True).sort(
        keys, nulls_last=True
    )
    ids = np.asarray(list(waves), dtype=np.int64)
    both = both.with_columns(
        pl.Series("survey_id", ids[both.get_column("_wave").to_numpy()])
        if both.height
        else pl.lit(None, dtype=pl.Int64).alias("survey_id")
    )
    measures: list[tuple[str, str, str, npt.ArrayLike]] = []
    _, _, p_eng = stats.welch_test(
        *[_column(both, f"engagement_resp_{part}") for part in ("mean", "var", "n")],
        *[_column(both, f"engagement_resp_{part}__curr") for part in ("mean", "var", "n")],
    )
    measures.append((ENGAGEMENT_INDEX, "welch", ENGAGEMENT_INDEX, p_eng))
    for code in factor_codes:
        _, p_fav = stats.two_proportion_test(
            _column(both, f"{code}__fav_count"),
            _column(both, f"{code}__answers"),
            _column(both, f"{code}__fav_count__curr"),
            _column(both, f"{code}__answers__curr"),
        )
        measures.append((code, "two_proportion", f"{code}__favourable", p_fav))
    frames = [
        _comparison_rows(
            both,
            ["survey_id", *by],
            measure,
            test,
            _column(both, column),
            _column(both, f"{column}__curr"),
            p_value,
        )
        for measure, test, column, p_value in measures
    ]
    return pl.concat(frames, how="vertical")


def driver_matrix(
    respondents: pl.DataFrame, driver_codes: Sequence[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Inputs for ``kizuna.engagement.drivers``: X = respondents' driver-factor means
    (columns in ``driver_codes`` order), y = respondents' engagement_mean; missing as NaN
    (the driver functions drop incomplete rows)."""
    x = np.column_stack([_column(respondents, f"{code}__mean") for code in driver_codes])
    return x.reshape(respondents.height, len(driver_codes)), _column(respondents, "engagement_mean")


def factor_item_matrix(
    answers: pl.DataFrame, questions: pl.DataFrame, factor_code: str
) -> npt.NDArray[np.float64]:
    """Respondents × items matrix of one factor's agreement answers (NaN = skipped), the
    input of ``stats.cronbach_alpha``. Items in question_id order; respondents who answered
    none of the factor's items are left out."""
    scored = _scored_answers(answers, questions).filter(
        (pl.col("factor_code") == factor_code) & (pl.col("kind") == "agreement")
    )
    item_ids = sorted(scored.get_column("question_id").unique().to_list())
    if not item_ids:
        return np.empty((0, 0))
    wide = scored.pivot(on="question_id", index="response_id", values="value").sort("response_id")
    return np.column_stack([_column(wide, str(item)) for item in item_ids])

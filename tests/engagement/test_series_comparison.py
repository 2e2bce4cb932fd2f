"""Comparing all wave pairs at once gives exactly what comparing each pair does."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from kizuna.engagement import scoring


def _respondents(seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    questions = pl.DataFrame(
        {
            "question_id": [1, 2, 3, 4, 5],
            "code": ["e1", "e2", "f1", "f2", "enps"],
            "factor_code": ["engagement", "engagement", "fair", "fair", "enps"],
            "factor_kind": ["engagement", "engagement", "driver", "driver", "enps"],
            "kind": ["agreement"] * 4 + ["scale"],
        }
    )
    rows, answers = [], []
    for wave in (11, 12, 13, 14):
        for i in range(60):
            rid = f"{wave}-{i}"
            rows.append((rid, wave, int(rng.integers(1, 4))))
            for q in (1, 2, 3, 4):
                if rng.random() > 0.05:
                    answers.append((rid, q, int(rng.integers(1, 6))))
            answers.append((rid, 5, int(rng.integers(0, 11))))
    responses = pl.DataFrame(
        rows,
        schema={"response_id": pl.Utf8, "survey_id": pl.Int64, "department_id": pl.Int64},
        orient="row",
    ).with_columns(pl.lit("").alias("department_path"))
    answer_frame = pl.DataFrame(
        answers,
        schema={"response_id": pl.Utf8, "question_id": pl.Int64, "value": pl.Int16},
        orient="row",
    )
    return scoring.respondent_table(answer_frame, questions, responses)


def test_series_comparison_matches_pairwise_wave_comparison() -> None:
    respondents = _respondents(7)
    waves = [11, 12, 13, 14]
    for by in ([], ["department_id"]):
        together = scoring.series_comparison(respondents, waves, by, ["fair"])
        for prev, curr in itertools.pairwise(waves):
            pair = scoring.wave_comparison(
                respondents.filter(pl.col("survey_id") == prev),
                respondents.filter(pl.col("survey_id") == curr),
                by,
                ["fair"],
            )
            mine = together.filter(pl.col("survey_id") == curr).drop("survey_id")
            keys = [*by, "measure"]
            assert_frame_equal(mine.sort(keys), pair.sort(keys), check_dtypes=False, abs_tol=1e-12)

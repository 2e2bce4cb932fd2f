"""Load survey answers from the OLTP database into polars frames, in three queries.

Everything above this module (scoring, guard, report) works on whole columns; this is the
only place that touches the ORM for results, so a change of storage tier changes one file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection

from kizuna.surveys.models import Answer, Question, Response

DEMOGRAPHICS = (
    "department_id",
    "department_path",
    "manager_id",
    "tenure_band",
    "job_level",
    "location",
    "employment_type",
    "gender",
    "age_band",
    "performance_band",
)


@dataclass(frozen=True)
class SurveyFrames:
    answers: pl.DataFrame  # response_id, question_id, value
    responses: pl.DataFrame  # response_id, survey_id, submitted_on, demographics…
    questions: pl.DataFrame  # question_id, code, factor_code, factor_kind, kind
    comments: pl.DataFrame  # response_id, question_id, text


def _fetch(sql: str, params: Sequence[Any], schema: Any) -> pl.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _uuid_text(column: str) -> str:
    # PostgreSQL stores uuid natively; SQLite as 32 hex characters. Compare as text.
    return f"CAST({column} AS TEXT)" if connection.vendor == "postgresql" else column


def questions_frame() -> pl.DataFrame:
    rows = Question.objects.values_list(
        "id", "code", "factor__code", "factor__kind", "kind"
    ).order_by("id")
    return pl.DataFrame(
        list(rows),
        schema={
            "question_id": pl.Int64,
            "code": pl.Utf8,
            "factor_code": pl.Utf8,
            "factor_kind": pl.Utf8,
            "kind": pl.Utf8,
        },
        orient="row",
    )


def load(survey_ids: Sequence[int]) -> SurveyFrames:
    """All responses, numeric answers and comments of the given surveys (waves)."""
    ids = list(survey_ids)
    if not ids:
        ids = [-1]
    marks = ", ".join(["%s"] * len(ids))
    response_table = Response._meta.db_table
    answer_table = Answer._meta.db_table
    demo_columns = ", ".join(f"r.{c}" for c in DEMOGRAPHICS)
    responses = _fetch(
        f"SELECT {_uuid_text('r.id')}, r.survey_id, r.submitted_on, {demo_columns} "  # noqa: S608
        f"FROM {response_table} r WHERE r.survey_id IN ({marks})",
        ids,
        {
            "response_id": pl.Utf8,
            "survey_id": pl.Int64,
            "submitted_on": pl.Date,
            "department_id": pl.Int64,
            "department_path": pl.Utf8,
            "manager_id": pl.Int64,
            "tenure_band": pl.Utf8,
            "job_level": pl.Utf8,
            "location": pl.Utf8,
            "employment_type": pl.Utf8,
            "gender": pl.Utf8,
            "age_band": pl.Utf8,
            "performance_band": pl.Utf8,
        },
    )
    answers = _fetch(
        f"SELECT {_uuid_text('a.response_id')}, a.question_id, a.value "  # noqa: S608
        f"FROM {answer_table} a JOIN {response_table} r ON r.id = a.response_id "
        f"WHERE r.survey_id IN ({marks}) AND a.value IS NOT NULL",
        ids,
        {"response_id": pl.Utf8, "question_id": pl.Int64, "value": pl.Int16},
    )
    comments = _fetch(
        f"SELECT {_uuid_text('a.response_id')}, a.question_id, a.text "  # noqa: S608
        f"FROM {answer_table} a JOIN {response_table} r ON r.id = a.response_id "
        f"WHERE r.survey_id IN ({marks}) AND a.text <> ''",
        ids,
        {"response_id": pl.Utf8, "question_id": pl.Int64, "text": pl.Utf8},
    )
    return SurveyFrames(answers, responses, questions_frame(), comments)

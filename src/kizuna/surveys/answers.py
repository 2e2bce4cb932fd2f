"""Checking answers before anything is stored, and the expected answering time.

Every item may be skipped: a missing, empty or ``None`` value means "no answer" and is
not stored (METRICS.md: "No answer" is not a value). Anything else must be a valid value
for the question's kind, or the whole submission is refused with one translated message
per question.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kizuna.surveys.models import Question, QuestionKind

MAX_TEXT_LENGTH = 5000
AGREEMENT_RANGE = (1, 5)
SCALE_RANGE = (0, 10)
# Seconds per item when estimating the time shown on the invitation and the page: a
# closed item is read and tapped in a few seconds on a phone; text is optional but the
# estimate assumes it is written.
SECONDS_PER_ITEM = {QuestionKind.TEXT: 40, QuestionKind.MULTIPLE: 10}
SECONDS_PER_CLOSED_ITEM = 7

Cleaned = int | list[int] | str


class AnswerErrors(Exception):
    """The answers were refused; ``errors`` maps question codes to translated messages."""

    def __init__(self, errors: Mapping[str, str | Promise]) -> None:
        super().__init__(", ".join(f"{code}: {message}" for code, message in errors.items()))
        self.errors = dict(errors)


def expected_minutes(kinds: Iterable[str]) -> int:
    seconds = sum(SECONDS_PER_ITEM.get(QuestionKind(k), SECONDS_PER_CLOSED_ITEM) for k in kinds)
    return max(1, math.ceil(seconds / 60))


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple):
        return all(is_blank(v) for v in value)
    return False


def clean_answers(questions: Sequence[Question], raw: Mapping[str, Any]) -> dict[str, Cleaned]:
    """Validate ``raw`` ({question code: value}) against the survey's questions.

    Returns the answered items only, normalised (ints, sorted index lists, stripped
    text). Raises :class:`AnswerErrors` if any value is invalid or names a question the
    survey does not ask.
    """
    by_code = {q.code: q for q in questions}
    errors: dict[str, str | Promise] = {}
    cleaned: dict[str, Cleaned] = {}
    for code, value in raw.items():
        question = by_code.get(code)
        if question is None:
            errors[code] = _("This question is not part of the survey.")
            continue
        if is_blank(value):
            continue
        try:
            cleaned[code] = _clean_one(question, value)
        except ValueError as error:
            errors[code] = error.args[0]
    if errors:
        raise AnswerErrors(errors)
    return cleaned


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError


def _in_range(value: Any, low: int, high: int, message: Promise) -> int:
    try:
        number = _integer(value)
    except ValueError:
        raise ValueError(message) from None
    if not low <= number <= high:
        raise ValueError(message)
    return number


def _clean_one(question: Question, value: Any) -> Cleaned:
    kind = question.kind
    if kind == QuestionKind.AGREEMENT:
        return _in_range(value, *AGREEMENT_RANGE, _("Choose one of the five options."))
    if kind == QuestionKind.SCALE:
        return _in_range(value, *SCALE_RANGE, _("Choose a number from 0 to 10."))
    options = len(question.options or [])
    if kind == QuestionKind.SINGLE:
        return _in_range(value, 0, options - 1, _("Choose one of the listed options."))
    if kind == QuestionKind.MULTIPLE:
        values = value if isinstance(value, list | tuple) else [value]
        message = _("Choose only from the listed options.")
        chosen = {_in_range(v, 0, options - 1, message) for v in values if not is_blank(v)}
        return sorted(chosen)
    if kind == QuestionKind.TEXT:
        if not isinstance(value, str):
            raise ValueError(_("Write your answer as text."))
        text = value.strip()
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(
                _("Write at most %(limit)s characters (this answer has %(count)s).")
                % {"limit": f"{MAX_TEXT_LENGTH:,}", "count": f"{len(text):,}"}
            )
        return text
    raise ValueError(_("This question cannot be answered."))

"""Which questions a wave asks.

An annual (census) survey asks its whole questionnaire. A pulse stays short: every wave
asks all engagement items, eNPS and the free-text questions (the figures tracked wave on
wave), plus the items of a few *rotating* factors — satisfaction and the drivers — taken
in catalogue order, ``PULSE_ROTATING_FACTORS`` per wave. Wave N starts where wave N−1
stopped, so with the built-in nine rotating factors every factor is asked once every three
waves, and the choice depends only on the wave number (deterministic, reproducible).
"""

from __future__ import annotations

from collections.abc import Sequence

from kizuna.surveys.models import FactorKind, Question, SurveyKind

PULSE_ROTATING_FACTORS = 3
ROTATING_KINDS = (FactorKind.DRIVER, FactorKind.SATISFACTION)


def rotating_factors_for_wave(
    factors: Sequence[str], wave: int, per_wave: int = PULSE_ROTATING_FACTORS
) -> list[str]:
    """The ``per_wave`` factor codes wave ``wave`` (from 1) asks, cycling through
    ``factors`` in order."""
    if not factors:
        return []
    count = min(per_wave, len(factors))
    start = ((max(wave, 1) - 1) * per_wave) % len(factors)
    return [factors[(start + offset) % len(factors)] for offset in range(count)]


def select_questions(questions: Sequence[Question], kind: str, wave: int) -> list[Question]:
    """The questionnaire's questions (in order) that this survey asks."""
    if kind != SurveyKind.PULSE:
        return list(questions)
    rotating: list[str] = []
    for question in sorted(
        (q for q in questions if q.factor is not None and q.factor.kind in ROTATING_KINDS),
        key=lambda q: (q.factor.sort_order, q.factor.code) if q.factor else (0, ""),
    ):
        assert question.factor is not None
        if question.factor.code not in rotating:
            rotating.append(question.factor.code)
    asked = set(rotating_factors_for_wave(rotating, wave))
    return [
        q
        for q in questions
        if q.factor is None or q.factor.kind not in ROTATING_KINDS or q.factor.code in asked
    ]

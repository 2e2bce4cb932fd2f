"""Measuring a plan's metric, through providers that the results layers register.

The improvement app does not know how an engagement factor or a customer NPS is
computed (nor which groups the anonymity guard hides); the app that owns the metric
does. It registers a provider for its ``source["kind"]``::

    from kizuna.improvement.metrics import MetricValue, register_provider

    def engagement_metric(source: dict, as_of_survey_id: int | None) -> MetricValue | None:
        ...  # None when the group is hidden by the guard or has no answers

    register_provider("engagement", engagement_metric)

A provider returns ``None`` when it cannot answer (hidden group, no data); the review
page then offers manual entry to HR.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricValue:
    """One measurement of a metric for one group at one time.

    ``value`` is on the metric's display scale (percent for shares, 0–100 points for
    indices, −100…100 for eNPS). A proportion carries ``favourable`` (people counted
    out of ``n``); a mean carries ``mean`` and the sample ``variance`` (ddof=1) of the
    per-respondent values on the same scale as ``value``.
    """

    value: float
    n: int
    favourable: int | None = None
    mean: float | None = None
    variance: float | None = None

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("a measurement needs at least one respondent")
        is_proportion = self.favourable is not None
        is_mean = self.mean is not None or self.variance is not None
        if is_proportion == is_mean:
            raise ValueError("give either a favourable count or a mean and variance")
        if is_proportion:
            assert self.favourable is not None
            if not 0 <= self.favourable <= self.n:
                raise ValueError("the favourable count must be between 0 and n")
        else:
            if self.mean is None or self.variance is None:
                raise ValueError("a mean needs both the mean and the variance")
            if not math.isfinite(self.variance) or self.variance < 0:
                raise ValueError("the variance must be a non-negative number")

    @property
    def is_proportion(self) -> bool:
        return self.favourable is not None

    @classmethod
    def proportion(cls, favourable: int, n: int) -> MetricValue:
        """``favourable`` of ``n`` people; ``value`` is the percentage."""
        if n < 1:
            raise ValueError("a measurement needs at least one respondent")
        return cls(value=100.0 * favourable / n, n=n, favourable=favourable)

    @classmethod
    def from_mean(cls, mean: float, variance: float, n: int) -> MetricValue:
        return cls(value=mean, n=n, mean=mean, variance=variance)

    @classmethod
    def enps(cls, promoters: int, detractors: int, n: int) -> MetricValue:
        """eNPS as the mean of per-person scores +100 (promoter), 0, −100 (detractor).

        Its mean is 100 × (P − D) / n (METRICS.md); the sample variance is the population
        variance 100² × (p_P + p_D − (p_P − p_D)²) — the term in METRICS.md's interval —
        times n / (n − 1), so two waves compare with Welch's test like any other mean.
        """
        if n < 2:
            raise ValueError("eNPS needs at least two respondents to have a variance")
        p_promoters, p_detractors = promoters / n, detractors / n
        population = 100.0**2 * (p_promoters + p_detractors - (p_promoters - p_detractors) ** 2)
        mean = 100.0 * (promoters - detractors) / n
        return cls.from_mean(mean, population * n / (n - 1), n)


Provider = Callable[[Mapping[str, Any], int | None], MetricValue | None]

_PROVIDERS: dict[str, Provider] = {}


def register_provider(kind: str, fn: Provider) -> None:
    """Let ``fn`` measure sources of ``kind``; registering again replaces the old one
    (a module reloaded in development)."""
    if not kind:
        raise ValueError("a provider needs a source kind")
    _PROVIDERS[kind] = fn


def has_provider(kind: str) -> bool:
    return kind in _PROVIDERS


def measure(source: Mapping[str, Any], as_of_survey_id: int | None) -> MetricValue | None:
    """Ask the provider registered for ``source["kind"]``; ``None`` when there is none, it
    has no answer, or it fails (logged: a broken provider must not break the plan page,
    and HR can still enter the values by hand)."""
    provider = _PROVIDERS.get(str(source.get("kind", "")))
    if provider is None:
        return None
    try:
        value = provider(source, as_of_survey_id)
    except Exception:
        logger.exception("metric provider for %r failed", source.get("kind"))
        return None
    if value is not None and not isinstance(value, MetricValue):
        logger.error("metric provider for %r returned %r", source.get("kind"), type(value))
        return None
    return value


def latest_survey_id(source: Mapping[str, Any]) -> int | None:
    """The newest launched survey after the source's, preferring its series (the next
    pulse wave measures the same thing); ``None`` when nothing newer exists yet."""
    from kizuna.surveys.models import Survey, SurveyStatus

    survey_id = source.get("survey_id")
    if not isinstance(survey_id, int):
        return None
    origin = Survey.objects.filter(pk=survey_id).first()
    if origin is None:
        return None
    launched = Survey.objects.exclude(status=SurveyStatus.DRAFT).exclude(pk=origin.pk)
    if origin.opens_on is not None:
        launched = launched.filter(opens_on__gt=origin.opens_on)
    else:
        launched = launched.filter(pk__gt=origin.pk)
    if origin.series:
        same_series = launched.filter(series=origin.series).order_by("-opens_on", "-id").first()
        if same_series is not None:
            return same_series.pk
    latest = launched.order_by("-opens_on", "-id").first()
    return latest.pk if latest is not None else None

"""What a plan started from: checking a ``source`` and saying it in words.

A source is plain JSON so employee- and customer-side results can both point at it:

    {"kind": "engagement", "survey_id": 3, "metric": "factor_favourable",
     "factor": "fair_evaluation", "item": null,
     "group": {"attribute": "department", "value": 5}}

``{"kind": "manual"}`` is a plan written without a result behind it. Other kinds are
accepted when a metric provider is registered for them (``improvement.metrics``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.improvement import metrics

ENGAGEMENT = "engagement"
MANUAL = "manual"


@dataclass(frozen=True)
class MetricSpec:
    label: str | Promise
    low: float
    high: float
    is_proportion: bool  # compared as two proportions (else as two means)
    needs: str | None = None  # "factor" or "item"


ENGAGEMENT_METRICS: dict[str, MetricSpec] = {
    "factor_favourable": MetricSpec(gettext_lazy("Favourable %"), 0, 100, True, "factor"),
    "item_favourable": MetricSpec(gettext_lazy("Question favourable %"), 0, 100, True, "item"),
    "engagement_index": MetricSpec(gettext_lazy("Engagement index"), 0, 100, False),
    "enps": MetricSpec(gettext_lazy("eNPS"), -100, 100, False),
}

GROUP_ATTRIBUTES: dict[str, str | Promise] = {
    "department": gettext_lazy("Department"),
    "location": gettext_lazy("Location"),
    "job_level": gettext_lazy("Job level"),
    "employment_type": gettext_lazy("Employment type"),
    "tenure_band": gettext_lazy("Tenure"),
    "age_band": gettext_lazy("Age band"),
    "gender": gettext_lazy("Gender"),
    "manager": gettext_lazy("Manager"),
}
_ATTRIBUTE = re.compile(r"^[a-z_]{1,40}(:[\w\-]{1,60})?$")


def metric_spec(source: Mapping[str, Any]) -> MetricSpec | None:
    if source.get("kind") == ENGAGEMENT:
        return ENGAGEMENT_METRICS.get(str(source.get("metric")))
    return None


def _error(message: str, **params: Any) -> ValidationError:
    return ValidationError({NON_FIELD_ERRORS: [ValidationError(message, params=params)]})


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check a source and return its canonical form; ``ValidationError`` (non-field,
    translated) when it does not describe something Kizuna can measure."""
    kind = str(raw.get("kind") or MANUAL)
    if kind == MANUAL:
        return {"kind": MANUAL}
    if kind != ENGAGEMENT:
        if not metrics.has_provider(kind) or len(kind) > 50:
            raise _error(_("The result this plan starts from is of an unknown kind."))
        return {k: v for k, v in raw.items() if isinstance(k, str)}
    from kizuna.surveys.models import Factor, Question, Survey

    survey_id = _as_int(raw.get("survey_id"))
    if survey_id is None or not Survey.objects.filter(pk=survey_id).exists():
        raise _error(_("The survey this plan starts from no longer exists."))
    metric = str(raw.get("metric") or "")
    spec = ENGAGEMENT_METRICS.get(metric)
    if spec is None:
        raise _error(_("The metric this plan starts from is not one Kizuna can measure."))
    factor = str(raw.get("factor") or "") or None
    item = str(raw.get("item") or "") or None
    if spec.needs == "factor" and (
        factor is None or not Factor.objects.filter(code=factor).exists()
    ):
        raise _error(_("The factor this plan starts from no longer exists."))
    if spec.needs == "item" and (item is None or not Question.objects.filter(code=item).exists()):
        raise _error(_("The question this plan starts from no longer exists."))
    return {
        "kind": ENGAGEMENT,
        "survey_id": survey_id,
        "metric": metric,
        "factor": factor if spec.needs == "factor" else None,
        "item": item if spec.needs == "item" else None,
        "group": _normalise_group(raw.get("group")),
    }


def _normalise_group(raw: Any) -> dict[str, Any] | None:
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise _error(_("The group this plan starts from is not valid."))
    attribute = str(raw.get("attribute") or "")
    value = raw.get("value")
    if not attribute and value in (None, ""):
        return None
    if not _ATTRIBUTE.match(attribute) or value in (None, "") or len(str(value)) > 200:
        raise _error(_("The group this plan starts from is not valid."))
    if attribute == "department":
        from kizuna.org.models import Department

        dept_id = _as_int(value)
        if dept_id is None or not Department.objects.filter(pk=dept_id).exists():
            raise _error(_("The department this plan starts from no longer exists."))
        return {"attribute": attribute, "value": dept_id}
    return {"attribute": attribute, "value": value if isinstance(value, int) else str(value)}


def from_query(params: Mapping[str, str]) -> dict[str, Any]:
    """The raw source carried by a one-click link (see :func:`create_url`)."""
    return {
        "kind": params.get("source", "") or MANUAL,
        "survey_id": params.get("survey", ""),
        "metric": params.get("metric", ""),
        "factor": params.get("factor", ""),
        "item": params.get("item", ""),
        "group": {
            "attribute": params.get("group_attribute", ""),
            "value": params.get("group_value", ""),
        },
    }


def create_url(
    source: Mapping[str, Any],
    baseline_value: float | None = None,
    baseline_n: int | None = None,
) -> str:
    """The "create a plan from this result" link a results page puts next to a number.

    Pass the baseline only for a value the viewer may see (the guard let it through).
    """
    group = source.get("group") or {}
    params = {
        "source": source.get("kind", ENGAGEMENT),
        "survey": source.get("survey_id"),
        "metric": source.get("metric"),
        "factor": source.get("factor"),
        "item": source.get("item"),
        "group_attribute": group.get("attribute"),
        "group_value": group.get("value"),
        "baseline": None if baseline_value is None else round(float(baseline_value), 4),
        "n": baseline_n,
    }
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse('improvement:plan_create')}?{query}"


def subject_name(source: Mapping[str, Any], language: str) -> str:
    """The factor's or question's name, or the metric's label ("" for manual plans)."""
    from kizuna.surveys.models import Factor, Question

    if source.get("factor"):
        factor = Factor.objects.filter(code=source["factor"]).first()
        if factor is not None:
            return factor.name(language)
    if source.get("item"):
        question = Question.objects.filter(code=source["item"]).first()
        if question is not None:
            return question.text(language)
    spec = metric_spec(source)
    return str(spec.label) if spec else ""


def group_name(source: Mapping[str, Any], language: str) -> str:
    group = source.get("group") or None
    if not group:
        return ""
    attribute, value = group.get("attribute", ""), group.get("value")
    if attribute == "department":
        from kizuna.org.models import Department

        dept = Department.objects.filter(pk=value).first()
        return dept.display_name(language) if dept else ""
    label = GROUP_ATTRIBUTES.get(attribute.split(":", 1)[0], attribute)
    return f"{label}: {value}"


def survey_name(source: Mapping[str, Any]) -> str:
    from kizuna.surveys.models import Survey

    survey = Survey.objects.filter(pk=source.get("survey_id") or 0).first()
    return survey.name if survey else ""


def default_target_metric(source: Mapping[str, Any], language: str) -> str:
    """A label such as "好意的回答率：評価への納得感"."""
    spec = metric_spec(source)
    if spec is None:
        return ""
    subject = subject_name(source, language)
    if spec.needs and subject:
        return _("%(metric)s: %(subject)s") % {"metric": spec.label, "subject": subject}
    return str(spec.label)


def default_title(source: Mapping[str, Any], language: str) -> str:
    subject = subject_name(source, language)
    if not subject:
        return ""
    group = group_name(source, language)
    if group:
        return _("Improve “%(subject)s” (%(group)s)") % {"subject": subject, "group": group}
    return _("Improve “%(subject)s”") % {"subject": subject}


def heard(source: Mapping[str, Any], language: str) -> str:
    """What was heard, in words and without a single number (for "you said, we did")."""
    if source.get("kind") != ENGAGEMENT:
        return ""
    subject = subject_name(source, language)
    survey = survey_name(source)
    if survey and subject:
        return _("In the survey “%(survey)s”, you told us about “%(subject)s”.") % {
            "survey": survey,
            "subject": subject,
        }
    if survey:
        return _("In the survey “%(survey)s”, you told us what matters to you.") % {
            "survey": survey
        }
    return ""

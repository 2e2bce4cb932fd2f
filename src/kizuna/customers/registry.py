"""The metrics ``kizuna metrics NAME --from DATE --to DATE`` can compute.

A metric is a function ``fn(start, end, **options)`` over the period [start, end) that
returns an object with ``value`` (float, or None when undefined), ``numerator`` and
``denominator`` (and optionally a ``details`` mapping), e.g. ``revenue.Ratio``. Other apps
add theirs with ``register_metric`` from their ``AppConfig.ready()``; extra options are
declared as ``Argument``s and become ``--flags`` of the command::

    register_metric(
        "adoption",
        usage.metrics.adoption,
        [Argument("feature", gettext_lazy("Feature (event name).") , required=True)],
        label=gettext_lazy("Feature adoption"),
        numerator_label=gettext_lazy("users of the feature"),
        denominator_label=gettext_lazy("active users"),
    )
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kizuna.customers import revenue


class MetricResult(Protocol):
    @property
    def value(self) -> float | None: ...

    @property
    def numerator(self) -> int | float: ...

    @property
    def denominator(self) -> int | float: ...


MetricFunction = Callable[..., MetricResult]


@dataclass(frozen=True)
class Argument:
    """An extra option of one metric: ``--<name>`` on the command line (underscores
    become dashes), passed to the function as the keyword ``name`` after ``parse``."""

    name: str
    help: str | Promise
    parse: Callable[[str], Any] = str
    required: bool = False
    default: Any = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Metric:
    name: str
    fn: MetricFunction
    arguments: tuple[Argument, ...] = ()
    label: str | Promise = ""
    numerator_label: str | Promise = ""
    denominator_label: str | Promise = ""
    # Numerator and denominator are amounts in yen (shown as ¥1,234), else counts.
    money: bool = False


_REGISTRY: dict[str, Metric] = {}
# Options of the command itself, which no metric argument may shadow.
RESERVED = frozenset({"start", "end", "from", "to", "format", "language"})


def register_metric(
    name: str,
    fn: MetricFunction,
    arguments: Iterable[Argument] = (),
    *,
    label: str | Promise = "",
    numerator_label: str | Promise = "",
    denominator_label: str | Promise = "",
    money: bool = False,
) -> Metric:
    """Make ``fn`` available as ``kizuna metrics NAME``. Registering a name twice with a
    different function is a programming error (two apps claiming one metric)."""
    arguments = tuple(arguments)
    clash = {argument.name for argument in arguments} & RESERVED
    if clash:
        raise ValueError(f"metric {name!r} uses reserved argument names {sorted(clash)}")
    metric = Metric(
        name,
        fn,
        arguments,
        label or name,
        numerator_label or _("numerator"),
        denominator_label or _("denominator"),
        money,
    )
    existing = _REGISTRY.get(name)
    if existing is not None and existing.fn is not fn:
        raise ValueError(f"metric {name!r} is already registered")
    _REGISTRY[name] = metric
    return metric


def get_metric(name: str) -> Metric | None:
    return _REGISTRY.get(name)


def metrics() -> Mapping[str, Metric]:
    """Every registered metric by name, sorted."""
    return dict(sorted(_REGISTRY.items()))


def run(metric: Metric, start: dt.date, end: dt.date, **options: Any) -> MetricResult:
    return metric.fn(start, end, **options)


register_metric(
    "logo-churn",
    revenue.logo_churn,
    label=_("Logo churn rate"),
    numerator_label=_("churned accounts"),
    denominator_label=_("accounts active at start"),
)
register_metric(
    "mrr-churn",
    revenue.mrr_churn,
    label=_("MRR churn rate"),
    numerator_label=_("churned and downsell MRR"),
    denominator_label=_("MRR at start"),
    money=True,
)
register_metric(
    "grr",
    revenue.grr,
    label=_("Gross revenue retention (GRR)"),
    numerator_label=_("MRR kept"),
    denominator_label=_("MRR at start"),
    money=True,
)
register_metric(
    "nrr",
    revenue.nrr,
    label=_("Net revenue retention (NRR)"),
    numerator_label=_("MRR kept plus expansion"),
    denominator_label=_("MRR at start"),
    money=True,
)

"""``kizuna metrics NAME --from YYYY-MM-DD --to YYYY-MM-DD [--format json]``.

Prints one metric over the period [from, to) — the ``--to`` date itself is not included,
so a fiscal quarter is ``--from 2025-04-01 --to 2025-07-01`` — as a readable line, or as a
JSON object with the value, its numerator and denominator and the period, for scripts.
The metrics come from ``kizuna.customers.registry`` (other apps register theirs there).
Exit status 1 with a translated message for a bad date, an empty period or an unknown
metric.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core.i18n import TranslatedCommand
from kizuna.customers import registry
from kizuna.customers.registry import Argument, Metric, MetricResult


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Compute a customer metric over a period: from the --from date up to, but not "
        "including, the --to date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        names = ", ".join(registry.metrics())
        parser.add_argument(
            "name", metavar="NAME", help=_("The metric: %(names)s.") % {"names": names}
        )
        parser.add_argument(
            "--from",
            dest="start",
            required=True,
            metavar="YYYY-MM-DD",
            help=_("First day of the period."),
        )
        parser.add_argument(
            "--to",
            dest="end",
            required=True,
            metavar="YYYY-MM-DD",
            help=_("The day after the period (not included)."),
        )
        parser.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help=_("Output format: text for people, json for scripts."),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("Language of the messages (default: the site language)."),
        )
        for argument in _extra_arguments(registry.metrics()):
            parser.add_argument(argument.flag, dest=argument.name, help=str(argument.help))

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        metric = registry.get_metric(options["name"])
        if metric is None:
            raise CommandError(
                _("Unknown metric “%(name)s”. Available metrics: %(names)s.")
                % {"name": options["name"], "names": ", ".join(registry.metrics())}
            )
        start = _date(options["start"], "--from")
        end = _date(options["end"], "--to")
        if end <= start:
            raise CommandError(
                _(
                    "The --to date (%(end)s) must be after the --from date (%(start)s): the "
                    "period runs from --from up to, but not including, --to."
                )
                % {"start": start.isoformat(), "end": end.isoformat()}
            )
        result = registry.run(metric, start, end, **_metric_options(metric, options))
        if options["format"] == "json":
            self.stdout.write(json.dumps(_payload(metric, start, end, result), ensure_ascii=False))
        else:
            self.stdout.write(_line(metric, start, end, result))


def _extra_arguments(metrics: Mapping[str, Metric]) -> list[Argument]:
    """Every metric's extra options, once per name (the first declaration wins)."""
    seen: dict[str, Argument] = {}
    for metric in metrics.values():
        for argument in metric.arguments:
            seen.setdefault(argument.name, argument)
    return list(seen.values())


def _date(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("Invalid %(flag)s date “%(value)s”. Use the form YYYY-MM-DD.")
            % {"flag": flag, "value": value}
        ) from None


def _metric_options(metric: Metric, options: dict[str, Any]) -> dict[str, Any]:
    """The metric's own options, parsed; an option of another metric is an error rather
    than silently ignored."""
    own = {argument.name for argument in metric.arguments}
    for argument in _extra_arguments(registry.metrics()):
        if argument.name not in own and options.get(argument.name) is not None:
            raise CommandError(
                _("The option %(flag)s does not apply to the metric %(name)s.")
                % {"flag": argument.flag, "name": metric.name}
            )
    values: dict[str, Any] = {}
    for argument in metric.arguments:
        raw = options.get(argument.name)
        if raw is None:
            if argument.required:
                raise CommandError(
                    _("The metric %(name)s needs the option %(flag)s.")
                    % {"name": metric.name, "flag": argument.flag}
                )
            values[argument.name] = argument.default
            continue
        try:
            values[argument.name] = argument.parse(raw)
        except (TypeError, ValueError):
            raise CommandError(
                _("Invalid value “%(value)s” for %(flag)s.") % {"value": raw, "flag": argument.flag}
            ) from None
    return values


def _number(value: int | float | Decimal, money: bool) -> str:
    text = f"{value:,}" if isinstance(value, int | Decimal) else f"{value:,.4g}"
    return f"¥{text}" if money else text


def _line(metric: Metric, start: dt.date, end: dt.date, result: MetricResult) -> str:
    params = {
        "label": str(metric.label),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "numerator_label": str(metric.numerator_label),
        "numerator": _number(result.numerator, metric.money),
        "denominator_label": str(metric.denominator_label),
        "denominator": _number(result.denominator, metric.money),
    }
    if result.value is None:
        return (
            _(
                "%(label)s, %(start)s to %(end)s (end date not included): not defined, "
                "because %(denominator_label)s is 0."
            )
            % params
        )
    return _(
        "%(label)s, %(start)s to %(end)s (end date not included): %(value)s "
        "(%(numerator_label)s %(numerator)s / %(denominator_label)s %(denominator)s)"
    ) % {**params, "value": f"{result.value * 100:.1f}%"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _payload(metric: Metric, start: dt.date, end: dt.date, result: MetricResult) -> dict[str, Any]:
    details = getattr(result, "details", None)
    return {
        "metric": metric.name,
        "label": str(metric.label),
        "value": result.value,
        "numerator": _plain(result.numerator),
        "denominator": _plain(result.denominator),
        "period": {"from": start.isoformat(), "to": end.isoformat(), "to_included": False},
        "details": {key: _plain(value) for key, value in dict(details or {}).items()},
    }

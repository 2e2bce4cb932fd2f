"""``kizuna metrics``: readable line, JSON for scripts, translated errors, the registry."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kizuna.customers import registry, revenue
from kizuna.customers.models import Account, Subscription
from kizuna.customers.registry import Argument

D = dt.date


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("metrics", *args, stdout=out)
    return out.getvalue().strip()


def fail(*args: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        call_command("metrics", *args, stdout=io.StringIO())
    return info.value


@pytest.fixture
def small_book(account: Callable[..., Account], subscribe: Callable[..., Subscription]) -> None:
    """Four accounts active on 2025-04-01 with 100k, 50k, 30k and 20k (200k in all).
    By 2025-07-01: A churned (its end date is 07-01, exclusive), B went down to 40k,
    C up to 45k, D unchanged; E is new with 70k.

    logo churn = 1 / 4 = 25.0 %
    MRR churn  = (100 + 10) / 200 = 55.0 %
    GRR        = (200 - 100 - 10) / 200 = 45.0 %
    NRR        = (200 - 100 - 10 + 15) / 200 = 52.5 %
    """
    a, b, c, d, e = (account(key) for key in "ABCDE")
    subscribe(a, 100_000, D(2024, 7, 1), D(2025, 7, 1))
    subscribe(b, 50_000, D(2024, 1, 1), D(2025, 6, 1))
    subscribe(b, 40_000, D(2025, 6, 1))
    subscribe(c, 30_000, D(2024, 1, 1))
    subscribe(c, 15_000, D(2025, 5, 1), product="Add-on")
    subscribe(d, 20_000, D(2024, 1, 1))
    subscribe(e, 70_000, D(2025, 5, 1))


PERIOD = ("--from", "2025-04-01", "--to", "2025-07-01")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "logo-churn",
            "Logo churn rate, 2025-04-01 to 2025-07-01 (end date not included): 25.0% "
            "(churned accounts 1 / accounts active at start 4)",
        ),
        (
            "mrr-churn",
            "MRR churn rate, 2025-04-01 to 2025-07-01 (end date not included): 55.0% "
            "(churned and downsell MRR ¥110,000 / MRR at start ¥200,000)",
        ),
        (
            "grr",
            "Gross revenue retention (GRR), 2025-04-01 to 2025-07-01 (end date not included): "
            "45.0% (MRR kept ¥90,000 / MRR at start ¥200,000)",
        ),
        (
            "nrr",
            "Net revenue retention (NRR), 2025-04-01 to 2025-07-01 (end date not included): "
            "52.5% (MRR kept plus expansion ¥105,000 / MRR at start ¥200,000)",
        ),
    ],
)
def test_text_lines(small_book: None, name: str, line: str) -> None:
    assert run(name, *PERIOD, "--language", "en") == line


@pytest.mark.django_db
def test_json_output(small_book: None) -> None:
    payload = json.loads(run("nrr", *PERIOD, "--format", "json"))
    assert payload["metric"] == "nrr"
    assert payload["value"] == pytest.approx(105 / 200)
    assert (payload["numerator"], payload["denominator"]) == (105_000, 200_000)
    assert payload["period"] == {"from": "2025-04-01", "to": "2025-07-01", "to_included": False}
    assert payload["details"] == {
        "mrr_at_start": 200_000,
        "churned": 100_000,
        "contraction": 10_000,
        "expansion": 15_000,
        "new": 70_000,
    }
    logo = json.loads(run("logo-churn", *PERIOD, "--format", "json"))
    assert (logo["value"], logo["numerator"], logo["denominator"]) == (0.25, 1, 4)
    assert logo["details"]["retention"] == 0.75


@pytest.mark.django_db
def test_an_undefined_rate_says_so() -> None:
    assert run("grr", *PERIOD, "--language", "en") == (
        "Gross revenue retention (GRR), 2025-04-01 to 2025-07-01 (end date not included): "
        "not defined, because MRR at start is 0."
    )
    assert json.loads(run("grr", *PERIOD, "--format", "json"))["value"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("logo-churn", "--from", "2025-04-31", "--to", "2025-07-01"),
            "Invalid --from date “2025-04-31”. Use the form YYYY-MM-DD.",
        ),
        (
            ("logo-churn", "--from", "2025-04-01", "--to", "next week"),
            "Invalid --to date “next week”. Use the form YYYY-MM-DD.",
        ),
        (
            ("logo-churn", "--from", "2025-07-01", "--to", "2025-07-01"),
            "The --to date (2025-07-01) must be after the --from date (2025-07-01): the period "
            "runs from --from up to, but not including, --to.",
        ),
    ],
)
def test_errors_exit_non_zero_with_a_message(args: tuple[str, ...], message: str) -> None:
    error = fail(*args, "--language", "en")
    assert error.returncode == 1
    assert str(error) == message


def test_an_unknown_metric_lists_the_known_ones() -> None:
    error = fail("arr", *PERIOD, "--language", "en")
    assert error.returncode == 1
    names = ", ".join(registry.metrics())
    assert str(error) == f"Unknown metric “arr”. Available metrics: {names}."
    assert {"grr", "logo-churn", "mrr-churn", "nrr"} <= set(names.split(", "))


@pytest.fixture
def extra_metric() -> Iterator[None]:
    """A metric with its own option, as the usage app will register."""

    class Result:
        def __init__(self, days: int) -> None:
            self.value, self.numerator, self.denominator = days / 10, days, 10

    def window(start: dt.date, end: dt.date, *, window: int) -> Result:
        return Result(window)

    registry.register_metric(
        "test-window",
        window,
        [Argument("window", "days", parse=int, required=True)],
        label="Test",
        numerator_label="days",
        denominator_label="ten",
    )
    yield
    registry._REGISTRY.pop("test-window")


@pytest.mark.django_db
def test_registered_metrics_get_their_own_options(extra_metric: None) -> None:
    out = run("test-window", *PERIOD, "--window", "3", "--format", "json")
    assert json.loads(out)["value"] == pytest.approx(0.3)
    assert str(fail("test-window", *PERIOD, "--language", "en")) == (
        "The metric test-window needs the option --window."
    )
    assert str(fail("test-window", *PERIOD, "--window", "x", "--language", "en")) == (
        "Invalid value “x” for --window."
    )
    assert str(fail("grr", *PERIOD, "--window", "3", "--language", "en")) == (
        "The option --window does not apply to the metric grr."
    )


def test_registry_refuses_clashes() -> None:
    # Another function under a taken name, or an option shadowing the command's own.
    with pytest.raises(ValueError):
        registry.register_metric("grr", revenue.nrr)
    with pytest.raises(ValueError):
        registry.register_metric("x", revenue.nrr, [Argument("format", "clash")])
    assert registry.get_metric("x") is None
    assert {"logo-churn", "mrr-churn", "grr", "nrr"} <= set(registry.metrics())

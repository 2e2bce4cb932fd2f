"""Fixtures for customer tests: builders for accounts and subscriptions, CSV/xlsx file
builders (shared with the employee import tests) and a snapshot of every customer table
to prove that a rejected import changed nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kizuna.customers.models import Account, Contact, Subscription
from tests.org.conftest import make_csv, make_xlsx  # noqa: F401  (fixtures)

D = dt.date


@pytest.fixture
def account(db: None) -> Callable[..., Account]:
    def make(external_id: str, name: str | None = None, **fields: Any) -> Account:
        return Account.objects.create(
            external_id=external_id, name=name or f"株式会社{external_id}", **fields
        )

    return make


@pytest.fixture
def subscribe(db: None) -> Callable[..., Subscription]:
    """subscribe(account, mrr, start, end=None, product="Kizuna Cloud", **fields)."""
    counter = iter(range(1, 1_000_000))

    def make(
        owner: Account,
        mrr: int,
        start: dt.date,
        end: dt.date | None = None,
        product: str = "Kizuna Cloud",
        **fields: Any,
    ) -> Subscription:
        return Subscription.objects.create(
            account=owner,
            external_id=fields.pop("external_id", f"S{next(counter):05d}"),
            product=product,
            mrr=Decimal(mrr),
            start_date=start,
            end_date=end,
            **fields,
        )

    return make


def _rows_of(model: type[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in model.objects.order_by("pk").values()]


@pytest.fixture
def snapshot() -> Callable[[], dict[str, list[tuple[Any, ...]]]]:
    def take() -> dict[str, list[tuple[Any, ...]]]:
        return {model.__name__: _rows_of(model) for model in (Account, Contact, Subscription)}

    return take

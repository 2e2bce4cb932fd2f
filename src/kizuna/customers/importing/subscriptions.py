"""Subscription imports: each subscription belongs to an account already in Kizuna.

Column semantics (also in docs and the column labels):

- ``mrr`` is always the monthly amount in whole yen after discounts, also for annual
  plans (an annual contract of ¥1,200,000 is written as 100000). ``discount_pct`` is
  recorded for reference only; it is never applied to ``mrr`` again.
- ``end_date`` is the first day the subscription no longer covers (exclusive end), so a
  one-year contract from 2025-04-01 ends on 2026-04-01; empty means open-ended. It must be
  later than ``start_date``.
- An empty ``quantity`` or ``billing_period`` keeps the current value (new rows: 1 seat,
  monthly); an empty ``discount_pct`` means no discount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kizuna.customers.importing.common import (
    ACCOUNT_ID,
    CREATED,
    ID,
    Progress,
    account_ids,
    check_accounts,
    chunks,
    classify,
    first_rows,
    summarise,
    update_changed,
)
from kizuna.customers.models import BillingPeriod, Subscription
from kizuna.org.importing.rows import ParsedFile, ParsedRow
from kizuna.org.importing.types import RowError

_PLAIN = ("product", "plan", "mrr", "start_date", "end_date")


@dataclass
class SubscriptionPlan:
    parsed: ParsedFile
    as_of: dt.date
    existing: dict[str, Subscription] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    rows: list[ParsedRow] = field(default_factory=list)
    actions: dict[int, str] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.sorted_errors()

    def target(self, row: ParsedRow, current: Subscription | None) -> dict[str, Any]:
        values = row.values
        target: dict[str, Any] = {name: values[name] for name in _PLAIN if name in values}
        target["account_id"] = self.accounts[values[ACCOUNT_ID]]
        if values.get("quantity") is not None:
            target["quantity"] = values["quantity"]
        elif current is None:
            target["quantity"] = 1
        if values.get("billing_period"):
            target["billing_period"] = values["billing_period"]
        elif current is None:
            target["billing_period"] = BillingPeriod.MONTHLY.value
        if "discount_pct" in values:
            target["discount_pct"] = values["discount_pct"] or Decimal("0.00")
        return target

    def apply(self, progress: Progress | None = None) -> dict[str, int]:
        total, done = len(self.rows), 0
        for chunk in chunks([row for row in self.rows if self.actions[row.number] == CREATED]):
            subscriptions = []
            for row in chunk:
                subscription = Subscription(external_id=row.values[ID])
                for name, value in self.target(row, None).items():
                    setattr(subscription, name, value)
                subscriptions.append(subscription)
            Subscription.objects.bulk_create(subscriptions)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        changes = []
        for row in self.rows:
            if self.actions[row.number] != CREATED:
                current = self.existing[row.values[ID]]
                changes.append((current, self.target(row, current)))
        update_changed(Subscription, changes)
        if progress is not None:
            progress(total, total)
        return dict(self.summary)


def plan(parsed: ParsedFile, as_of: dt.date) -> SubscriptionPlan:
    result = SubscriptionPlan(parsed, as_of)
    if not parsed.rows:
        return result
    result.accounts = account_ids()
    result.existing = {sub.external_id: sub for sub in Subscription.objects.all()}
    result.rows = first_rows(parsed)
    check_accounts(parsed, result.accounts)
    for row in parsed.rows:
        _check_row(result, row)
    for row in result.rows:
        if row.ok:
            current = result.existing.get(row.values[ID])
            result.actions[row.number] = classify(result.target(row, current), current)
    result.summary = summarise(result.actions)
    return result


def _check_row(plan: SubscriptionPlan, row: ParsedRow) -> None:
    parsed, values = plan.parsed, row.values
    quantity = values.get("quantity")
    if quantity is not None and quantity < 0:
        parsed.error(row, "quantity", "negative_number", value=quantity)
    start = values.get("start_date")
    if start is None:
        return  # missing or invalid: already reported
    if parsed.present("end_date"):
        if "end_date" not in values:
            return  # invalid end date: already reported
        end = values["end_date"]
    else:
        current = plan.existing.get(values.get("external_id") or "")
        end = current.end_date if current is not None else None
    if end is not None and end <= start:
        column = "end_date" if parsed.present("end_date") else "start_date"
        parsed.error(
            row, column, "end_not_after_start", end=end.isoformat(), start=start.isoformat()
        )

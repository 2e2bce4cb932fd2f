"""What the three customer imports share: the summary buckets, the "each ID once" check,
the account lookup and chunked bulk writes.

Semantics a user can rely on (the same as employee imports):

- Rows are matched by their ID (``external_id``); every row in the file is created or
  updated, nothing *absent* from the file is touched or deleted.
- A column that is absent leaves that attribute alone; a column that is present with an
  empty cell clears the attribute. Values that cannot be blank (lifecycle stage, billing
  period, seats) keep their current value when the cell is empty (new rows get the
  default: onboarding, monthly, 1 seat).
- Every valid row lands in exactly one summary bucket: created, updated or unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from django.db import models
from django.utils import timezone

from kizuna.customers.models import Account
from kizuna.org.importing.rows import ParsedFile, ParsedRow
from kizuna.org.importing.types import RowError

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
SUMMARY_KEYS = (CREATED, UPDATED, UNCHANGED)
CHUNK = 500
ID = "external_id"
ACCOUNT_ID = "account_external_id"

Progress = Callable[[int, int], None]


class Plan(Protocol):
    parsed: ParsedFile
    summary: dict[str, int]

    @property
    def errors(self) -> list[RowError]: ...

    def apply(self, progress: Progress | None = None) -> dict[str, int]: ...


def chunks[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def first_rows(parsed: ParsedFile) -> list[ParsedRow]:
    """The first row of each ID; a repeated ID is an error on the later row (a row
    pasted twice would otherwise be applied twice, the second silently winning)."""
    seen: dict[str, int] = {}
    rows: list[ParsedRow] = []
    for row in parsed.rows:
        key = row.values.get(ID)
        if not key:
            continue
        if key in seen:
            parsed.error(row, ID, "duplicate_external_id", value=key, first_row=seen[key])
            continue
        seen[key] = row.number
        rows.append(row)
    return rows


def account_ids() -> dict[str, int]:
    return dict(Account.objects.values_list("external_id", "id"))


def check_accounts(parsed: ParsedFile, known: dict[str, int]) -> None:
    """Contacts and subscriptions belong to accounts that exist already: an unknown
    account ID is an error, never a silently created empty account."""
    for row in parsed.rows:
        account = row.values.get(ACCOUNT_ID)
        if account and account not in known:
            parsed.error(row, ACCOUNT_ID, "unknown_account", value=account)


def classify(target: dict[str, Any], current: models.Model | None) -> str:
    if current is None:
        return CREATED
    if any(getattr(current, name) != value for name, value in target.items()):
        return UPDATED
    return UNCHANGED


def summarise(actions: dict[int, str]) -> dict[str, int]:
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for action in actions.values():
        counts[action] += 1
    return counts


def update_changed[M: models.Model](
    model: type[M], changes: Sequence[tuple[M, dict[str, Any]]]
) -> None:
    """Write changed attributes with one ``bulk_update`` per set of changed fields, so an
    import that only corrects names does not rewrite every column of every row."""
    now = timezone.now()
    by_fields: dict[tuple[str, ...], list[M]] = defaultdict(list)
    for instance, target in changes:
        changed = sorted(name for name, value in target.items() if getattr(instance, name) != value)
        for name in changed:
            setattr(instance, name, target[name])
        instance.updated_at = now  # type: ignore[attr-defined]  # bulk_update skips auto_now
        by_fields[tuple(changed)].append(instance)
    for names, group in by_fields.items():
        # bulk_update wants field names ("account"), targets use attnames ("account_id").
        fields = [model._meta.get_field(name).name for name in names]
        model.objects.bulk_update(group, [*fields, "updated_at"], batch_size=CHUNK)  # type: ignore[attr-defined]

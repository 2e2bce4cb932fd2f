"""Account imports: parent accounts by ID, the CSM by the email of a Kizuna user, the
lifecycle stage with its time-in-stage clock.

- The parent may be another row of the same file or an account already in Kizuna; a
  parent that is the account itself or that closes a loop is refused, checked on the
  tree as it will be after the import (``kizuna.org.importing.graph``).
- The CSM must be an existing login (matched by email, case-insensitively): an unknown
  address is an error, not a silently unowned account.
- A changed lifecycle stage restarts the time-in-stage clock on the ``stage_changed_on``
  cell when given, else on the import's effective date (``as_of``). A date alone corrects
  the clock without changing the stage. New accounts start as "onboarding" unless the
  file says otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kizuna.core.models import User
from kizuna.customers.importing.common import (
    CREATED,
    ID,
    Progress,
    chunks,
    classify,
    first_rows,
    summarise,
    update_changed,
)
from kizuna.customers.models import Account, LifecycleStage
from kizuna.org.importing.graph import describe, find_cycles
from kizuna.org.importing.rows import ParsedFile, ParsedRow
from kizuna.org.importing.types import RowError

_PARENT, _CSM = "parent_external_id", "csm_email"
_PLAIN = ("name", "name_kana", "industry", "size_band")


@dataclass
class AccountPlan:
    parsed: ParsedFile
    as_of: dt.date
    existing: dict[str, Account] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    rows: list[ParsedRow] = field(default_factory=list)
    actions: dict[int, str] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.sorted_errors()

    def target(
        self, row: ParsedRow, account: Account | None, parent_id: Callable[[str], int | None]
    ) -> dict[str, Any]:
        """Model attribute -> value after the import, for the columns the file has."""
        values = row.values
        target = {name: values[name] for name in _PLAIN if name in values}
        if _PARENT in values:
            target["parent_id"] = parent_id(values[_PARENT]) if values[_PARENT] else None
        if _CSM in values:
            email = values[_CSM]
            target["csm_owner_id"] = self.users[email.casefold()] if email else None
        stage = values.get("lifecycle_stage") or ""
        since = values.get("stage_changed_on")
        if account is None:
            target["lifecycle_stage"] = stage or LifecycleStage.ONBOARDING.value
            target["stage_changed_on"] = since or self.as_of
        elif stage and stage != account.lifecycle_stage:
            target["lifecycle_stage"] = stage
            target["stage_changed_on"] = since or self.as_of
        elif since:
            target["stage_changed_on"] = since
        return target

    def apply(self, progress: Progress | None = None) -> dict[str, int]:
        """New accounts first (their parents filled in once every new row has an id),
        then the changed ones."""
        total, done = len(self.rows), 0
        pk_of = {external_id: account.pk for external_id, account in self.existing.items()}
        new_rows = [row for row in self.rows if self.actions[row.number] == CREATED]
        pending: list[tuple[Account, str]] = []
        for chunk in chunks(new_rows):
            accounts = []
            for row in chunk:
                account = Account(external_id=row.values[ID])
                for name, value in self.target(row, None, pk_of.get).items():
                    setattr(account, name, value)
                parent = row.values.get(_PARENT)
                if parent and account.parent_id is None:
                    pending.append((account, parent))
                accounts.append(account)
            Account.objects.bulk_create(accounts)
            pk_of.update((account.external_id, account.pk) for account in accounts)
            done += len(chunk)
            _report(progress, done, total)
        for account, parent in pending:
            account.parent_id = pk_of[parent]
        Account.objects.bulk_update([account for account, _p in pending], ["parent"])
        changed = [
            (self.existing[row.values[ID]], row)
            for row in self.rows
            if self.actions[row.number] != CREATED
        ]
        update_changed(
            Account,
            [(account, self.target(row, account, pk_of.get)) for account, row in changed],
        )
        _report(progress, total, total)
        return dict(self.summary)


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def plan(parsed: ParsedFile, as_of: dt.date) -> AccountPlan:
    result = AccountPlan(parsed, as_of)
    if not parsed.rows:
        return result
    result.existing = {account.external_id: account for account in Account.objects.all()}
    result.users = {email.casefold(): pk for pk, email in User.objects.values_list("pk", "email")}
    result.rows = first_rows(parsed)
    in_file = {row.values[ID] for row in result.rows}

    for row in parsed.rows:
        parent = row.values.get(_PARENT)
        if parent:
            if parent == row.values.get(ID):
                parsed.error(row, _PARENT, "parent_account_self", value=parent)
            elif parent not in in_file and parent not in result.existing:
                parsed.error(row, _PARENT, "unknown_parent_account", value=parent)
        email = row.values.get(_CSM)
        if email and email.casefold() not in result.users:
            parsed.error(row, _CSM, "unknown_user", value=email)
    _check_cycles(result, in_file)

    def existing_pk(external_id: str) -> int:
        # A parent that is new in this file has no id yet; any id that is not the current
        # one says "changed", which is all the summary needs.
        found = result.existing.get(external_id)
        return found.pk if found is not None else -1

    for row in result.rows:
        if row.ok:
            account = result.existing.get(row.values[ID])
            result.actions[row.number] = classify(result.target(row, account, existing_pk), account)
    result.summary = summarise(result.actions)
    return result


def _check_cycles(plan: AccountPlan, in_file: set[str]) -> None:
    if not plan.parsed.present(_PARENT):
        return  # the file changes no parent, so it cannot close a loop
    by_pk = {account.pk: external_id for external_id, account in plan.existing.items()}
    final: dict[str, str | None] = {
        external_id: by_pk.get(account.parent_id) if account.parent_id else None
        for external_id, account in plan.existing.items()
    }
    for row in plan.rows:
        own, parent = row.values[ID], row.values.get(_PARENT)
        usable = parent and parent != own and (parent in in_file or parent in plan.existing)
        final[own] = parent if usable else None
    rows_by_id = {row.values[ID]: row for row in plan.rows}
    for cycle in find_cycles(final, list(rows_by_id)):
        for external_id in cycle:
            if external_id in rows_by_id:
                plan.parsed.error(
                    rows_by_id[external_id],
                    _PARENT,
                    "parent_account_cycle",
                    cycle=describe(cycle, external_id),
                )

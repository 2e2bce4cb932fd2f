"""Contact imports: each contact belongs to an account already in Kizuna (by account ID).

An account has at most one primary contact. Two rows marking different contacts of one
account as primary are an error; a row that makes a contact primary replaces the
account's previous primary contact (which stays, as an ordinary contact), because the
file is the newer information.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
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
from kizuna.customers.models import Contact
from kizuna.org.importing.rows import ParsedFile, ParsedRow
from kizuna.org.importing.types import RowError

_PRIMARY = "is_primary"
_PLAIN = ("name", "email", "title")


@dataclass
class ContactPlan:
    parsed: ParsedFile
    as_of: dt.date
    existing: dict[str, Contact] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    rows: list[ParsedRow] = field(default_factory=list)
    actions: dict[int, str] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.sorted_errors()

    def target(self, row: ParsedRow) -> dict[str, Any]:
        values = row.values
        target: dict[str, Any] = {name: values[name] for name in _PLAIN if name in values}
        target["account_id"] = self.accounts[values[ACCOUNT_ID]]
        if _PRIMARY in values:
            target["is_primary"] = bool(values[_PRIMARY])
        return target

    def apply(self, progress: Progress | None = None) -> dict[str, int]:
        """Demote the primary contacts being replaced first, so that the database never
        holds two primaries for one account, not even between two statements."""
        total = len(self.rows)
        new_primary = {
            row.values[ID]: self.accounts[row.values[ACCOUNT_ID]]
            for row in self.rows
            if row.values.get(_PRIMARY)
        }
        if new_primary:
            Contact.objects.filter(
                account_id__in=set(new_primary.values()), is_primary=True
            ).exclude(external_id__in=list(new_primary)).update(is_primary=False)
            for contact in self.existing.values():
                if contact.external_id not in new_primary and (
                    contact.account_id in new_primary.values()
                ):
                    contact.is_primary = False
        done = 0
        for chunk in chunks([row for row in self.rows if self.actions[row.number] == CREATED]):
            contacts = []
            for row in chunk:
                contact = Contact(external_id=row.values[ID])
                for name, value in self.target(row).items():
                    setattr(contact, name, value)
                contacts.append(contact)
            Contact.objects.bulk_create(contacts)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        update_changed(
            Contact,
            [
                (self.existing[row.values[ID]], self.target(row))
                for row in self.rows
                if self.actions[row.number] != CREATED
            ],
        )
        if progress is not None:
            progress(total, total)
        return dict(self.summary)


def plan(parsed: ParsedFile, as_of: dt.date) -> ContactPlan:
    result = ContactPlan(parsed, as_of)
    if not parsed.rows:
        return result
    result.accounts = account_ids()
    result.existing = {contact.external_id: contact for contact in Contact.objects.all()}
    result.rows = first_rows(parsed)
    check_accounts(parsed, result.accounts)

    primary_row: dict[str, int] = {}
    for row in result.rows:
        account = row.values.get(ACCOUNT_ID)
        if not (row.values.get(_PRIMARY) and account):
            continue
        if account in primary_row:
            parsed.error(
                row, _PRIMARY, "duplicate_primary", value=account, first_row=primary_row[account]
            )
        else:
            primary_row[account] = row.number

    for row in result.rows:
        if row.ok:
            result.actions[row.number] = classify(
                result.target(row), result.existing.get(row.values[ID])
            )
    result.summary = summarise(result.actions)
    return result

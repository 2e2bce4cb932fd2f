"""The contract between the import engine and its callers (views, CLI, tasks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    """One problem in the file. ``row`` is the 1-based line/row number in the file as the
    user sees it in Excel (the header is row 1); None for file-level problems. ``column``
    is the header as written in the file (or the expected column name when missing).
    ``code`` + ``params`` are translated when shown (see ``importing.messages``)."""

    row: int | None
    column: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(data["row"], data["column"], data["code"], dict(data.get("params") or {}))


@dataclass
class ValidationResult:
    encoding: str = ""
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    # counts of what applying would do: created, updated, leavers, unchanged
    summary: dict[str, int] = field(default_factory=dict)
    # the first rows as parsed (field name -> display value), for the preview table
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors

"""Department imports: the tree, its history and paths, and refusal of broken trees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from kizuna.org.importing import engine
from kizuna.org.importing.types import ImportRejected
from kizuna.org.models import Department, DepartmentHistory
from kizuna.org.services import departments_as_of

AS_OF = dt.date(2025, 10, 1)
D = "departments"
HEADER = ["部署コード", "部署名", "部署名(英語)", "親部署コード", "表示順"]


def dept(code: str) -> Department:
    return Department.objects.select_related("parent").get(code=code)


def tree_on(day: dt.date) -> dict[str, tuple[str, str | None]]:
    return {
        h.department.code: (h.name, h.parent.code if h.parent else None)
        for h in departments_as_of(day).select_related("department", "parent")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_new_departments_with_a_parent_later_in_the_file(
    org: dict[str, Any], make_csv: Callable[..., bytes], encoding: str
) -> None:
    rows = [
        ["D310", "海外営業二課", "", "D300", "20"],
        ["D300", "海外営業部", "Overseas Sales", "HQ", "10"],
    ]
    summary = engine.apply(D, make_csv(HEADER, rows, encoding), "d.csv", AS_OF)
    assert summary == {"created": 2, "updated": 0, "leavers": 0, "unchanged": 0}
    hq, d300, d310 = dept("HQ"), dept("D300"), dept("D310")
    assert (d300.name, d300.name_en, d300.sort_order, d300.parent) == (
        "海外営業部",
        "Overseas Sales",
        10,
        hq,
    )
    assert d310.parent == d300 and d310.sort_order == 20
    assert d310.path == f"/{hq.pk}/{d300.pk}/{d310.pk}/" and d310.depth == 2
    assert d310.opened_on == AS_OF
    assert tree_on(AS_OF)["D310"] == ("海外営業二課", "D300")
    assert "D310" not in tree_on(AS_OF - dt.timedelta(days=1))


@pytest.mark.django_db
def test_reimport_renames_and_moves_with_history(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    rows = [
        ["HQ", "本社", "Head office", "", ""],
        ["D100", "営業部", "Sales", "HQ", ""],
        ["D110", "営業一課", "", "D200", ""],  # moved under development
        ["D200", "開発本部", "Engineering", "HQ", ""],  # renamed
    ]
    content = make_csv(HEADER, rows)
    expected = {"created": 0, "updated": 2, "leavers": 0, "unchanged": 2}
    assert engine.validate(D, content, "d.csv", AS_OF).summary == expected
    assert engine.apply(D, content, "d.csv", AS_OF) == expected

    d110, d200 = dept("D110"), dept("D200")
    assert d110.parent == d200 and d110.path.startswith(d200.path)
    assert tree_on(AS_OF - dt.timedelta(days=1))["D110"] == ("営業一課", "D100")
    assert tree_on(AS_OF)["D110"] == ("営業一課", "D200")
    assert tree_on(AS_OF)["D200"] == ("開発本部", "HQ")
    assert DepartmentHistory.objects.filter(department__code="HQ").count() == 1
    # the same file again is a no-op
    assert engine.apply(D, content, "d.csv", AS_OF)["unchanged"] == 4


@pytest.mark.django_db
def test_english_headers_and_absent_parent_column(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    header = ["Code", "Name", "Name_EN"]
    rows = [["D110", "営業第一課", "Sales 1"]]
    assert engine.apply(D, make_csv(header, rows), "d.csv", AS_OF)["updated"] == 1
    d110 = dept("D110")
    assert (d110.name, d110.name_en) == ("営業第一課", "Sales 1")
    assert d110.parent == org["departments"]["D100"]  # no parent column: parent kept


@pytest.mark.django_db
def test_an_excel_file_with_numeric_codes(
    org: dict[str, Any], make_xlsx: Callable[..., bytes]
) -> None:
    content = make_xlsx(
        HEADER, [[500, "総務部", None, "HQ", 50], [510.0, "人事課", None, 500, None]]
    )
    assert engine.apply(D, content, "d.xlsx", AS_OF)["created"] == 2
    assert dept("510").parent == dept("500")


BAD: dict[str, tuple[list[list[str]], list[tuple[int, str, str]]]] = {
    "missing name": ([["D300", "", "", "HQ", ""]], [(2, "部署名", "required")]),
    "duplicate code": (
        [["D300", "海外営業部", "", "HQ", ""], ["D300", "海外営業部", "", "HQ", ""]],
        [(3, "部署コード", "duplicate_code")],
    ),
    "unknown parent": (
        [["D300", "海外営業部", "", "D999", ""]],
        [(2, "親部署コード", "unknown_parent")],
    ),
    "own parent": ([["D300", "海外営業部", "", "D300", ""]], [(2, "親部署コード", "parent_self")]),
    "loop in the file": (
        [["D300", "海外営業部", "", "D310", ""], ["D310", "海外営業一課", "", "D300", ""]],
        [(2, "親部署コード", "parent_cycle"), (3, "親部署コード", "parent_cycle")],
    ),
    "loop through the database": (
        # D110 is under D100 under HQ; putting HQ under D110 closes a loop
        [["HQ", "本社", "", "D110", ""]],
        [(2, "親部署コード", "parent_cycle")],
    ),
    "bad display order": (
        [["D300", "海外営業部", "", "HQ", "先頭"]],
        [(2, "表示順", "invalid_integer")],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD))
def test_a_broken_tree_is_refused_and_nothing_changes(
    org: dict[str, Any],
    make_csv: Callable[..., bytes],
    snapshot: Callable[[], Any],
    case: str,
) -> None:
    rows, expected = BAD[case]
    # a valid change alongside, which must not be written either
    rows = [["D200", "開発本部", "", "HQ", ""], *rows]
    expected = [(row + 1, column, code) for row, column, code in expected]
    before = snapshot()
    content = make_csv(HEADER, rows, "cp932")
    errors = engine.validate(D, content, "d.csv", AS_OF).errors
    assert [(e.row, e.column, e.code) for e in errors] == expected
    with pytest.raises(ImportRejected):
        engine.apply(D, content, "d.csv", AS_OF)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_database_loop_is_described_from_the_row(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    rows = [["HQ", "本社", "", "D110", ""]]
    [error] = engine.validate(D, make_csv(HEADER, rows), "d.csv", AS_OF).errors
    assert error.params == {"cycle": "HQ → D110 → D100 → HQ"}


@pytest.mark.django_db
def test_employee_columns_in_a_department_file_are_caught(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    header = ["部署コード", "部署名", "社員番号"]
    errors = engine.validate(
        D, make_csv(header, [["D300", "海外営業部", "1"]]), "d.csv", AS_OF
    ).errors
    assert [(e.row, e.column, e.code) for e in errors] == [(1, "社員番号", "unknown_column")]

"""Employee imports end to end through the engine: what a file does to the database,
and that a bad file does nothing at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from kizuna.org import services
from kizuna.org.importing import columns, engine, service
from kizuna.org.importing.history import record_changes
from kizuna.org.importing.types import ImportRejected
from kizuna.org.models import Department, Employee, EmployeeHistory, EmploymentType, ImportStatus
from tests.org.conftest import EMPLOYEE_HEADER_JA, employee_row

AS_OF = dt.date(2025, 10, 1)
E = "employees"


def person(number: str) -> Employee:
    return Employee.objects.select_related("department", "manager").get(employee_number=number)


def history(number: str) -> list[tuple[Any, ...]]:
    return [
        (
            h.valid_from,
            h.valid_to,
            h.department.code,
            h.manager.employee_number if h.manager else None,
        )
        for h in EmployeeHistory.objects.filter(employee__employee_number=number)
        .select_related("department", "manager")
        .order_by("valid_from")
    ]


def new_people() -> list[list[str]]:
    """2001 reports to 2002, who appears later in the file (two-pass managers)."""
    return [
        employee_row(
            "2001",
            "青木",
            "優",
            "D200",
            manager="2002",
            kana=("アオキ", "ユウ"),
            level="主任",
            kind="契約社員",
            location="大阪",
            gender="女性",
            birth_year="1990",
        ),
        employee_row(
            "2002", "石井", "翔", "D200", manager="1000", hire="2024年4月1日", kind="パート"
        ),
    ]


# --- Good files --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_a_good_file_imports_in_every_supported_encoding(
    org: dict[str, Any],
    make_csv: Callable[..., bytes],
    existing_rows: list[list[str]],
    encoding: str,
) -> None:
    content = make_csv(EMPLOYEE_HEADER_JA, existing_rows + new_people(), encoding)
    assert engine.validate(E, content, "社員.csv", AS_OF).errors == []

    summary = engine.apply(E, content, "社員.csv", AS_OF)

    assert summary == {"created": 2, "updated": 0, "leavers": 0, "unchanged": 3}
    aoki = person("2001")
    assert (aoki.family_name, aoki.given_name, aoki.full_name_kana) == ("青木", "優", "アオキ ユウ")
    assert aoki.email == "e2001@example.co.jp"
    assert aoki.hire_date == dt.date(2024, 4, 1)
    assert aoki.department.code == "D200"
    assert aoki.manager is not None and aoki.manager.employee_number == "2002"
    assert (aoki.job_level, aoki.employment_type, aoki.location) == ("主任", "contract", "大阪")
    assert (aoki.gender, aoki.birth_year, aoki.leave_date, aoki.custom) == (
        "female",
        1990,
        None,
        {},
    )
    ishii = person("2002")
    assert ishii.employment_type == EmploymentType.PART_TIME
    assert ishii.manager == org["people"]["1000"]
    # a new hire's history starts on the hire date
    assert history("2001") == [(dt.date(2024, 4, 1), None, "D200", "2002")]
    assert history("2002") == [(dt.date(2024, 4, 1), None, "D200", "1000")]
    # the people already there were not touched
    assert history("1002") == [(dt.date(2020, 4, 1), None, "D110", "1001")]
    assert Employee.objects.count() == 5


@pytest.mark.django_db
def test_an_excel_file_imports_with_date_cells_and_numeric_numbers(
    org: dict[str, Any], make_xlsx: Callable[..., bytes]
) -> None:
    header = [
        "社員番号",
        "姓",
        "名",
        "メールアドレス",
        "入社日",
        "部署コード",
        "上長社員番号",
        "生年",
    ]
    content = make_xlsx(
        header,
        [
            [
                3001,
                "岡田",
                "真",
                "okada@example.co.jp",
                dt.datetime(2023, 10, 1),
                "D110",
                1002.0,
                1988,
            ],
            [3002.0, "森", "葵", "mori@example.co.jp", "2024/4/1", "D110", 3001, None],
        ],
    )
    summary = engine.apply(E, content, "people.xlsx", AS_OF)
    assert summary == {"created": 2, "updated": 0, "leavers": 0, "unchanged": 0}
    okada = person("3001")
    assert okada.hire_date == dt.date(2023, 10, 1)
    assert okada.birth_year == 1988
    assert okada.manager == org["people"]["1002"]
    assert person("3002").manager == okada
    assert person("3002").employment_type == "full_time"  # the column is absent: the default


@pytest.mark.django_db
def test_english_headers_labels_and_custom_attributes(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    header = [
        "Employee Number",
        "family_name",
        "Given Name",
        "EMAIL",
        "hire_date",
        "department_code",
        "Employment Type",
        "Gender",
        "custom:Team",
        "属性:等級コード",
    ]
    rows = [["4001", "Smith", "Anna", "anna@example.com", "2024-04-01", "D200", "Part-time",
             "Prefer not to say", "Platform", "G3"]]  # fmt: skip
    assert engine.apply(E, make_csv(header, rows), "people.csv", AS_OF)["created"] == 1
    anna = person("4001")
    assert (anna.employment_type, anna.gender) == ("part_time", "undisclosed")
    assert anna.custom == {"Team": "Platform", "等級コード": "G3"}
    assert EmployeeHistory.objects.get(employee=anna).custom == anna.custom


# --- Bad files: rejected whole, nothing changes ------------------------------------------

BAD_ROWS: dict[str, tuple[list[list[str]], list[tuple[int, str, str]]]] = {
    "empty required cell": (
        [employee_row("2001", "", "優", "D200")],
        [(5, "姓", "required")],
    ),
    "bad email": (
        [employee_row("2001", "青木", "優", "D200", email="aoki@")],
        [(5, "メールアドレス", "invalid_email")],
    ),
    "impossible date": (
        [employee_row("2001", "青木", "優", "D200", hire="2024-02-30")],
        [(5, "入社日", "invalid_date")],
    ),
    "not a date": (
        [employee_row("2001", "青木", "優", "D200", leave="来月")],
        [(5, "退職日", "invalid_date")],
    ),
    "bad choice": (
        [employee_row("2001", "青木", "優", "D200", kind="社長")],
        [(5, "雇用形態", "invalid_choice")],
    ),
    "bad leave reason": (
        [employee_row("2001", "青木", "優", "D200", leave="2025/3/31", reason="転職")],
        [(5, "退職理由", "invalid_choice")],
    ),
    "duplicate employee number": (
        [
            employee_row("2001", "青木", "優", "D200"),
            employee_row("2001", "石井", "翔", "D200", email="ishii@example.co.jp"),
        ],
        [(6, "社員番号", "duplicate_employee_number")],
    ),
    "the same row twice": (
        [employee_row("2001", "青木", "優", "D200"), employee_row("2001", "青木", "優", "D200")],
        [(6, "社員番号", "duplicate_employee_number")],  # one error, not also the email
    ),
    "duplicate email": (
        [
            employee_row("2001", "青木", "優", "D200"),
            employee_row("2002", "石井", "翔", "D200", email="E2001@example.co.jp"),
        ],
        [(6, "メールアドレス", "duplicate_email")],
    ),
    "unknown department": (
        [employee_row("2001", "青木", "優", "D999")],
        [(5, "部署コード", "unknown_department")],
    ),
    "unknown manager": (
        [employee_row("2001", "青木", "優", "D200", manager="9999")],
        [(5, "上長社員番号", "unknown_manager")],
    ),
    "own manager": (
        [employee_row("2001", "青木", "優", "D200", manager="2001")],
        [(5, "上長社員番号", "manager_self")],
    ),
    "manager loop in the file": (
        [
            employee_row("2001", "青木", "優", "D200", manager="2002"),
            employee_row("2002", "石井", "翔", "D200", manager="2001"),
        ],
        [(5, "上長社員番号", "manager_cycle"), (6, "上長社員番号", "manager_cycle")],
    ),
    "leave before hire": (
        [employee_row("2001", "青木", "優", "D200", hire="2024/04/01", leave="2024/03/31")],
        [(5, "退職日", "leave_before_hire")],
    ),
    "leave reason without leave date": (
        [employee_row("2001", "青木", "優", "D200", reason="自己都合")],
        [(5, "退職理由", "leave_reason_without_date")],
    ),
    "birth year out of range": (
        [employee_row("2001", "青木", "優", "D200", birth_year="1850")],
        [(5, "生年", "invalid_birth_year")],
    ),
    "employee number too long": (
        [employee_row("2" * 51, "青木", "優", "D200")],
        [(5, "社員番号", "too_long")],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_each_kind_of_bad_row_rejects_the_file_and_changes_nothing(
    org: dict[str, Any],
    make_csv: Callable[..., bytes],
    existing_rows: list[list[str]],
    snapshot: Callable[[], Any],
    case: str,
) -> None:
    extra, expected = BAD_ROWS[case]
    # The three existing people are in the file too, with a change that would otherwise
    # be written: it must not be.
    rows = [*existing_rows, *extra]
    rows[2] = employee_row("1002", "中村", "健太", "D200", manager="1001", hire="2020-04-01")
    content = make_csv(EMPLOYEE_HEADER_JA, rows, "cp932")
    before = snapshot()

    result = engine.validate(E, content, "people.csv", AS_OF)
    assert [(e.row, e.column, e.code) for e in result.errors] == expected
    with pytest.raises(ImportRejected) as rejected:
        engine.apply(E, content, "people.csv", AS_OF)

    assert rejected.value.errors == result.errors
    assert snapshot() == before


@pytest.mark.django_db
def test_error_messages_carry_the_offending_values(
    org: dict[str, Any], make_csv: Callable[..., bytes], existing_rows: list[list[str]]
) -> None:
    rows = [*existing_rows, *BAD_ROWS["manager loop in the file"][0]]
    rows.append(employee_row("2003", "上田", "陸", "D999", email="e2001@example.co.jp"))
    errors = engine.validate(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", AS_OF).errors
    assert [(e.row, e.code, e.params) for e in errors] == [
        (5, "manager_cycle", {"cycle": "2001 → 2002 → 2001"}),
        (6, "manager_cycle", {"cycle": "2002 → 2001 → 2002"}),
        (7, "duplicate_email", {"value": "e2001@example.co.jp", "first_row": 5}),
        (7, "unknown_department", {"value": "D999"}),
    ]


@pytest.mark.django_db
def test_a_loop_closed_with_people_already_in_the_database_is_refused(
    org: dict[str, Any], make_csv: Callable[..., bytes], snapshot: Callable[[], Any]
) -> None:
    # In the database 1002 → 1001 → 1000; the file makes 1000 report to 1002.
    rows = [employee_row("1000", "山本", "一郎", "HQ", manager="1002", hire="2020-04-01")]
    before = snapshot()
    with pytest.raises(ImportRejected) as rejected:
        engine.apply(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", AS_OF)
    [error] = rejected.value.errors
    assert (error.row, error.column, error.code) == (2, "上長社員番号", "manager_cycle")
    assert error.params == {"cycle": "1000 → 1002 → 1001 → 1000"}
    assert snapshot() == before


@pytest.mark.django_db
def test_an_address_still_used_by_someone_in_the_database_is_refused(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    rows = [employee_row("2001", "青木", "優", "D200", email="E1000@example.co.jp")]
    [error] = engine.validate(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", AS_OF).errors
    assert (error.row, error.code, error.params) == (
        2,
        "email_taken",
        {"value": "E1000@example.co.jp", "other": "1000"},
    )
    # ...but an address of someone who has left may be reused
    yamamoto = org["people"]["1000"]
    yamamoto.leave_date = dt.date(2025, 3, 31)
    yamamoto.save()
    assert engine.validate(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", AS_OF).ok


@pytest.mark.django_db
def test_errors_from_every_row_are_reported_together(
    org: dict[str, Any], make_csv: Callable[..., bytes], snapshot: Callable[[], Any]
) -> None:
    rows = [
        employee_row("2001", "青木", "優", "D200"),
        employee_row("2002", "石井", "翔", "D200", email="ishii", hire="2024/13/01"),
        employee_row("2003", "上田", "陸", "D200"),
        employee_row("2004", "", "花", "D300", kind="役員"),
        employee_row("2005", "森", "葵", "D200", manager="2099", gender="female"),
    ]
    before = snapshot()
    errors = engine.validate(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", AS_OF).errors
    assert [(e.row, e.column, e.code) for e in errors] == [
        (3, "メールアドレス", "invalid_email"),
        (3, "入社日", "invalid_date"),
        (5, "姓", "required"),
        (5, "部署コード", "unknown_department"),
        (5, "雇用形態", "invalid_choice"),
        (6, "上長社員番号", "unknown_manager"),
    ]
    assert snapshot() == before


@pytest.mark.django_db
def test_header_problems_are_reported_with_row_problems(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    header = ["社員番号", "姓", "名", "入社日", "部署コード", "備考", "employee_number"]
    rows = [["2001", "青木", "優", "2024/04/01", "D999", "メモ", "2001"]]
    errors = engine.validate(E, make_csv(header, rows), "p.csv", AS_OF).errors
    assert [(e.row, e.column, e.code) for e in errors] == [
        (1, "備考", "unknown_column_custom"),
        (1, "employee_number", "duplicate_column"),
        (1, "メールアドレス", "missing_column"),
        (2, "部署コード", "unknown_department"),
    ]


@pytest.mark.django_db
def test_a_value_under_no_header_is_an_error(
    org: dict[str, Any], make_csv: Callable[..., bytes], existing_rows: list[list[str]]
) -> None:
    rows = [[*existing_rows[0], "ずれた値"]]
    [error] = engine.validate(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", AS_OF).errors
    assert (error.row, error.column, error.code) == (2, "Q", "unnamed_column")


# --- Re-imports --------------------------------------------------------------------------


@pytest.mark.django_db
def test_reimport_updates_by_employee_number_writes_history_and_records_leavers(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    rows = [
        # a correction of the name: the row changes, history does not
        employee_row("1000", "山元", "一郎", "HQ", hire="2020-04-01"),
        # leaves at the end of September
        employee_row(
            "1001",
            "佐々木",
            "花子",
            "D100",
            manager="1000",
            hire="2020-04-01",
            leave="2025/09/30",
            reason="自己都合",
        ),
        # transferred to development, now reporting to the president
        employee_row("1002", "中村", "健太", "D200", manager="1000", hire="2020-04-01"),
        employee_row("2001", "青木", "優", "D110", manager="1002"),
    ]
    content = make_csv(EMPLOYEE_HEADER_JA, rows)
    expected = {"created": 1, "updated": 2, "leavers": 1, "unchanged": 0}
    assert engine.validate(E, content, "p.csv", AS_OF).summary == expected

    assert engine.apply(E, content, "p.csv", AS_OF) == expected

    assert person("1000").family_name == "山元"
    assert history("1000") == [(dt.date(2020, 4, 1), None, "HQ", None)]
    sasaki = person("1001")
    assert (sasaki.leave_date, sasaki.leave_reason) == (dt.date(2025, 9, 30), "voluntary")
    assert history("1001") == [(dt.date(2020, 4, 1), None, "D100", "1000")]
    assert history("1002") == [
        (dt.date(2020, 4, 1), AS_OF, "D110", "1001"),
        (AS_OF, None, "D200", "1000"),
    ]
    then = {h.employee.employee_number: h.department.code for h in services.org_as_of(AS_OF)}
    assert then["1002"] == "D200"
    assert person("1002").updated_at > org["people"]["1002"].updated_at

    # The same file again changes nothing and writes no history.
    history_rows = EmployeeHistory.objects.count()
    again = engine.apply(E, content, "p.csv", AS_OF)
    assert again == {"created": 0, "updated": 0, "leavers": 0, "unchanged": 4}
    assert EmployeeHistory.objects.count() == history_rows


@pytest.mark.django_db
def test_a_change_dated_on_the_start_of_the_open_period_corrects_it(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    rows = [employee_row("1002", "中村", "健太", "D200", manager="1001", hire="2020-04-01")]
    engine.apply(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", dt.date(2020, 4, 1))
    assert history("1002") == [(dt.date(2020, 4, 1), None, "D200", "1001")]


@pytest.mark.django_db
def test_absent_columns_are_kept_and_empty_cells_clear(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    required = ["社員番号", "姓", "名", "メールアドレス", "入社日", "部署コード"]
    only_required = [["1002", "中村", "健太", "e1002@example.co.jp", "2020-04-01", "D110"]]
    result = engine.apply(E, make_csv(required, only_required), "p.csv", AS_OF)
    assert result["unchanged"] == 1
    assert person("1002").manager == org["people"]["1001"]

    header = [*required, "上長社員番号", "勤務地", "属性:team", "custom:grade"]
    rows = [
        [
            "1001",
            "佐々木",
            "花子",
            "e1001@example.co.jp",
            "2020-04-01",
            "D100",
            "1000",
            "",
            "B",
            "",
        ],
        ["1002", "中村", "健太", "e1002@example.co.jp", "2020-04-01", "D110", "", "福岡", "", "G3"],
    ]
    assert engine.apply(E, make_csv(header, rows), "p.csv", AS_OF)["updated"] == 2
    sasaki, nakamura = person("1001"), person("1002")
    assert sasaki.custom == {"team": "B"}
    assert (nakamura.manager, nakamura.location, nakamura.custom) == (None, "福岡", {"grade": "G3"})
    assert history("1002")[-1] == (AS_OF, None, "D110", None)


@pytest.mark.django_db
def test_bulk_history_matches_record_employee_change(org: dict[str, Any]) -> None:
    """The importer's batch history writer must leave exactly the rows the one-by-one
    service would: check each rule on twin employees, one per writer."""
    dept = org["departments"]
    effective = dt.date(2025, 10, 1)

    def twins(number: str, history_from: dt.date | None) -> list[Employee]:
        people = []
        for prefix in ("S", "B"):
            employee = Employee.objects.create(
                employee_number=prefix + number,
                family_name="双子",
                given_name=number,
                hire_date=dt.date(2021, 1, 1),
                department=dept["D100"],
            )
            if history_from is not None:
                services.record_employee_change(employee, history_from)
            people.append(employee)
        return people

    cases = [
        twins("1", None),  # no history yet
        twins("2", dt.date(2021, 1, 1)),  # older open row: close and open
        twins("3", dt.date(2021, 1, 1)),  # open row starts on the date: rewrite
        twins("4", dt.date(2021, 1, 1)),  # nothing tracked changed
    ]
    for twin in cases[2]:
        twin.location = "大阪"
        twin.save()
        services.record_employee_change(twin, effective)  # now open from ``effective``
    for (service_twin, batch_twin), change in zip(cases, [True, True, True, False], strict=True):
        for twin in (service_twin, batch_twin):
            if change:
                twin.department = dept["D200"]
                twin.job_level = "課長"
                twin.custom = {"k": "v"}
            twin.save()
    recorded = [services.record_employee_change(s, effective) for s, _b in cases]
    assert record_changes([(b, effective) for _s, b in cases]) == sum(recorded)

    def rows(employee: Employee) -> list[tuple[Any, ...]]:
        return list(
            EmployeeHistory.objects.filter(employee=employee)
            .order_by("valid_from", "pk")
            .values_list(
                "valid_from", "valid_to", "department", "manager", "job_level",
                "employment_type", "location", "custom",
            )
        )  # fmt: skip

    for service_twin, batch_twin in cases:
        assert rows(batch_twin) == rows(service_twin)


# --- Validation, limits, progress, scale --------------------------------------------------


@pytest.mark.django_db
def test_validate_previews_and_counts_without_writing(
    org: dict[str, Any], make_csv: Callable[..., bytes], snapshot: Callable[[], Any]
) -> None:
    rows = [employee_row(f"5{i:03}", "試験", f"{i}", "D200", manager="1000") for i in range(25)]
    before = snapshot()
    result = engine.validate(E, make_csv(EMPLOYEE_HEADER_JA, rows, "cp932"), "p.csv", AS_OF)
    assert snapshot() == before
    assert result.ok and (result.encoding, result.total_rows) == ("cp932", 25)
    assert result.summary == {"created": 25, "updated": 0, "leavers": 0, "unchanged": 0}
    assert len(result.preview) == 20
    first = result.preview[0]
    assert list(first) == [name for name, _label in columns.preview_columns(E)]
    assert first["employee_number"] == "5000"
    assert first["hire_date"] == "2024-04-01"
    assert first["manager_employee_number"] == "1000"
    assert first["employment_type"] == str(EmploymentType.FULL_TIME.label)
    assert first["birth_year"] == ""


@pytest.mark.django_db
@override_settings(KIZUNA_IMPORT_MAX_ROWS=2)
def test_a_file_over_the_row_limit_is_refused(
    org: dict[str, Any],
    make_csv: Callable[..., bytes],
    existing_rows: list[list[str]],
    snapshot: Callable[[], Any],
) -> None:
    before = snapshot()
    with pytest.raises(ImportRejected) as rejected:
        engine.apply(E, make_csv(EMPLOYEE_HEADER_JA, existing_rows), "p.csv", AS_OF)
    [error] = rejected.value.errors
    assert (error.row, error.code, error.params) == (None, "too_many_rows", {"limit": 2})
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["euc_jp", "utf-16"])
def test_a_file_in_another_encoding_is_never_imported_as_garbage(
    org: dict[str, Any], make_csv: Callable[..., bytes], snapshot: Callable[[], Any], encoding: str
) -> None:
    content = make_csv(EMPLOYEE_HEADER_JA, new_people(), encoding)
    before = snapshot()
    with pytest.raises(ImportRejected) as rejected:
        engine.apply(E, content, "p.csv", AS_OF)
    assert [e.code for e in rejected.value.errors] == ["encoding"]
    assert snapshot() == before


@pytest.mark.django_db
def test_progress_is_reported_in_steps_up_to_the_total(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    rows = [employee_row(f"6{i:03}", "進捗", f"{i}", "D200", manager="1000") for i in range(450)]
    calls: list[tuple[int, int]] = []
    engine.apply(
        E,
        make_csv(EMPLOYEE_HEADER_JA, rows),
        "p.csv",
        AS_OF,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert {total for _done, total in calls} == {450}
    assert [done for done, _total in calls] == sorted(done for done, _total in calls)
    assert calls[0] == (200, 450) and calls[-1] == (450, 450)


@pytest.mark.django_db
def test_a_long_chain_of_new_managers_listed_bottom_up(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    """Each of 450 new people reports to the next one in the file: most managers are
    inserted in the same batch as their reports, and history must still name them."""
    rows = [
        employee_row(
            f"8{i:03}", "連鎖", f"{i}", "D200", manager=f"8{i + 1:03}" if i < 449 else "1000"
        )
        for i in range(450)
    ]
    assert engine.apply(E, make_csv(EMPLOYEE_HEADER_JA, rows), "p.csv", AS_OF)["created"] == 450
    managers = dict(
        Employee.objects.filter(employee_number__startswith="8").values_list(
            "employee_number", "manager__employee_number"
        )
    )
    assert managers == {f"8{i:03}": f"8{i + 1:03}" if i < 449 else "1000" for i in range(450)}
    assert history("8000") == [(dt.date(2024, 4, 1), None, "D200", "8001")]
    assert history("8449") == [(dt.date(2024, 4, 1), None, "D200", "1000")]


@pytest.mark.django_db
def test_the_service_stores_a_rejected_job_with_readable_errors(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    from kizuna.org.importing import messages
    from kizuna.org.importing.types import RowError

    content = make_csv(EMPLOYEE_HEADER_JA, [employee_row("2001", "青木", "優", "D999")])
    job = service.create_job(E, content, "p.csv", AS_OF, actor=None)
    assert job.status == ImportStatus.INVALID
    with translation.override("en"):
        text = messages.message(RowError.from_dict(job.errors[0]))
    assert text == "Unknown department code “D999”. Import the department first or fix the code."

    good = make_csv(EMPLOYEE_HEADER_JA, new_people())
    job = service.create_job(E, good, "p.csv", AS_OF, actor=None)
    assert job.status == ImportStatus.READY
    assert job.summary["counts"]["created"] == 2
    job = service.run_job(job.pk)
    assert job.status == ImportStatus.DONE
    assert job.summary["result"] == {"created": 2, "updated": 0, "leavers": 0, "unchanged": 0}


@pytest.mark.django_db
def test_ten_thousand_people_import_and_reimport(
    org: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    """Scale: a 10-level reporting tree of 10,000 new people (managers listed after
    their reports half of the time), then a re-import moving a hundred of them."""
    count = 10_000

    def rows(moved: set[int]) -> list[list[str]]:
        result = []
        for i in range(count):
            manager = "1000" if i == 0 else f"7{(i - 1) // 3:05}"
            dept = "D110" if i in moved else "D200"
            result.append(employee_row(f"7{i:05}", "大量", f"{i}", dept, manager=manager))
        result.reverse()  # every manager now comes after their reports
        return result

    first = engine.apply(E, make_csv(EMPLOYEE_HEADER_JA, rows(set())), "big.csv", AS_OF)
    assert first == {"created": count, "updated": 0, "leavers": 0, "unchanged": 0}
    assert Employee.objects.filter(employee_number__startswith="7").count() == count
    assert (
        EmployeeHistory.objects.filter(employee__employee_number__startswith="7").count() == count
    )
    assert person("700004").manager is not None
    assert person("700004").manager.employee_number == "700001"

    moved = set(range(0, count, 100))
    second = engine.apply(
        E, make_csv(EMPLOYEE_HEADER_JA, rows(moved)), "big.csv", AS_OF + dt.timedelta(days=1)
    )
    assert second == {
        "created": 0,
        "updated": len(moved),
        "leavers": 0,
        "unchanged": count - len(moved),
    }
    assert Department.objects.get(code="D110").employees.count() == len(moved) + 1
    assert history("700100")[-1] == (AS_OF + dt.timedelta(days=1), None, "D110", "700033")

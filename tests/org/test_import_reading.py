"""Reading files: encodings, Excel cells, blank rows, limits, headers, values, messages.

These are the unit-level guarantees behind "any file HR has lying around either imports
correctly or is refused with a sentence saying why" (no database needed for most)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from kizuna.org.importing import columns, messages
from kizuna.org.importing.reading import FileRejected, decode_text, excel_cell, read_table
from kizuna.org.importing.types import RowError
from kizuna.org.importing.values import CellError, parse_date, parse_integer, parse_year

TEXT = (
    "社員番号,姓,名,メールアドレス,入社日,部署コード\r\n"
    "1001,高橋,花子,hanako@example.jp,2024/04/01,D100\r\n"
    "1002,鈴木,一郎,ichiro@example.jp,2024年4月1日,D100\r\n"
)


def rejected(content: bytes, filename: str = "people.csv", max_rows: int = 100) -> RowError:
    with pytest.raises(FileRejected) as info:
        read_table(content, filename, max_rows)
    return info.value.error


# --- Encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932"), ("shift_jis", "cp932")],
)
def test_japanese_text_decodes_exactly(encoding: str, detected: str) -> None:
    text, used = decode_text(TEXT.encode(encoding))
    assert used == detected
    assert text == TEXT


def test_windows_only_characters_survive_cp932() -> None:
    # 髙 and ① exist in Windows' CP932 but not in JIS Shift_JIS; names use them.
    text = TEXT.replace("高橋", "髙橋").replace("花子", "花子①")
    assert decode_text(text.encode("cp932")) == (text, "cp932")


def test_bom_does_not_end_up_in_the_first_header() -> None:
    table = read_table(TEXT.encode("utf-8-sig"), "people.csv", 100)
    assert table.header[0] == "社員番号"


@pytest.mark.parametrize(
    ("encoding", "guess"),
    [
        ("euc_jp", "EUC-JP"),
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16"),
        ("iso2022_jp", "ISO-2022-JP"),
    ],
)
def test_other_encodings_are_refused_and_named(encoding: str, guess: str) -> None:
    error = rejected(TEXT.encode(encoding))
    assert error.row is None
    assert error.code == "encoding"
    assert error.params == {"guess": guess}
    text = messages.message(error)
    assert guess in text and "UTF-8" in text and "Shift_JIS" in text


def test_euc_jp_with_half_width_kana_is_not_read_as_shift_jis() -> None:
    content = "社員番号,セイ,メイ\r\n1001,ヤマダ,ﾊﾅｺ\r\n".encode("euc_jp")
    assert rejected(content).code == "encoding"


def test_damaged_utf8_is_refused_with_the_line_of_the_first_bad_byte() -> None:
    good = TEXT.encode("utf-8")
    third_line = good.index(b"1002")
    content = good[:third_line] + b"\xff" + good[third_line:]
    error = rejected(content)
    assert (error.code, error.params) == ("damaged_utf8", {"line": 3})


def test_binary_and_broken_excel_files_give_file_errors_not_tracebacks() -> None:
    assert rejected(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").code == "binary_file"
    assert rejected(b"PK\x03\x04 not really a zip", "people.xlsx").code == "bad_xlsx"
    # legacy .xls and password-protected .xlsx are OLE containers
    assert rejected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls").code == "bad_xlsx"
    assert rejected(b"just text", "people.xlsx").code == "bad_xlsx"


def test_empty_and_header_only_files() -> None:
    assert rejected(b"").code == "empty_file"
    assert rejected(b"\r\n \r\n,,\r\n").code == "empty_file"
    assert rejected("社員番号,姓\r\n,\r\n".encode()).code == "no_data_rows"


def test_unclosed_quote_is_an_error_instead_of_swallowing_rows() -> None:
    content = 'code,name\r\nD1,"営業部\r\nD2,開発部\r\n'.encode()
    error = rejected(content)
    assert (error.code, error.row) == ("csv_syntax", 2)


def test_quoted_cells_may_contain_commas_and_line_breaks() -> None:
    content = 'code,name\r\nD1,"営業部, 東京\r\n(本社)"\r\nD2,開発部\r\n'.encode()
    table = read_table(content, "d.csv", 10)
    # The second record spans two lines but is one row in Excel: rows 2 and 3.
    assert table.rows == [(2, ["D1", "営業部, 東京\r\n(本社)"]), (3, ["D2", "開発部"])]


# --- Rows --------------------------------------------------------------------------------


def test_blank_rows_are_skipped_but_keep_numbering_and_cells_are_stripped() -> None:
    content = "code , name\r\n D1 ,　営業部　\r\n\r\n,\r\nD2,開発部\r\n\r\n\r\n".encode()
    table = read_table(content, "d.csv", 10)
    assert table.header == ["code", "name"]
    assert table.rows == [(2, ["D1", "営業部"]), (5, ["D2", "開発部"])]


def test_tab_separated_text_is_understood() -> None:
    table = read_table("code\tname\r\nD1\t営業部\r\n".encode(), "d.csv", 10)
    assert table.rows == [(2, ["D1", "営業部"])]


def test_row_limit() -> None:
    content = ("code,name\r\n" + "".join(f"D{i},部{i}\r\n" for i in range(4))).encode()
    assert len(read_table(content, "d.csv", 4).rows) == 4
    error = rejected(content, max_rows=3)
    assert (error.code, error.params) == ("too_many_rows", {"limit": 3})


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_cells_become_text_or_dates() -> None:
    content = _xlsx(
        [
            ["社員番号", "入社日", "生年", "メモ"],
            [1001, dt.datetime(2024, 4, 1), 1990.0, " x "],
            [1002.0, dt.date(2023, 10, 1), 1985, 2.5],
            [None, None, None, None],
            [1003, "2024/04/01", None, None],
            [None, None, None, None],
        ]
    )
    table = read_table(content, "anything.csv", 10)  # sniffed from the bytes, not the name
    assert table.encoding == "xlsx"
    assert table.rows == [
        (2, ["1001", dt.date(2024, 4, 1), "1990", "x"]),
        (3, ["1002", dt.date(2023, 10, 1), "1985", "2.5"]),
        (5, ["1003", "2024/04/01"]),  # short rows are fine: missing cells are empty
    ]


def test_excel_cell_conversion() -> None:
    assert excel_cell(1001.0) == "1001"
    assert excel_cell(7) == "7"
    assert excel_cell(None) == ""
    assert excel_cell(True) == "TRUE"
    assert excel_cell(dt.datetime(2024, 4, 1, 9, 30)) == dt.date(2024, 4, 1)


# --- Values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-04-01",
        "2024/04/01",
        "2024/4/1",
        "2024.4.1",
        "2024年4月1日",
        "２０２４／４／１",
        "20240401",
        "2024-04-01 00:00:00",
    ],
)
def test_date_spellings(text: str) -> None:
    assert parse_date(text) == dt.date(2024, 4, 1)


@pytest.mark.parametrize("text", ["2024-02-30", "来月", "2024-13-01", "4/1/2024", "2024-4"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(CellError) as info:
        parse_date(text)
    assert (info.value.code, info.value.params) == ("invalid_date", {"value": text})


def test_numbers_and_years() -> None:
    assert parse_integer("１０") == 10
    assert parse_integer("-3") == -3
    assert parse_integer("1,000") == 1000
    with pytest.raises(CellError):
        parse_integer("十")
    assert parse_year("1985", 2025) == 1985
    for bad in ["1850", "2026", "昭和60", "85"]:
        with pytest.raises(CellError) as info:
            parse_year(bad, 2025)
        assert info.value.params == {"value": bad, "min": 1900, "max": 2025}


def test_choice_spellings() -> None:
    employment = columns.choice_lookup("employment_type")
    for spelling, code in [
        ("正社員", "full_time"),
        ("full_time", "full_time"),
        ("Full-time", "full_time"),
        ("FULL TIME", "full_time"),
        ("契約社員", "contract"),
        ("パート・アルバイト", "part_time"),
        ("パート", "part_time"),
        ("派遣", "temporary"),
        ("Temporary (agency)", "temporary"),
        ("その他", "other"),
    ]:
        assert employment[columns.header_key(spelling)] == code, spelling
    gender = columns.choice_lookup("gender")
    assert [gender[columns.header_key(w)] for w in ["男性", "女性", "その他", "回答しない"]] == [
        "male",
        "female",
        "other",
        "undisclosed",
    ]
    reason = columns.choice_lookup("leave_reason")
    assert [
        reason[columns.header_key(w)]
        for w in ["自己都合", "会社都合", "定年", "契約満了", "その他"]
    ] == ["voluntary", "involuntary", "retirement", "contract_end", "other"]


# --- Headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["employees", "departments"])
def test_no_header_spelling_means_two_columns(kind: str) -> None:
    seen: dict[str, str] = {}
    for column in columns.columns_for(kind):
        for spelling in {column.ja, column.en, column.field, *column.aliases}:
            key = columns.header_key(spelling)
            assert seen.setdefault(key, column.field) == column.field, spelling


def test_headers_in_either_language_any_case_or_width() -> None:
    found, problems = columns.match_header(
        "employees",
        [
            "Employee Number",
            " FAMILY_NAME ",
            "名",
            "ｅｍａｉｌ",
            "入社日",
            "部署ｺｰﾄﾞ",
            "属性：チーム",
        ],
    )
    assert problems == []
    assert [(item.column.field if item.column else item.custom) for item in found] == [
        "employee_number",
        "family_name",
        "given_name",
        "email",
        "hire_date",
        "department_code",
        "チーム",
    ]


def test_header_problems() -> None:
    _found, problems = columns.match_header(
        "employees", ["社員番号", "employee_number", "備考", "メールアドレズ", "custom:", "", "x"]
    )
    assert problems == [
        ("employee_number", "duplicate_column", {"column": "employee_number", "other": "社員番号"}),
        ("備考", "unknown_column_custom", {"column": "備考"}),
        (
            "メールアドレズ",
            "unknown_column_suggest",
            {"column": "メールアドレズ", "suggestion": "メールアドレス"},
        ),
        ("custom:", "custom_without_name", {"column": "custom:"}),
        ("x", "unknown_column_custom", {"column": "x"}),
    ]
    # departments have no custom attributes
    _found, problems = columns.match_header("departments", ["code", "name", "custom:x"])
    assert problems == [("custom:x", "unknown_column", {"column": "custom:x"})]


def test_templates_and_preview_columns() -> None:
    ja = columns.template_csv("employees", "ja").splitlines()
    assert ja[0].startswith(
        "社員番号,姓,名,セイ,メイ,メールアドレス,入社日,退職日,退職理由,部署コード"
    )
    assert len(ja) == 2 and ja[1].startswith("1001,山田,花子")
    en = columns.template_csv("departments", "en").splitlines()
    assert en[0] == "code,name,name_en,parent_code,sort_order"
    # each template reads back without header problems
    for kind in ("employees", "departments"):
        for language in ("ja", "en"):
            header = columns.template_csv(kind, language).splitlines()[0].split(",")
            assert columns.match_header(kind, header)[1] == []
    with translation.override("en"):
        preview = columns.preview_columns("employees")
    assert preview[0] == ("employee_number", "Employee number")
    assert preview[-1] == ("custom", "Custom attributes")
    assert [name for name, _label in columns.preview_columns("departments")] == [
        "code",
        "name",
        "name_en",
        "parent_code",
        "sort_order",
    ]


# --- Messages ----------------------------------------------------------------------------


def test_messages_name_the_value_and_the_place() -> None:
    with translation.override("en"):
        error = RowError(3, "部署コード", "unknown_department", {"value": "D999"})
        assert messages.message(error) == (
            "Unknown department code “D999”. Import the department first or fix the code."
        )
        assert messages.describe(error).startswith("row 3, column 部署コード: Unknown department")
        choice = RowError(
            2, "雇用形態", "invalid_choice", {"value": "社長", "field": "employment_type"}
        )
        assert messages.message(choice) == (
            "“社長” is not an accepted value. Use one of: "
            "full_time, contract, part_time, temporary, other."
        )
        assert messages.describe(RowError(None, "", "empty_file", {})).startswith("The file is")
        # an unknown code or missing parameter still renders
        assert (
            messages.message(RowError(2, "x", "no_such_code", {})) == "Import error (no_such_code)."
        )
        assert "“?”" in messages.message(RowError(2, "x", "invalid_email", {}))
    with translation.override("ja"):
        assert "正社員、契約社員" in messages.message(choice)


def _emitted_codes() -> set[str]:
    """Error codes passed to the error constructors anywhere in the importing package."""
    import ast
    import pathlib

    position = {"error": 2, "file_error": 0, "CellError": 0, "RowError": 2}
    codes: set[str] = set()
    for path in pathlib.Path(columns.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            at = position.get(name)
            if at is not None and len(node.args) > at:
                arg = node.args[at]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    codes.add(arg.value)
    return codes


def test_every_error_code_has_a_message() -> None:
    codes = _emitted_codes() | {
        "unknown_column",
        "unknown_column_custom",
        "unknown_column_suggest",
        "duplicate_column",
        "custom_without_name",
    }
    assert len(codes) > 30
    assert codes - set(messages.MESSAGES) == set()
    assert set(messages.MESSAGES) - codes == set()  # no dead messages either

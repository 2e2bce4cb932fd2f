"""The columns of each import file: headers (Japanese or English), what each one holds,
and the accepted spellings of choice values.

Headers are matched after NFKC normalisation, case folding and removal of spaces and
punctuation, so "社員番号", "Employee Number", "employee_number" and the full-width
"ｅｍｐｌｏｙｅｅ＿ｎｕｍｂｅｒ" all find the same column. Anything else is an error
rather than silently ignored: a typo in a header would otherwise drop a whole column of
data without anyone noticing.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from kizuna.org.models import EmploymentType, Gender, LeaveReason

EMPLOYEES = "employees"
DEPARTMENTS = "departments"

# Value kinds understood by the row parser (see ``importing.values``).
TEXT, CODE, EMAIL, DATE, YEAR, INTEGER, CHOICE = (
    "text",
    "code",
    "email",
    "date",
    "year",
    "integer",
    "choice",
)


@dataclass(frozen=True)
class Column:
    """One importable column. ``ja``/``en`` are the canonical headers written into
    templates; ``aliases`` are further accepted spellings."""

    field: str
    ja: str
    en: str
    label: str | Promise
    value: str = TEXT
    required: bool = False
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    example_ja: str = ""
    example_en: str = ""

    def header(self, language: str) -> str:
        return self.ja if language.startswith("ja") else self.en


EMPLOYEE_COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_number",
        "社員番号",
        "employee_number",
        _("Employee number"),
        CODE,
        required=True,
        max_length=50,
        aliases=("従業員番号", "社員コード", "社員ID", "employee no", "employee id", "emp_no"),
        example_ja="1001",
        example_en="1001",
    ),
    Column(
        "family_name",
        "姓",
        "family_name",
        _("Family name"),
        required=True,
        max_length=100,
        aliases=("氏", "last_name", "surname"),
        example_ja="山田",
        example_en="Yamada",
    ),
    Column(
        "given_name",
        "名",
        "given_name",
        _("Given name"),
        required=True,
        max_length=100,
        aliases=("first_name",),
        example_ja="花子",
        example_en="Hanako",
    ),
    Column(
        "family_name_kana",
        "セイ",
        "family_name_kana",
        _("Family name (kana)"),
        max_length=100,
        aliases=("姓カナ", "セイ(姓カナ)", "姓(カナ)", "姓(フリガナ)", "last_name_kana"),
        example_ja="ヤマダ",
        example_en="ヤマダ",
    ),
    Column(
        "given_name_kana",
        "メイ",
        "given_name_kana",
        _("Given name (kana)"),
        max_length=100,
        aliases=("名カナ", "メイ(名カナ)", "名(カナ)", "名(フリガナ)", "first_name_kana"),
        example_ja="ハナコ",
        example_en="ハナコ",
    ),
    Column(
        "email",
        "メールアドレス",
        "email",
        _("Email address"),
        EMAIL,
        required=True,
        max_length=254,
        aliases=("メール", "email_address", "e-mail", "mail"),
        example_ja="hanako.yamada@example.co.jp",
        example_en="hanako.yamada@example.com",
    ),
    Column(
        "hire_date",
        "入社日",
        "hire_date",
        _("Hire date"),
        DATE,
        required=True,
        aliases=("入社年月日", "start_date"),
        example_ja="2024/04/01",
        example_en="2024-04-01",
    ),
    Column(
        "leave_date",
        "退職日",
        "leave_date",
        _("Leave date"),
        DATE,
        aliases=("退職年月日", "end_date", "termination_date"),
    ),
    Column(
        "leave_reason",
        "退職理由",
        "leave_reason",
        _("Leave reason"),
        CHOICE,
        aliases=("退職事由",),
    ),
    Column(
        "department_code",
        "部署コード",
        "department_code",
        _("Department code"),
        CODE,
        required=True,
        max_length=50,
        aliases=("所属部署コード", "所属コード", "dept_code"),
        example_ja="D100",
        example_en="D100",
    ),
    Column(
        "manager_employee_number",
        "上長社員番号",
        "manager_employee_number",
        _("Manager's employee number"),
        CODE,
        max_length=50,
        aliases=("上司社員番号", "上長の社員番号", "manager_number", "manager"),
        example_ja="1000",
        example_en="1000",
    ),
    Column(
        "job_level",
        "役職・等級",
        "job_level",
        _("Job level"),
        max_length=50,
        aliases=("役職", "等級", "grade"),
        example_ja="課長",
        example_en="Manager",
    ),
    Column(
        "employment_type",
        "雇用形態",
        "employment_type",
        _("Employment type"),
        CHOICE,
        aliases=("雇用区分",),
        example_ja="正社員",
        example_en="full_time",
    ),
    Column(
        "location",
        "勤務地",
        "location",
        _("Location"),
        max_length=100,
        aliases=("勤務場所", "拠点", "office", "work_location"),
        example_ja="東京本社",
        example_en="Tokyo HQ",
    ),
    Column(
        "gender",
        "性別",
        "gender",
        _("Gender"),
        CHOICE,
        aliases=("sex",),
        example_ja="女性",
        example_en="female",
    ),
    Column(
        "birth_year",
        "生年",
        "birth_year",
        _("Birth year"),
        YEAR,
        aliases=("生まれ年", "誕生年", "year_of_birth"),
        example_ja="1990",
        example_en="1990",
    ),
)

DEPARTMENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "部署コード",
        "code",
        _("Department code"),
        CODE,
        required=True,
        max_length=50,
        aliases=("department_code", "dept_code"),
        example_ja="D110",
        example_en="D110",
    ),
    Column(
        "name",
        "部署名",
        "name",
        _("Department name"),
        required=True,
        max_length=200,
        aliases=("department_name",),
        example_ja="営業一課",
        example_en="営業一課",
    ),
    Column(
        "name_en",
        "部署名(英語)",
        "name_en",
        _("Department name (English)"),
        max_length=200,
        aliases=("部署名(英)", "英語部署名", "english_name", "department_name_en"),
        example_ja="Sales Section 1",
        example_en="Sales Section 1",
    ),
    Column(
        "parent_code",
        "親部署コード",
        "parent_code",
        _("Parent department code"),
        CODE,
        max_length=50,
        aliases=("上位部署コード", "parent_department_code", "parent"),
        example_ja="D100",
        example_en="D100",
    ),
    Column(
        "sort_order",
        "表示順",
        "sort_order",
        _("Display order"),
        INTEGER,
        aliases=("並び順", "display_order", "order"),
        example_ja="10",
        example_en="10",
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    EMPLOYEES: EMPLOYEE_COLUMNS,
    DEPARTMENTS: DEPARTMENT_COLUMNS,
}

# Kinds whose files may carry "custom:NAME" / "属性:NAME" columns.
CUSTOM_KINDS = frozenset({EMPLOYEES})
CUSTOM_FIELD = "custom"
_CUSTOM_HEADER = re.compile(r"^\s*(custom|属性)\s*:\s*(.*)$", re.IGNORECASE)

# Choice columns: the model's choices plus the Japanese words HR files actually contain.
# The English labels (and their translations in every language) are added at run time.
CHOICES: dict[str, type[TextChoices]] = {
    "employment_type": EmploymentType,
    "gender": Gender,
    "leave_reason": LeaveReason,
}
CHOICE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "employment_type": {
        EmploymentType.FULL_TIME: ("正社員", "正規社員", "正規", "full time", "fulltime"),
        EmploymentType.CONTRACT: ("契約社員", "契約"),
        EmploymentType.PART_TIME: ("パート・アルバイト", "パート", "アルバイト", "part time"),
        EmploymentType.TEMPORARY: ("派遣", "派遣社員", "temporary", "agency"),
        EmploymentType.OTHER: ("その他",),
    },
    "gender": {
        Gender.FEMALE: ("女性", "女"),
        Gender.MALE: ("男性", "男"),
        Gender.OTHER: ("その他",),
        Gender.UNDISCLOSED: ("回答しない", "無回答", "未回答"),
    },
    "leave_reason": {
        LeaveReason.VOLUNTARY: ("自己都合", "自己都合退職"),
        LeaveReason.INVOLUNTARY: ("会社都合", "会社都合退職", "解雇"),
        LeaveReason.RETIREMENT: ("定年", "定年退職"),
        LeaveReason.CONTRACT_END: ("契約満了", "期間満了"),
        LeaveReason.OTHER: ("その他",),
    },
}
# The value shown in Japanese lists of accepted values (first alias is the usual word).
_CHOICE_JA = {
    field: {str(code): words[0] for code, words in table.items()}
    for field, table in CHOICE_ALIASES.items()
}

# Range marks count as punctuation: Shift_JIS files saved by Excel write "50～299名"
# (FULLWIDTH TILDE) where UTF-8 ones have "50〜299名" (WAVE DASH), and people type "50-299".
_PUNCTUATION = re.compile(r"[\s_\-・/()\[\]*~〜～‐–—−]")


def header_key(text: str) -> str:
    """The comparison key of a header or choice value (width, case, spacing ignored)."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).casefold())


def columns_for(kind: str) -> tuple[Column, ...]:
    try:
        return COLUMNS[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}") from None


def _alias_table(kind: str) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in columns_for(kind):
        for spelling in (column.ja, column.en, column.field, *column.aliases):
            table.setdefault(header_key(spelling), column)
    return table


def custom_name(header: str) -> str | None:
    """The attribute name of a "custom:NAME" / "属性:NAME" header ("" if the name is
    missing), or None for any other header. The name is NFKC-normalised so that "チーム"
    typed with half-width kana or a full-width colon still lands on the same key."""
    match = _CUSTOM_HEADER.match(unicodedata.normalize("NFKC", header))
    return None if match is None else match.group(2).strip()


@dataclass(frozen=True)
class HeaderColumn:
    """A column of the file as recognised: its position, the header as written, and
    either the ``Column`` it maps to or the custom attribute name."""

    index: int
    header: str
    column: Column | None = None
    custom: str | None = None


# A header problem: (header as written, message code, message params).
HeaderProblem = tuple[str, str, dict[str, str]]


def match_header(kind: str, header: list[str]) -> tuple[list[HeaderColumn], list[HeaderProblem]]:
    """Map each header cell to a column. Returns the recognised columns and the problems
    as (column, code, params) triples; blank header cells are skipped here (data under
    them is reported per row)."""
    aliases = _alias_table(kind)
    found: list[HeaderColumn] = []
    problems: list[HeaderProblem] = []
    seen_fields: dict[str, str] = {}
    seen_custom: dict[str, str] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        name = custom_name(text)
        if name is not None:
            if kind not in CUSTOM_KINDS:
                problems.append((text, "unknown_column", {"column": text}))
            elif not name:
                problems.append((text, "custom_without_name", {"column": text}))
            elif name in seen_custom:
                problems.append(
                    (text, "duplicate_column", {"column": text, "other": seen_custom[name]})
                )
            else:
                seen_custom[name] = text
                found.append(HeaderColumn(index, text, custom=name))
            continue
        column = aliases.get(header_key(text))
        if column is None:
            problems.append((text, *_unknown(kind, text, aliases)))
        elif column.field in seen_fields:
            problems.append(
                (text, "duplicate_column", {"column": text, "other": seen_fields[column.field]})
            )
        else:
            seen_fields[column.field] = text
            found.append(HeaderColumn(index, text, column=column))
    return found, problems


def _unknown(kind: str, text: str, aliases: Mapping[str, Column]) -> tuple[str, dict[str, str]]:
    """The error for an unrecognised header, suggesting the nearest known header (in the
    header's own script) when the difference looks like a typo."""
    key = header_key(text)
    close = difflib.get_close_matches(key, list(aliases), n=1, cutoff=0.75)
    if close:
        column = aliases[close[0]]
        suggestion = column.ja if re.search(r"[^\x00-\x7f]", text) else column.en
        return "unknown_column_suggest", {"column": text, "suggestion": suggestion}
    if kind in CUSTOM_KINDS:
        return "unknown_column_custom", {"column": text}
    return "unknown_column", {"column": text}


def spellings(choices: type[TextChoices], aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Every accepted spelling of a choice column's values -> the stored code: the words in
    ``aliases`` first, then the code itself and its label in each configured language.
    Shared by every import (employees, customers) so a value is read the same way."""
    lookup: dict[str, str] = {}
    for code, words in aliases.items():
        for word in words:
            lookup.setdefault(header_key(word), str(code))
    for member in choices:
        lookup.setdefault(header_key(member.value), member.value)
        for language, _name in settings.LANGUAGES:
            with override(language):
                lookup.setdefault(header_key(str(member.label)), member.value)
    return lookup


def suggested_values(
    choices: type[TextChoices], japanese: Mapping[str, str], language: str
) -> list[str]:
    """The values to suggest in an "invalid choice" message, in ``language``."""
    if language.startswith("ja"):
        return list(japanese.values())
    return [str(code) for code in choices.values]


def choice_lookup(field: str) -> dict[str, str]:
    return spellings(CHOICES[field], CHOICE_ALIASES[field])


def choice_label(field: str, code: str) -> str:
    """The label of a stored choice in the active language (for previews)."""
    return str(CHOICES[field](code).label)


def accepted_values(field: str, language: str) -> list[str]:
    return suggested_values(CHOICES[field], _CHOICE_JA[field], language)


def preview_columns(kind: str) -> list[tuple[str, str]]:
    """(field name, translated label) pairs in display order for the preview table."""
    result = [(column.field, str(column.label)) for column in columns_for(kind)]
    if kind in CUSTOM_KINDS:
        result.append((CUSTOM_FIELD, str(_("Custom attributes"))))
    return result


def template_csv(kind: str, language: str) -> str:
    """A header line in ``language`` plus one example row, for users to fill in. The
    caller adds the BOM Excel needs to open UTF-8 CSV correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = columns_for(kind)
    ja = language.startswith("ja")
    writer.writerow([column.header(language) for column in columns])
    writer.writerow([column.example_ja if ja else column.example_en for column in columns])
    return buffer.getvalue()

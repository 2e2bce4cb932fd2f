"""A tiny company whose turnover is worked out by hand in the tests (April fiscal year).

Departments: 本社 (root) → 営業部 (→ 営業1課), 開発部.

| who | hired      | department (history)              | left       | reason      |
|-----|------------|-----------------------------------|------------|-------------|
| P1  | 2020-04-01 | 本社                              | —          |             |
| P2  | 2020-04-01 | 営業部                            | —          |             |
| P3  | 2020-04-01 | 営業1課                           | 2025-04-30 | voluntary   |
| P4  | 2020-04-01 | 営業1課                           | 2025-06-15 | involuntary |
| P5  | 2020-04-01 | 開発部                            | —          |             |
| P6  | 2020-04-01 | 開発部                            | 2025-04-01 | voluntary   |
| P7  | 2025-05-01 | 開発部                            | 2025-05-31 | voluntary   |
| P8  | 2020-04-01 | 営業1課, 開発部 from 2025-07-01    | 2025-12-31 | voluntary   |
| P9  | 2024-10-01 | 開発部                            | 2025-03-31 | retirement  |
| P10 | 2025-04-02 | 営業部                            | —          |             |
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuna.org import services
from kizuna.org.models import Department, Employee

D = dt.date


def make_person(
    number: str,
    dept: Department,
    hired: dt.date,
    left: dt.date | None = None,
    reason: str = "",
    moves: tuple[tuple[dt.date, Department], ...] = (),
) -> Employee:
    person = Employee.objects.create(
        employee_number=number,
        family_name="試験",
        given_name=number,
        email=f"{number.lower()}@tiny.example",
        hire_date=hired,
        leave_date=left,
        leave_reason=reason,
        department=dept,
    )
    services.record_employee_change(person, hired)
    for day, target in moves:
        person.department = target
        person.save()
        services.record_employee_change(person, day)
    return person


@pytest.fixture
def tiny(db: None) -> dict[str, Any]:
    services.save_departments(
        [
            {"code": "T-ROOT", "name": "本社", "name_en": "HQ"},
            {"code": "T-A", "name": "営業部", "name_en": "Sales", "parent_code": "T-ROOT"},
            {"code": "T-A1", "name": "営業1課", "name_en": "Sales 1", "parent_code": "T-A"},
            {"code": "T-B", "name": "開発部", "name_en": "Engineering", "parent_code": "T-ROOT"},
        ],
        D(2020, 4, 1),
    )
    d = {x.code.removeprefix("T-"): x for x in Department.objects.all()}
    people = {
        "P1": make_person("P1", d["ROOT"], D(2020, 4, 1)),
        "P2": make_person("P2", d["A"], D(2020, 4, 1)),
        "P3": make_person("P3", d["A1"], D(2020, 4, 1), D(2025, 4, 30), "voluntary"),
        "P4": make_person("P4", d["A1"], D(2020, 4, 1), D(2025, 6, 15), "involuntary"),
        "P5": make_person("P5", d["B"], D(2020, 4, 1)),
        "P6": make_person("P6", d["B"], D(2020, 4, 1), D(2025, 4, 1), "voluntary"),
        "P7": make_person("P7", d["B"], D(2025, 5, 1), D(2025, 5, 31), "voluntary"),
        "P8": make_person(
            "P8",
            d["A1"],
            D(2020, 4, 1),
            D(2025, 12, 31),
            "voluntary",
            moves=((D(2025, 7, 1), d["B"]),),
        ),
        "P9": make_person("P9", d["B"], D(2024, 10, 1), D(2025, 3, 31), "retirement"),
        "P10": make_person("P10", d["A"], D(2025, 4, 2)),
    }
    return {"departments": d, "people": people}

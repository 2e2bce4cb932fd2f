"""Shared fixtures: a small company and one login per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from kizuna.core import access
from kizuna.core.models import User
from kizuna.core.roles import ALL_ROLES
from kizuna.org import services
from kizuna.org.models import Department, Employee

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(email: str, *roles: str, employee: Employee | None = None) -> User:
        user = User.objects.create_user(email, PASSWORD, display_name=email.split("@")[0])
        access.set_roles(user, set(roles))
        if employee is not None:
            employee.user = user
            employee.save(update_fields=["user"])
        return user

    return make


@pytest.fixture
def company(db: None) -> dict[str, object]:
    """株式会社テスト: root → 営業部 (→ 営業1課), 開発部. Six people.

    Heads: root 社長 (E001), 営業部 部長 (E002), 営業1課 課長 (E003), 開発部 部長 (E005).
    """
    start = dt.date(2020, 4, 1)
    services.save_departments(
        [
            {"code": "ROOT", "name": "株式会社テスト", "name_en": "Test Inc."},
            {"code": "SALES", "name": "営業部", "name_en": "Sales", "parent_code": "ROOT"},
            {"code": "SALES1", "name": "営業1課", "name_en": "Sales 1", "parent_code": "SALES"},
            {"code": "DEV", "name": "開発部", "name_en": "Engineering", "parent_code": "ROOT"},
        ],
        start,
    )
    depts = {d.code: d for d in Department.objects.all()}
    people: dict[str, Employee] = {}

    def hire(number: str, family: str, given: str, dept: str, manager: str | None) -> Employee:
        employee = Employee.objects.create(
            employee_number=number,
            family_name=family,
            given_name=given,
            email=f"{number.lower()}@test.example",
            hire_date=start,
            department=depts[dept],
            manager=people.get(manager) if manager else None,
        )
        services.record_employee_change(employee, start)
        people[number] = employee
        return employee

    hire("E001", "山田", "太郎", "ROOT", None)
    hire("E002", "佐藤", "花子", "SALES", "E001")
    hire("E003", "鈴木", "一郎", "SALES1", "E002")
    hire("E004", "高橋", "二郎", "SALES1", "E003")
    hire("E005", "田中", "美咲", "DEV", "E001")
    hire("E006", "伊藤", "健", "DEV", "E005")
    for code, number in [("ROOT", "E001"), ("SALES", "E002"), ("SALES1", "E003"), ("DEV", "E005")]:
        depts[code].head = people[number]
        depts[code].save(update_fields=["head"])
    return {"departments": depts, "people": people}


@pytest.fixture
def role_users(company: dict[str, object], make_user: Callable[..., User]) -> dict[str, User]:
    """One login per role. The manager heads 営業部; the employee is 高橋 in 営業1課."""
    people: dict[str, Employee] = company["people"]  # type: ignore[assignment]
    linked = {"manager": people["E002"], "employee": people["E004"], "executive": people["E001"]}
    return {
        role: make_user(f"{role}@test.example", role, employee=linked.get(role))
        for role in ALL_ROLES
    }


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def do(user: User) -> Client:
        client.force_login(user)
        return client

    return do

"""The org on any past date can be reconstructed from the history the services keep."""

from __future__ import annotations

import datetime as dt

import pytest

from kizuna.org import services
from kizuna.org.models import Department, Employee, EmployeeHistory


@pytest.mark.django_db
def test_a_transfer_closes_the_old_assignment_and_opens_a_new_one(company) -> None:  # type: ignore[no-untyped-def]
    ito = company["people"]["E006"]
    sales1 = company["departments"]["SALES1"]
    ito.department = sales1
    ito.save()
    assert services.record_employee_change(ito, dt.date(2025, 10, 1))
    rows = list(EmployeeHistory.objects.filter(employee=ito).order_by("valid_from"))
    assert [(r.valid_from, r.valid_to, r.department.code) for r in rows] == [
        (dt.date(2020, 4, 1), dt.date(2025, 10, 1), "DEV"),
        (dt.date(2025, 10, 1), None, "SALES1"),
    ]
    then = {
        h.employee.employee_number: h.department.code
        for h in services.org_as_of(dt.date(2025, 9, 30))
    }
    now = {
        h.employee.employee_number: h.department.code
        for h in services.org_as_of(dt.date(2025, 10, 1))
    }
    assert then["E006"] == "DEV" and now["E006"] == "SALES1"


@pytest.mark.django_db
def test_unchanged_attributes_record_nothing(company) -> None:  # type: ignore[no-untyped-def]
    tanaka = company["people"]["E005"]
    tanaka.family_name = "田中（旧姓）"  # not a tracked attribute
    tanaka.save()
    assert not services.record_employee_change(tanaka, dt.date(2025, 1, 1))
    assert EmployeeHistory.objects.filter(employee=tanaka).count() == 1


@pytest.mark.django_db
def test_leavers_and_future_hires_are_not_in_the_snapshot(company) -> None:  # type: ignore[no-untyped-def]
    sato = company["people"]["E002"]
    sato.leave_date = dt.date(2025, 3, 31)  # last working day
    sato.save()
    newcomer = Employee.objects.create(
        employee_number="E100",
        family_name="新人",
        given_name="さん",
        hire_date=dt.date(2025, 4, 1),
        department=company["departments"]["DEV"],
    )
    services.record_employee_change(newcomer, newcomer.hire_date)
    on_31 = {h.employee.employee_number for h in services.org_as_of(dt.date(2025, 3, 31))}
    on_1 = {h.employee.employee_number for h in services.org_as_of(dt.date(2025, 4, 1))}
    assert "E002" in on_31 and "E100" not in on_31
    assert "E002" not in on_1 and "E100" in on_1
    assert services.employed_on(dt.date(2025, 4, 1)).count() == 6


@pytest.mark.django_db
def test_subtree_covers_every_depth_and_nothing_else(company) -> None:  # type: ignore[no-untyped-def]
    sales = company["departments"]["SALES"]
    assert {d.code for d in services.subtree(sales)} == {"SALES", "SALES1"}
    root = company["departments"]["ROOT"]
    assert services.subtree(root).count() == 4
    assert sales.path.startswith(root.path) and sales.depth == 1


@pytest.mark.django_db
def test_moving_a_department_moves_its_subtree_and_keeps_the_old_tree(company) -> None:  # type: ignore[no-untyped-def]
    services.save_departments(
        [{"code": "SALES1", "name": "営業1課", "parent_code": "DEV"}], dt.date(2026, 4, 1)
    )
    dev = Department.objects.get(code="DEV")
    assert {d.code for d in services.subtree(dev)} == {"DEV", "SALES1"}
    before = {
        h.department.code: h.parent_id for h in services.departments_as_of(dt.date(2026, 3, 31))
    }
    after = {
        h.department.code: h.parent_id for h in services.departments_as_of(dt.date(2026, 4, 1))
    }
    assert before["SALES1"] == company["departments"]["SALES"].pk
    assert after["SALES1"] == dev.pk


@pytest.mark.django_db
def test_a_department_cycle_is_refused(company) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="cycle"):
        services.save_departments(
            [{"code": "SALES", "name": "営業部", "parent_code": "SALES1"}], dt.date(2026, 4, 1)
        )

"""The demo company: shape, people, history, logins, idempotency, determinism, scale.

Expected values come from the brief and the builder's parameters, not from its output:
300 active people (exactly: the plan fills departments to the requested headcount), ~5%
yearly growth and ~11% yearly turnover, so a year ago the company had about 300/1.05 ≈ 286
people and roughly 30 people left in each of the last two years.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import statistics
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, Q

from kizuna.core import access
from kizuna.core.models import User, UserRole
from kizuna.org import services
from kizuna.org.demo import DEMO_PASSWORD, DemoError, build_demo
from kizuna.org.demo_names import FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES
from kizuna.org.models import (
    Department,
    DepartmentHistory,
    Employee,
    EmployeeHistory,
    EmploymentType,
    Organization,
)

TODAY = dt.date(2026, 11, 26)
YEAR_AGO = TODAY - dt.timedelta(days=365)
TWO_YEARS_AGO = TODAY - dt.timedelta(days=730)
KATAKANA = re.compile(r"^[ァ-ヶー]+$")


@pytest.fixture
def demo(db: None):
    return build_demo(300, today=TODAY)


def active() -> list[Employee]:
    return list(services.employed_on(TODAY).select_related("department", "manager"))


def active_counts() -> dict[int, int]:
    rows = services.employed_on(TODAY).values("department").annotate(n=Count("pk"))
    return {row["department"]: row["n"] for row in rows}


def leaf_departments() -> list[Department]:
    return list(Department.objects.filter(children__isnull=True))


def subtree_headcount(dept: Department) -> int:
    return services.employed_on(TODAY).filter(department__path__startswith=dept.path).count()


# --- the organisation -------------------------------------------------------------------


def test_the_company_is_marked_as_the_demo(demo) -> None:
    org = Organization.current()
    assert demo.created
    assert (org.name, org.name_en, org.fiscal_year_start_month, org.is_demo) == (
        "株式会社サンプル",
        "Sample Co., Ltd.",
        4,
        True,
    )


def test_active_headcount_is_the_requested_number(demo) -> None:
    assert abs(len(active()) - 300) <= 15


def test_department_tree_is_deep_and_has_the_usual_divisions(demo) -> None:
    root = Department.objects.get(parent__isnull=True)
    assert root.name == "株式会社サンプル"
    top = set(root.children.values_list("name", flat=True))
    assert {
        "経営企画部",
        "営業本部",
        "カスタマーサクセス部",
        "開発本部",
        "マーケティング部",
        "人事部",
        "コーポレート本部",
    } <= top
    assert max(Department.objects.values_list("depth", flat=True)) >= 3
    sales = root.children.get(name="営業本部")
    for name in ("営業1部", "営業2部"):
        assert sales.children.get(name=name).children.exists()  # 課 below each 部
    engineering = services.subtree(root.children.get(name="開発本部"))
    names = " ".join(engineering.values_list("name", flat=True))
    for team in ("プラットフォーム", "モバイル", "QA", "SRE"):
        assert team in names
    corporate = root.children.get(name="コーポレート本部")
    assert {"経理課", "法務課", "総務課"} <= set(corporate.children.values_list("name", flat=True))
    assert not Department.objects.filter(Q(name_en="") | Q(code="")).exists()


def test_every_department_is_led_by_an_active_member(demo) -> None:
    for dept in Department.objects.select_related("head"):
        assert dept.head is not None, dept.name
        assert dept.head.department_id == dept.pk
        assert dept.head.is_employed_on(TODAY)


def test_reporting_lines_follow_the_tree(demo) -> None:
    root = Department.objects.get(parent__isnull=True)
    heads = {d.pk: d.head_id for d in Department.objects.all()}
    parents = {d.pk: d.parent_id for d in Department.objects.all()}
    people = {e.pk: e for e in active()}
    for person in people.values():
        if person.pk == root.head_id:
            assert person.manager_id is None  # 代表取締役
            continue
        assert person.manager_id in people, f"{person} reports to someone inactive"
        own_dept = person.department_id
        if heads[own_dept] == person.pk:  # a head reports to the head one level up
            parent = parents[own_dept]
            assert parent is not None
            expected = heads[parent]
        else:
            expected = heads[own_dept]
        assert person.manager_id == expected
    for person in people.values():  # no cycles: every chain ends at the CEO
        seen: set[int] = set()
        node = person
        while node.manager_id is not None:
            assert node.pk not in seen
            seen.add(node.pk)
            node = people[node.manager_id]
        assert node.pk == root.head_id


def test_there_are_small_teams_of_three_or_four(demo) -> None:
    counts = active_counts()
    small = [d for d in leaf_departments() if 3 <= counts.get(d.pk, 0) <= 4]
    assert len(small) >= 2


def test_teams_have_realistic_sizes(demo) -> None:
    counts = active_counts()
    sizes = [counts.get(d.pk, 0) for d in leaf_departments()]
    assert min(sizes) >= 3
    assert max(sizes) <= 15
    assert 5 <= statistics.median(sizes) <= 12


# --- the people -------------------------------------------------------------------------


def test_names_have_the_matching_kana(demo) -> None:
    families = {kanji: kana for kanji, kana, _romaji in FAMILY_NAMES}
    givens = {n[0]: n[1] for n in MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES}
    for person in Employee.objects.all():
        assert families[person.family_name] == person.family_name_kana
        assert givens[person.given_name] == person.given_name_kana
        assert KATAKANA.match(person.family_name_kana) and KATAKANA.match(person.given_name_kana)


def test_people_have_realistic_attributes(demo) -> None:
    everyone = list(Employee.objects.all())
    emails = [p.email for p in everyone]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@sample.example") for e in emails)
    numbers = [p.employee_number for p in everyone]
    assert len(set(numbers)) == len(numbers)
    people = active()
    kinds = Counter(p.employment_type for p in people)
    assert kinds[EmploymentType.FULL_TIME] >= 0.8 * len(people)
    assert kinds[EmploymentType.CONTRACT] + kinds[EmploymentType.PART_TIME] > 0
    assert {p.location for p in people} == {"東京本社", "大阪支社", "福岡オフィス", "リモート"}
    assert sum(1 for p in people if p.gender) >= 0.9 * len(people)
    assert sum(1 for p in people if p.birth_year) >= 0.9 * len(people)
    assert all(p.custom.get("職種") for p in people)
    levels = Counter(p.job_level for p in people)
    assert {"一般", "主任", "課長", "部長", "本部長", "役員"} <= set(levels)
    assert levels["一般"] > levels["課長"] > levels["部長"]
    for person in people:
        assert 18 <= TODAY.year - (person.birth_year or 1990) <= 65


def test_two_years_of_hires_and_leavers(demo) -> None:
    assert not Employee.objects.filter(hire_date__gt=TODAY).exists()
    for start, end in ((TWO_YEARS_AGO, YEAR_AGO), (YEAR_AGO, TODAY)):
        hires = Employee.objects.filter(hire_date__gt=start, hire_date__lte=end).count()
        leavers = Employee.objects.filter(leave_date__gt=start, leave_date__lte=end).count()
        assert hires >= 15, (start, hires)
        # ~11% of ~290 people a year
        assert 17 <= leavers <= 48, (start, leavers)
    gone = Employee.objects.filter(leave_date__isnull=False)
    assert gone.count() == gone.filter(leave_date__lt=TODAY).count()
    assert not gone.filter(leave_date__lt=TWO_YEARS_AGO).exists()
    assert not gone.filter(leave_reason="").exists()
    assert not Employee.objects.filter(leave_date__isnull=True).exclude(leave_reason="").exists()
    reasons: Counter[str] = Counter(gone.values_list("leave_reason", flat=True))
    assert reasons["voluntary"] > gone.count() / 2
    assert Employee.objects.filter(hire_date__lt=dt.date(2008, 1, 1)).exists()  # tenured base


def test_history_rows_are_contiguous_and_end_in_the_current_state(demo) -> None:
    rows: dict[int, list[EmployeeHistory]] = {}
    for row in EmployeeHistory.objects.order_by("employee", "valid_from"):
        rows.setdefault(row.employee_id, []).append(row)
    people = list(Employee.objects.all())
    assert set(rows) == {p.pk for p in people}
    for person in people:
        history = rows[person.pk]
        assert history[0].valid_from == person.hire_date
        for row, following in itertools.pairwise(history):
            assert row.valid_to is not None
            assert row.valid_from < row.valid_to == following.valid_from
        current = history[-1]
        assert current.valid_to is None
        assert {name: getattr(current, name) for name in Employee.HISTORY_FIELDS} == (
            person.history_values()
        )
    moved = [pk for pk, history in rows.items() if len(history) > 1]
    # transfers ~5%/year + promotions ~4%/year over two years: ~50 of 300 people
    assert len(moved) >= 25


def test_org_as_of_a_year_ago(demo) -> None:
    snapshot = list(services.org_as_of(YEAR_AGO))
    assert len(snapshot) == services.employed_on(YEAR_AGO).count()
    assert 255 <= len(snapshot) <= 300  # about 300 / 1.05
    then = {row.employee_id: row.department_id for row in snapshot}
    assert len(then) == len(snapshot)  # one row per person
    for row in snapshot:  # every manager then was on the payroll then
        assert row.manager_id is None or row.manager_id in then
    now = {p.pk: p.department_id for p in active()}
    both = then.keys() & now.keys()
    moved = [pk for pk in both if then[pk] != now[pk]]
    assert moved
    assert len(moved) < len(both) / 4


def test_departments_have_one_open_history_row(demo) -> None:
    for dept in Department.objects.all():
        rows = list(DepartmentHistory.objects.filter(department=dept))
        assert len(rows) == 1
        assert (rows[0].valid_from, rows[0].valid_to) == (dept.opened_on, None)
        assert (rows[0].name, rows[0].parent_id) == (dept.name, dept.parent_id)
        if dept.parent is not None:
            assert dept.parent.opened_on <= dept.opened_on
    snapshot = services.departments_as_of(YEAR_AGO)
    # one team was founded within the last year
    assert 0 < snapshot.count() < Department.objects.count()


# --- logins -----------------------------------------------------------------------------


def test_one_login_per_role(demo) -> None:
    assert [login.role for login in demo.logins] == [
        "admin",
        "hr",
        "manager",
        "employee",
        "csm",
        "support",
        "marketer",
        "executive",
    ]
    for login in demo.logins:
        assert login.email == f"{login.role}@sample.example"
        assert login.password == DEMO_PASSWORD == "kizuna-demo"
        user = User.objects.get(email=login.email)
        assert user.check_password(DEMO_PASSWORD)
        assert user.display_name == login.name and " " in login.name
        assert set(UserRole.objects.filter(user=user).values_list("role", flat=True)) == {
            login.role
        }
    assert User.objects.get(email="admin@sample.example").is_superuser
    linked = list(Employee.objects.filter(user__isnull=False).select_related("user"))
    users = {e.pk: e.user for e in linked if e.user is not None}
    assert {u.email for u in users.values()} == {
        "hr@sample.example",
        "manager@sample.example",
        "employee@sample.example",
        "executive@sample.example",
    }
    for employee in linked:
        assert employee.email == users[employee.pk].email
        assert employee.is_employed_on(TODAY)
        assert users[employee.pk].display_name == employee.full_name
    by_role = {users[e.pk].email.split("@")[0]: e for e in linked}
    root = Department.objects.get(parent__isnull=True)
    assert by_role["executive"].pk == root.head_id
    assert by_role["hr"].department.name.startswith("人事")
    team = by_role["employee"].department
    assert not team.children.exists() and 3 <= subtree_headcount(team) <= 4


def test_the_manager_login_heads_a_real_subtree(demo) -> None:
    user = User.objects.get(email="manager@sample.example")
    employee = Employee.objects.get(user=user)
    headed = Department.objects.get(head=employee)
    below = services.subtree(headed)
    assert max(below.values_list("depth", flat=True)) - headed.depth >= 2
    assert subtree_headcount(headed) >= 10
    visible = access.visible_employees(user)
    assert 10 <= visible.count() < Employee.objects.count()
    assert visible.filter(pk=employee.pk).exists()
    ceo = Department.objects.get(parent__isnull=True).head
    assert ceo is not None and not visible.filter(pk=ceo.pk).exists()


# --- idempotency, determinism, guard rails, scale -----------------------------------------


def test_a_second_call_creates_nothing(demo) -> None:
    counts = (
        Department.objects.count(),
        Employee.objects.count(),
        EmployeeHistory.objects.count(),
        User.objects.count(),
    )
    again = build_demo(300, today=TODAY)
    assert not again.created
    assert again.logins == demo.logins
    assert counts == (
        Department.objects.count(),
        Employee.objects.count(),
        EmployeeHistory.objects.count(),
        User.objects.count(),
    )


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_company() -> None:
    def people() -> list[tuple[str, str, str, str, str]]:
        return list(
            Employee.objects.order_by("employee_number").values_list(
                "employee_number", "family_name", "given_name", "email", "department__code"
            )
        )

    with transaction.atomic():
        build_demo(300, seed=7, today=TODAY)
        first = people()
        transaction.set_rollback(True)
    with transaction.atomic():
        build_demo(300, seed=8, today=TODAY)
        other = people()
        transaction.set_rollback(True)
    build_demo(300, seed=7, today=TODAY)
    assert people() == first
    assert other != first


@pytest.mark.django_db
def test_refuses_a_database_with_real_people(company) -> None:
    before = Employee.objects.count()
    with pytest.raises(DemoError):
        build_demo(300, today=TODAY)
    assert Employee.objects.count() == before
    assert not Organization.current().is_demo


@pytest.mark.django_db
def test_reports_progress() -> None:
    messages: list[str] = []
    build_demo(300, today=TODAY, progress=messages.append)
    assert len(messages) >= 4
    assert all(isinstance(m, str) and m for m in messages)


@pytest.mark.django_db
def test_scales_to_two_thousand() -> None:
    build_demo(2000, today=TODAY)
    assert abs(services.employed_on(TODAY).count() - 2000) <= 100
    counts = active_counts()
    sizes = [counts.get(d.pk, 0) for d in leaf_departments()]
    assert 4 <= statistics.median(sizes) <= 20
    assert max(sizes) <= 15
    assert sum(1 for size in sizes if 3 <= size <= 4) >= 2  # the small teams are still there
    snapshot = services.org_as_of(YEAR_AGO).count()
    assert snapshot == services.employed_on(YEAR_AGO).count()
    assert 0.85 * 2000 <= snapshot <= 2000

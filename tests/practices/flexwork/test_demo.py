"""The demo: fast, idempotent, and the planted story is in the figures."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from kizuna.engagement.demo import declining_department
from kizuna.org.demo import build_demo as build_org
from kizuna.org.models import Department, Employee
from kizuna.practices.flexwork import demo, metrics
from kizuna.practices.flexwork.models import AttendanceDay, Policy, SideJobRequest

TODAY = dt.date(2026, 11, 26)


@pytest.mark.django_db
def test_the_demo_plants_its_story() -> None:
    build_org(300, today=TODAY)
    began = time.perf_counter()
    counts = demo.build_demo(TODAY, lambda message: None)
    elapsed = time.perf_counter() - began
    assert elapsed < 10, f"flexwork demo took {elapsed:.1f} s"
    assert counts["policies"] == 6 == Policy.objects.count()
    assert counts["attendance_days"] == AttendanceDay.objects.count() > 30_000
    assert SideJobRequest.objects.count() == counts["side_jobs"] == 8
    # weekdays only, and never outside someone's employment
    assert not AttendanceDay.objects.filter(date__week_day__in=[1, 7]).exists()
    for row in AttendanceDay.objects.select_related("employee")[:2000]:
        assert row.employee.is_employed_on(row.date)
    start, end = TODAY - dt.timedelta(days=183), TODAY
    absence = metrics.absence_rate(start, end).rate
    lateness = metrics.lateness_rate(start, end).rate
    assert absence is not None and 1.0 <= absence <= 2.5
    assert lateness is not None and 2.0 <= lateness <= 3.5
    declining = declining_department()
    assert declining is not None
    in_declining = Employee.objects.filter(department__path__startswith=declining.path)
    declining_lateness = metrics.lateness_rate(start, end, in_declining).rate
    assert declining_lateness is not None and declining_lateness > 1.5 * lateness
    # remote work: common in 開発本部, rare elsewhere
    dev = Department.objects.get(name="開発本部")
    sales = Department.objects.get(name="営業本部")
    by_dept = metrics.utilisation_by_department(start, end, [dev, sales])
    remote = {
        row.department.name: next(u for u in row.policies if u.policy.kind == "remote")
        for row in by_dept
    }
    assert (
        remote["開発本部"].everyone.rate is not None
        and remote["営業本部"].everyone.rate is not None
    )
    assert remote["開発本部"].everyone.rate > 80
    assert remote["営業本部"].everyone.rate < 40
    # 営業本部 managers hardly use flex time compared with their teams
    flex = next(u for u in by_dept[1].policies if u.policy.kind == "flex_core")
    assert flex.managers.rate is not None and flex.others.rate is not None
    assert flex.managers.rate < flex.others.rate / 2
    # a second call writes nothing
    assert demo.build_demo(TODAY, lambda message: None) == {}
    assert AttendanceDay.objects.count() == counts["attendance_days"]

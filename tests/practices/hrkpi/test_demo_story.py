"""The demo's turnover story: カスタマーサクセス部 loses people while its engagement falls."""

from __future__ import annotations

import datetime as dt

import pytest

from kizuna.engagement.demo import DECLINE_WAVES, _wave_dates, declining_department
from kizuna.org.demo import build_demo
from kizuna.org.models import Employee
from kizuna.practices.hrkpi import metrics

TODAY = dt.date(2026, 11, 26)


@pytest.mark.django_db
def test_the_declining_department_loses_people_while_engagement_falls() -> None:
    build_demo(300, today=TODAY)
    department = declining_department()
    assert department is not None
    waves = _wave_dates(TODAY)
    # waves 4–9 open 2026-02-05 … 2026-07-05: the decline months are February – July 2026
    start = waves[DECLINE_WAVES.start - 1][0].replace(day=1)
    end = metrics.month_end(waves[DECLINE_WAVES.stop - 2][1])
    assert (start, end) == (dt.date(2026, 2, 1), dt.date(2026, 7, 31))
    staff = metrics.Staff.load()
    company = staff.turnover(start, end)
    team = staff.turnover(start, end, metrics.scope_ids([department]))
    assert company.rate is not None and team.rate is not None
    # about 3× the company's rate; "clearly above" = at least twice, with real numbers
    assert team.voluntary >= 4
    assert team.rate >= 2 * company.rate, (team, company)
    assert team.voluntary_ratio.rate >= 2 * (company.voluntary_ratio.rate or 0)
    # and not before: the same six months a year earlier are unremarkable
    before = staff.turnover(
        start.replace(year=start.year - 1),
        end.replace(year=end.year - 1),
        metrics.scope_ids([department]),
    )
    assert (before.rate or 0) < team.rate
    # the company as a whole keeps the org demo's ~11% a year
    year = staff.turnover(TODAY - dt.timedelta(days=365), TODAY)
    assert year.rate is not None and 6 <= year.rate <= 16
    assert Employee.objects.filter(leave_date__isnull=False, leave_reason="").count() == 0

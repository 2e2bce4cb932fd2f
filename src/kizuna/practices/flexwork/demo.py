"""Demo data of the flexwork app: the six policies, six months of attendance for everyone
and a few side-job requests.

The story it plants:
- absence about 1–2 % and lateness about 2–3 % of scheduled days, both clearly higher in
  ``kizuna.engagement.demo.declining_department()`` (カスタマーサクセス部) while its
  engagement falls, easing over the last three months after the plan;
- remote work common in 開発本部, rare elsewhere;
- in 営業本部 and コーポレート本部 the managers hardly use flex time or remote work themselves
  (the "managers as role models" gap), while in 開発本部 they use them like their teams.

Weekdays are scheduled working days (Japanese public holidays are ignored: the
``holidays`` package is not a dependency). Everything is written with ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from kizuna.org.models import Department, Employee, EmploymentType
from kizuna.practices.flexwork.models import (
    AttendanceDay,
    Policy,
    PolicyKind,
    SideJobRequest,
    SideJobStatus,
    WorkStatus,
)

SEED = 20261206
DAYS = 183
REMOTE_DIVISION = "開発本部"
# divisions whose managers rarely use flex time or remote work themselves
LOW_ROLE_MODEL_DIVISIONS = ("営業本部", "コーポレート本部")


def _subtree_ids(name: str) -> set[int]:
    root = Department.objects.filter(name=name).order_by("depth").first()
    if root is None:
        return set()
    return set(Department.objects.filter(path__startswith=root.path).values_list("id", flat=True))


def _policies() -> list[Policy]:
    full_and_contract = [EmploymentType.FULL_TIME, EmploymentType.CONTRACT]
    dev = Department.objects.filter(name=REMOTE_DIVISION).order_by("depth").first()
    specs = [
        dict(
            kind=PolicyKind.FLEX_CORE,
            name="フレックスタイム（コアタイムあり）",
            description="コアタイム（11:00〜15:00）以外の始業・終業時刻を各自で決められます。"
            "清算期間は1か月です。",
            core_start=dt.time(11, 0),
            core_end=dt.time(15, 0),
            employment_types=full_and_contract,
        ),
        dict(
            kind=PolicyKind.FLEX_NO_CORE,
            name="スーパーフレックス（コアタイムなし）",
            description="コアタイムを設けず、働く時間帯を各自で決められます。"
            "チームの打ち合わせには参加してください。",
            employment_types=[EmploymentType.FULL_TIME],
            min_tenure_months=6,
        ),
        dict(
            kind=PolicyKind.REMOTE,
            name="リモートワーク（在宅勤務）",
            description="自宅などから働けます。週3日まで。業務に支障がない範囲で上長と調整してください。",
            max_days_per_week=3,
            employment_types=full_and_contract,
            min_tenure_months=3,
        ),
        dict(
            kind=PolicyKind.SHORT_HOURS,
            name="短時間勤務",
            description="育児・介護などのため、所定労働時間を1日6時間まで短くできます。",
        ),
        dict(
            kind=PolicyKind.HOURLY_LEAVE,
            name="時間単位有給休暇",
            description="年5日分まで、年次有給休暇を1時間単位で取得できます。",
            min_tenure_months=6,
        ),
        dict(
            kind=PolicyKind.SIDE_JOB,
            name="副業・兼業",
            description="競業や情報漏えいのおそれがなく、健康を損なわない範囲で副業・兼業を認めます。"
            "事前に申請し、人事の承認を受けてください。",
            employment_types=[EmploymentType.FULL_TIME],
            min_tenure_months=12,
        ),
    ]
    created = []
    for order, spec in enumerate(specs, start=1):
        policy = Policy.objects.create(sort_order=order, **spec)  # type: ignore[arg-type]
        if policy.kind == PolicyKind.FLEX_NO_CORE and dev is not None:
            policy.departments.set([dev])
        created.append(policy)
    return created


def build_demo(today: dt.date, progress: Callable[[str], None]) -> dict[str, int]:
    """Policies, attendance for the ``DAYS`` days before ``today`` and side jobs;
    does nothing when policies exist already."""
    if Policy.objects.exists() or not Employee.objects.exists():
        return {}
    rng = np.random.default_rng(SEED)
    progress(_("Creating flexible-work policies, attendance and side-job requests…"))
    with transaction.atomic():
        policies = _policies()
        days = _attendance(today, rng)
        side_jobs = _side_jobs(today, rng)
    return {"policies": len(policies), "attendance_days": days, "side_jobs": side_jobs}


def _attendance(today: dt.date, rng: np.random.Generator) -> int:
    first = today - dt.timedelta(days=DAYS)
    weekdays = [
        first + dt.timedelta(days=n)
        for n in range(DAYS)
        if (first + dt.timedelta(days=n)).weekday() < 5
    ]
    people = list(
        Employee.objects.filter(hire_date__lte=today - dt.timedelta(days=1))
        .exclude(leave_date__lt=first)
        .values_list("id", "department_id", "hire_date", "leave_date", "employment_type")
    )
    managers = set(
        Employee.objects.filter(manager__isnull=False).values_list("manager_id", flat=True)
    )
    dev = _subtree_ids(REMOTE_DIVISION)
    low_role_models: set[int] = set()
    for name in LOW_ROLE_MODEL_DIVISIONS:
        low_role_models |= _subtree_ids(name)
    declining = _declining_ids()
    recovery_from = today - dt.timedelta(days=90)
    n_days = len(weekdays)
    rows: list[AttendanceDay] = []
    for employee_id, department_id, hire, leave, employment in people:
        in_dev = department_id in dev
        is_manager = employee_id in managers
        # per person habits
        remote_p = rng.beta(6, 4) * 0.6 if in_dev else (rng.random() < 0.3) * rng.beta(2, 8)
        flex_p = rng.beta(5, 5) * 0.7 if in_dev else (rng.random() < 0.5) * rng.beta(2, 6)
        if is_manager and department_id in low_role_models:
            remote_p *= 0.05
            flex_p *= 0.05
        if employment not in (EmploymentType.FULL_TIME, EmploymentType.CONTRACT):
            remote_p = flex_p = 0.0
        short = not is_manager and employment == EmploymentType.FULL_TIME and rng.random() < 0.04
        late_base = rng.gamma(2.0, 0.0125)  # mean 2.5 %
        absent_base = rng.gamma(2.0, 0.0075)  # mean 1.5 %
        is_declining = department_id in declining
        draws = rng.random((6, n_days))
        for i, day in enumerate(weekdays):
            if day < hire or (leave is not None and day > leave):
                continue
            late_p, absent_p = late_base, absent_base
            if is_declining:
                boost = 1.8 if day >= recovery_from else 2.6
                late_p, absent_p = late_p * boost, absent_p * boost
            if draws[0, i] < absent_p:
                rows.append(
                    AttendanceDay(employee_id=employee_id, date=day, status=WorkStatus.ABSENT)
                )
                continue
            if draws[0, i] < absent_p + 0.045:
                rows.append(
                    AttendanceDay(employee_id=employee_id, date=day, status=WorkStatus.PAID_LEAVE)
                )
                continue
            hourly = 0
            if draws[4, i] < 0.012 and (day - hire).days > 183:
                hourly = int(1 + (draws[5, i] * 3))
            rows.append(
                AttendanceDay(
                    employee_id=employee_id,
                    date=day,
                    status=WorkStatus.PRESENT,
                    late=bool(draws[1, i] < late_p),
                    remote=bool(draws[2, i] < remote_p) and (day - hire).days > 92,
                    flex=bool(draws[3, i] < flex_p),
                    short_hours=short,
                    hourly_leave_hours=hourly,
                )
            )
    AttendanceDay.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _declining_ids() -> set[int]:
    from kizuna.engagement.demo import declining_department

    department = declining_department()
    if department is None:
        return set()
    return set(
        Department.objects.filter(path__startswith=department.path).values_list("id", flat=True)
    )


def _side_jobs(today: dt.date, rng: np.random.Generator) -> int:
    candidates = list(
        Employee.objects.filter(
            leave_date__isnull=True,
            employment_type=EmploymentType.FULL_TIME,
            hire_date__lte=today - dt.timedelta(days=400),
        ).order_by("employee_number")
    )
    if not candidates:
        return 0
    picks = rng.choice(len(candidates), size=min(8, len(candidates)), replace=False)
    jobs = [
        ("NPO法人 まなびの森", "週末のプログラミング講座の講師", 4, SideJobStatus.APPROVED),
        ("個人事業", "Webサイト制作の受託", 6, SideJobStatus.APPROVED),
        ("株式会社ことば舎", "技術書籍の翻訳", 5, SideJobStatus.APPROVED),
        ("地域スポーツクラブ", "少年サッカーのコーチ", 3, SideJobStatus.APPROVED),
        ("専門学校", "非常勤講師（マーケティング）", 2, SideJobStatus.APPROVED),
        ("個人事業", "家業（農業）の手伝い", 8, SideJobStatus.PENDING),
        ("株式会社ライトデザイン", "UIデザインの業務委託", 10, SideJobStatus.PENDING),
        ("同業他社", "営業コンサルティング", 12, SideJobStatus.REJECTED),
    ]
    requests = []
    for index, (employer, work, hours, status) in zip(picks, jobs, strict=False):
        starts = today - dt.timedelta(days=int(rng.integers(20, 200)))
        requests.append(
            SideJobRequest(
                employee=candidates[int(index)],
                employer=employer,
                work=work,
                hours_per_week=hours,
                starts_on=starts
                if status != SideJobStatus.PENDING
                else today + dt.timedelta(days=14),
                status=status,
                decision_note="競業にあたるため承認できません。"
                if status == SideJobStatus.REJECTED
                else "",
            )
        )
    SideJobRequest.objects.bulk_create(requests)
    return len(requests)

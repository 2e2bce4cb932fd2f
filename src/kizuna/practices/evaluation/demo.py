"""Evaluation demo data for 株式会社サンプル.

- published criteria: company-wide (two versions), one for 営業本部, one for 課長 level;
- the annual reviews of the two previous fiscal years, finalised with bands drawn from a
  persistent latent performance (about S 5%, A 20%, B 50%, C 20%, D 5%) — the survey
  demo, which runs next, snapshots the band at each launch;
- 360 feedback in last year's review for a sample of people (most categories with 3–5
  raters, a few with 2 so the rater-category lock shows);
- this fiscal year's quarterly check-ins (past quarters closed, the current one open);
- the wish to transfer or be promoted in about 15% of self-assessments, about 35% in
  the declining department (カスタマーサクセス部), part of its planted story.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kizuna.core import fiscal
from kizuna.core.models import User
from kizuna.org.models import Department, Employee, Organization
from kizuna.org.services import org_as_of
from kizuna.practices.evaluation.models import (
    BANDS,
    DEFAULT_TARGET,
    AssignmentStatus,
    Criteria,
    Cycle,
    CycleKind,
    CycleStatus,
    Feedback,
    Participant,
    RaterAssignment,
    Review,
    ReviewKind,
)

SEED = 20260405
WISH_BASE = 0.15
WISH_DECLINING = 0.35

COMPANY_CRITERIA = (
    "【成果（Outcome）】期初に上司と合意した目標の達成度で評価します。数値目標は達成率、"
    "定性目標は期末時点の状態で判断します。\n"
    "【挑戦・プロセス（Challenge and process）】結果にかかわらず、難しい課題への挑戦、"
    "チームへの貢献、やり方の改善を評価します。\n"
    "評価は 1〜5 の5段階です（3 = 期待どおり）。最終評価は S/A/B/C/D の5区分で、"
    "部門間の調整（キャリブレーション）を経て確定します。"
)
SALES_CRITERIA = (
    "営業本部では、成果の評価に受注額・新規開拓件数・既存顧客の継続率を用います。"
    "プロセスの評価では、提案の質と顧客との関係づくりを重視します。"
)
MANAGER_CRITERIA = (
    "課長職は、チームの成果に加えて、メンバーの育成（1on1の実施、成長機会の提供）と"
    "チームのエンゲージメント向上への取り組みを評価します。"
)
GOALS = (
    "担当領域の売上目標を達成する",
    "新しい業務フローを定着させる",
    "後輩の育成に取り組む",
    "顧客満足度を改善する",
    "品質指標を改善する",
)
PROGRESS = (
    "計画どおり進んでいます。",
    "一部遅れがありますが、来月には取り戻せる見込みです。",
    "目標を前倒しで達成しました。",
    "優先度の変更があり、目標を見直しました。",
)
MANAGER_COMMENTS = (
    "期待どおりの成果です。来期はより大きな役割に挑戦してください。",
    "難しい状況の中でよく粘り強く取り組みました。",
    "成果は出ていますが、周囲との連携をさらに強めてください。",
    "チームへの貢献が大きく、周りの良い手本になっています。",
)
PEER_COMMENTS = (
    "いつも相談に乗ってくれて助かっています。",
    "資料が分かりやすく、会議が効率的になりました。",
    "もう少し早めに情報を共有してもらえると助かります。",
    "新しいことに積極的に挑戦している姿勢が刺激になります。",
    "",
    "",
)
REPORT_COMMENTS = (
    "1on1で話をよく聞いてくれます。",
    "方針をもう少し具体的に説明してもらえると動きやすいです。",
    "困ったときにすぐ判断してくれるので助かります。",
    "",
)


def _bands_by_quota(score: np.ndarray) -> list[str]:
    """S/A/B/C/D by rank with the default target shares (highest score first)."""
    order = np.argsort(-score, kind="stable")
    bounds = np.cumsum([DEFAULT_TARGET[b] for b in BANDS]) / 100 * len(score)
    bands = [""] * len(score)
    for rank, index in enumerate(order.tolist()):
        position = int(np.searchsorted(bounds, rank, side="right"))
        bands[index] = BANDS[min(position, len(BANDS) - 1)]
    return bands


def _score(latent: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(3 + latent), 1, 5).astype(int)


def build_demo(today: dt.date, progress: Callable[[str], None]) -> dict[str, int]:
    """Idempotent: does nothing when any cycle exists. Returns counts."""
    if Cycle.objects.exists() or not Employee.objects.exists():
        return {}
    rng = np.random.default_rng(SEED)
    start_month = Organization.current().fiscal_year_start_month
    this_year = fiscal.fiscal_year(today, start_month)
    hr = User.objects.filter(email__startswith="hr@").first()
    from kizuna.engagement.demo import declining_department

    declining = declining_department()
    declining_path = declining.path if declining is not None else "\0"
    employees = list(Employee.objects.order_by("pk").values_list("pk", flat=True))
    latent = dict(zip(employees, rng.normal(0, 0.7, len(employees)).tolist(), strict=True))
    counts = {"criteria": 0, "cycles": 0, "reviews": 0, "feedback": 0}
    progress(_("Reviews: criteria, annual reviews, 360 feedback and check-ins…"))
    with transaction.atomic():
        counts["criteria"] = _criteria(this_year, start_month, hr)
        for year in (this_year - 2, this_year - 1):
            made = _annual(
                year, start_month, rng, latent, declining_path, hr, with_360=year == this_year - 1
            )
            for key, value in made.items():
                counts[key] += value
            counts["cycles"] += 1
        for quarter in range(4):
            starts = _add_months(fiscal.fiscal_year_start(this_year, start_month), 3 * quarter)
            if starts > today:
                break
            written = _quarterly(this_year, quarter + 1, starts, today, rng, declining_path, hr)
            counts["reviews"] += written
            counts["cycles"] += 1
    return counts


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _criteria(this_year: int, start_month: int, hr: User | None) -> int:
    def at(year: int) -> dt.datetime:
        day = fiscal.fiscal_year_start(year, start_month) - dt.timedelta(days=14)
        return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 10))

    rows = [
        Criteria(
            title="全社共通の評価基準",
            body=COMPANY_CRITERIA.replace("5段階です", "5段階です（旧版）"),
            version=1,
            published_at=at(this_year - 2),
            created_by=hr,
        ),
        Criteria(
            title="全社共通の評価基準",
            body=COMPANY_CRITERIA,
            version=2,
            published_at=at(this_year),
            created_by=hr,
        ),
        Criteria(
            title="課長職の評価基準",
            body=MANAGER_CRITERIA,
            job_level="課長",
            version=1,
            published_at=at(this_year - 1),
            created_by=hr,
        ),
    ]
    sales = Department.objects.filter(name="営業本部").order_by("depth").first()
    if sales is not None:
        rows.append(
            Criteria(
                title="営業本部の評価基準",
                body=SALES_CRITERIA,
                department=sales,
                version=1,
                published_at=at(this_year - 1),
                created_by=hr,
            )
        )
    Criteria.objects.bulk_create(rows)
    return len(rows)


def _people_on(day: dt.date) -> list[tuple[int, int | None, int, str]]:
    return [
        (row.employee_id, row.manager_id, row.department_id, row.department.path)
        for row in org_as_of(day).order_by("employee_id")
    ]


def _wishes(
    rng: np.random.Generator, paths: list[str], declining_path: str
) -> tuple[np.ndarray, np.ndarray]:
    p = np.array([WISH_DECLINING if s.startswith(declining_path) else WISH_BASE for s in paths])
    wish = rng.random(len(paths)) < p
    # of those who wish: transfer, promotion or both
    kind = rng.random(len(paths))
    transfer = wish & (kind < 0.65)
    promotion = wish & (kind >= 0.45)
    return transfer, promotion


def _annual(
    year: int,
    start_month: int,
    rng: np.random.Generator,
    latent: dict[int, float],
    declining_path: str,
    hr: User | None,
    *,
    with_360: bool,
) -> dict[str, int]:
    starts = fiscal.fiscal_year_start(year, start_month)
    ends = fiscal.fiscal_year_end(year, start_month)
    cycle = Cycle.objects.create(
        name=f"{year}年度 年次評価",
        kind=CycleKind.ANNUAL,
        status=CycleStatus.FINALISED,
        starts_on=starts,
        ends_on=ends,
        due_on=ends + dt.timedelta(days=20),
        audience={"all": True},
        target_distribution=dict(DEFAULT_TARGET),
        finalised_on=ends + dt.timedelta(days=45),
        created_by=hr,
    )
    people = _people_on(starts)
    n = len(people)
    if n == 0:
        return {"reviews": 0, "feedback": 0}
    base = np.array([latent[p[0]] for p in people])
    year_perf = base + rng.normal(0, 0.45, n)
    bands = _bands_by_quota(year_perf)
    manager_outcome = _score(year_perf + rng.normal(0, 0.35, n))
    manager_process = _score(year_perf + rng.normal(0, 0.45, n))
    self_outcome = _score(year_perf + 0.3 + rng.normal(0, 0.5, n))
    self_process = _score(year_perf + 0.4 + rng.normal(0, 0.5, n))
    transfer, promotion = _wishes(rng, [p[3] for p in people], declining_path)
    participants = Participant.objects.bulk_create(
        [
            Participant(
                cycle=cycle,
                employee_id=pk,
                manager_id=manager,
                department_id=dept,
                band=bands[i],
                final_outcome=int(manager_outcome[i]),
                final_process=int(manager_process[i]),
            )
            for i, (pk, manager, dept, _path) in enumerate(people)
        ]
    )
    reviews: list[Review] = []
    submitted = rng.integers(0, 15, n)
    for i, participant in enumerate(participants):
        pk, manager = people[i][0], people[i][1]
        day = ends + dt.timedelta(days=int(submitted[i]))
        reviews.append(
            Review(
                participant=participant,
                kind=ReviewKind.SELF,
                author_id=pk,
                outcome=int(self_outcome[i]),
                process=int(self_process[i]),
                goals=GOALS[i % len(GOALS)],
                progress=PROGRESS[i % len(PROGRESS)],
                comment="1年間、目標に向けて取り組みました。",
                wish_transfer=bool(transfer[i]),
                wish_promotion=bool(promotion[i]),
                wish_comment="新しい領域で経験を積みたいと考えています。"
                if transfer[i] or promotion[i]
                else "",
                submitted_on=day,
            )
        )
        if manager is not None:
            reviews.append(
                Review(
                    participant=participant,
                    kind=ReviewKind.MANAGER,
                    author_id=manager,
                    outcome=int(manager_outcome[i]),
                    process=int(manager_process[i]),
                    comment=MANAGER_COMMENTS[i % len(MANAGER_COMMENTS)],
                    submitted_on=day + dt.timedelta(days=5),
                )
            )
    Review.objects.bulk_create(reviews)
    feedback = _feedback(participants, people, year_perf, rng) if with_360 else 0
    return {"reviews": len(reviews), "feedback": feedback}


def _feedback(
    participants: list[Participant],
    people: list[tuple[int, int | None, int, str]],
    perf: np.ndarray,
    rng: np.random.Generator,
) -> int:
    """360 for a sample: the demo logins first, then about a quarter of everyone."""
    by_department: dict[int, list[int]] = {}
    reports: dict[int, list[int]] = {}
    for pk, manager, dept, _path in people:
        by_department.setdefault(dept, []).append(pk)
        if manager is not None:
            reports.setdefault(manager, []).append(pk)
    demo_people = set(
        Employee.objects.filter(user__email__endswith="@sample.example").values_list(
            "pk", flat=True
        )
    )
    chosen = [i for i, p in enumerate(people) if p[0] in demo_people]
    chosen += [i for i in range(len(people)) if rng.random() < 0.25 and i not in chosen]
    assignments: list[RaterAssignment] = []
    rows: list[Feedback] = []
    for i in chosen:
        pk, manager, dept, _path = people[i]
        theirs = reports.get(pk, [])[:6]
        colleagues = [
            c for c in by_department.get(dept, []) if c not in (pk, manager) and c not in theirs
        ]
        if not colleagues:
            continue
        # most get 3–5 peers; about one in eight only 2 (their peer result stays locked)
        wanted = 2 if rng.random() < 0.125 and pk not in demo_people else int(rng.integers(3, 6))
        peers = rng.permutation(colleagues)[:wanted].tolist()
        raters = [(int(r), ReviewKind.PEER) for r in peers]
        raters += [(int(r), ReviewKind.REPORT) for r in theirs]
        for rater, category in raters:
            assignments.append(
                RaterAssignment(
                    participant=participants[i],
                    rater_id=rater,
                    category=category,
                    status=AssignmentStatus.APPROVED,
                    completed=True,
                )
            )
            comments = PEER_COMMENTS if category == ReviewKind.PEER else REPORT_COMMENTS
            rows.append(
                Feedback(
                    participant=participants[i],
                    category=category,
                    outcome=int(_score(np.array([perf[i] + rng.normal(0, 0.5)]))[0]),
                    process=int(_score(np.array([perf[i] + 0.2 + rng.normal(0, 0.5)]))[0]),
                    comment=comments[int(rng.integers(0, len(comments)))],
                )
            )
    RaterAssignment.objects.bulk_create(assignments)
    # shuffled before insert, so the physical order says nothing about the assignments
    order = rng.permutation(len(rows)).tolist()
    Feedback.objects.bulk_create([rows[j] for j in order])
    return len(rows)


def _quarterly(
    year: int,
    quarter: int,
    starts: dt.date,
    today: dt.date,
    rng: np.random.Generator,
    declining_path: str,
    hr: User | None,
) -> int:
    ends = _add_months(starts, 3) - dt.timedelta(days=1)
    is_open = ends >= today
    cycle = Cycle.objects.create(
        name=f"{year}年度 第{quarter}四半期 チェックイン",
        kind=CycleKind.QUARTERLY,
        status=CycleStatus.OPEN if is_open else CycleStatus.CLOSED,
        starts_on=starts,
        ends_on=ends,
        due_on=ends + dt.timedelta(days=10),
        audience={"all": True},
        target_distribution=dict(DEFAULT_TARGET),
        created_by=hr,
    )
    people = _people_on(starts)
    participants = Participant.objects.bulk_create(
        [
            Participant(cycle=cycle, employee_id=pk, manager_id=m, department_id=d)
            for pk, m, d, _p in people
        ]
    )
    share = 0.55 if is_open else 0.92
    writes = rng.random(len(people)) < share
    transfer, promotion = _wishes(rng, [p[3] for p in people], declining_path)
    reviews: list[Review] = []
    last_day = min(today, ends + dt.timedelta(days=10))
    span = max(1, (last_day - (ends - dt.timedelta(days=20))).days)
    for i, participant in enumerate(participants):
        if not writes[i]:
            continue
        pk, manager = people[i][0], people[i][1]
        day = min(
            last_day, ends - dt.timedelta(days=20) + dt.timedelta(days=int(rng.integers(0, span)))
        )
        reviews.append(
            Review(
                participant=participant,
                kind=ReviewKind.SELF,
                author_id=pk,
                goals=GOALS[(i + quarter) % len(GOALS)],
                progress=PROGRESS[(i * 3 + quarter) % len(PROGRESS)],
                comment="",
                wish_transfer=bool(transfer[i]),
                wish_promotion=bool(promotion[i]),
                submitted_on=day,
            )
        )
        if manager is not None and (not is_open or rng.random() < 0.5):
            reviews.append(
                Review(
                    participant=participant,
                    kind=ReviewKind.MANAGER,
                    author_id=manager,
                    comment=MANAGER_COMMENTS[(i + quarter) % len(MANAGER_COMMENTS)],
                    submitted_on=day,
                )
            )
    Review.objects.bulk_create(reviews)
    return len(reviews)

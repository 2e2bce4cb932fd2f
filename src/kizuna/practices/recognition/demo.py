"""Demo recognition data for 株式会社サンプル: five company values, about six months of
thanks, claps and two award rounds (last month closed with winners, this month open for
nominations).

The planted story: recognition is concentrated. People in 開発本部 and the marketing
division send and receive several times more thanks than the company average, while the
two sales teams with few 1on1s (``kizuna.engagement.demo.low_one_on_one_teams()``)
receive and give very little — the recognition reach and concentration figures on the HR
dashboard should show both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kizuna.org.models import Department, Employee
from kizuna.practices.recognition.models import (
    AwardRound,
    AwardStatus,
    Ballot,
    Clap,
    CompanyValue,
    Nomination,
    RecognitionSettings,
    Thanks,
    ThanksRecipient,
    VoteReceipt,
)

SEED = 20261206
WEEKS = 26
TOKYO = ZoneInfo("Asia/Tokyo")
HEAVY_DEPARTMENTS = ("開発本部", "マーケティング本部", "マーケティング部")
HEAVY_WEIGHT = 3.5
LIGHT_WEIGHT = 0.12
POSTS_PER_PERSON_WEEK = 0.22  # at weight 1
POINT_CHOICES = np.array([10, 20, 30, 50, 50, 80, 100, 120])

VALUES = [
    (
        "顧客起点",
        "Customer first",
        "お客様の成功から考え、行動する。",
        "Start from the customer's success.",
    ),
    ("挑戦", "Challenge", "前例にとらわれず、新しいことに挑む。", "Try new things."),
    (
        "チームワーク",
        "Teamwork",
        "部署を越えて助け合い、成果を分かち合う。",
        "Help each other across teams.",
    ),
    ("誠実", "Integrity", "正直に、約束を守る。", "Be honest and keep promises."),
    ("スピード", "Speed", "まず動き、素早く学ぶ。", "Move first, learn fast."),
]
VALUE_WEIGHTS = np.array([0.22, 0.18, 0.32, 0.1, 0.18])

MESSAGES = {
    "顧客起点": [
        "お客様からの問い合わせに迅速かつ丁寧に対応してくださり、ありがとうございました。",
        "お客様の声をもとに改善案をまとめてくれて助かりました。",
        "商談前の資料づくりでお客様目線のアドバイスをいただき、ありがとうございます。",
    ],
    "挑戦": [
        "新しいツールの導入を自ら提案し、推進してくれてありがとうございます。",
        "初めての領域なのに手を挙げてくれて、チームの刺激になりました。",
        "難しい案件に粘り強く取り組む姿勢に感謝しています。",
    ],
    "チームワーク": [
        "忙しい中、レビューを引き受けてくれて本当に助かりました。",
        "急な欠員の穴を埋めてくれてありがとうございます。",
        "部署をまたいだ調整をしてくれたおかげで、リリースに間に合いました。",
        "新メンバーのオンボーディングを手厚くサポートしてくれてありがとう。",
    ],
    "誠実": [
        "ミスを隠さず早めに共有してくれたので、大事に至りませんでした。",
        "約束の期限をきちんと守ってくれて、安心して任せられました。",
    ],
    "スピード": [
        "障害発生時に真っ先に動いてくれてありがとうございます。",
        "依頼したその日に対応してくれて驚きました。ありがとう。",
        "議事録を即日共有してくれて、次のアクションがすぐ決まりました。",
    ],
}

NOMINATION_REASONS = [
    "大型案件のリリースを最後まで支えてくれました。",
    "チームの垣根を越えて多くの人を助けていました。",
    "新しい仕組みを提案し、部署全体の生産性を上げてくれました。",
    "お客様から名指しで感謝の声が届いています。",
    "後輩の育成に熱心に取り組んでくれました。",
]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _subtree_ids(names: tuple[str, ...]) -> set[int]:
    roots = Department.objects.filter(name__in=names)
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(path__startswith=root.path)
    return set(Department.objects.filter(condition).values_list("pk", flat=True))


def build_demo(today: dt.date, progress: Callable[[str], None]) -> dict[str, int]:
    """Create the demo recognition data once (idempotent: nothing when values exist)."""
    if CompanyValue.objects.exists() or Thanks.objects.exists():
        return {"values": 0, "thanks": 0, "claps": 0, "awards": 0}
    progress(_("Recognition: company values, thanks, claps and awards…"))
    from kizuna.engagement.demo import low_one_on_one_teams

    rng = np.random.default_rng(SEED)
    with transaction.atomic():
        values = CompanyValue.objects.bulk_create(
            [
                CompanyValue(name=ja, name_en=en, description=desc, description_en=desc_en, order=i)
                for i, (ja, en, desc, desc_en) in enumerate(VALUES)
            ]
        )
        settings_row = RecognitionSettings.current()
        settings_row.slack_channel = "#thanks"
        settings_row.save()

        heavy = _subtree_ids(HEAVY_DEPARTMENTS)
        light: set[int] = set()
        for team in low_one_on_one_teams():
            light |= set(
                Department.objects.filter(path__startswith=team.path).values_list("pk", flat=True)
            )
        people = list(
            Employee.objects.filter(hire_date__lte=today)
            .filter(
                Q(leave_date__isnull=True) | Q(leave_date__gte=today - dt.timedelta(weeks=WEEKS))
            )
            .values_list("pk", "department_id", "hire_date", "leave_date")
            .order_by("pk")
        )
        ids = np.array([p[0] for p in people], dtype=np.int64)
        depts = np.array([p[1] for p in people], dtype=np.int64)
        weight = np.array(
            [HEAVY_WEIGHT if d in heavy else LIGHT_WEIGHT if d in light else 1.0 for d in depts]
        )
        start_ord = np.array([p[2].toordinal() for p in people])
        end_ord = np.array([(p[3] or dt.date.max).toordinal() for p in people])

        thanks_rows: list[Thanks] = []
        recipients_of: list[list[int]] = []
        values_of: list[list[int]] = []
        monday0 = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=WEEKS - 1)
        for week in range(WEEKS):
            monday = monday0 + dt.timedelta(weeks=week)
            for i in range(len(ids)):
                n_posts = rng.poisson(POSTS_PER_PERSON_WEEK * weight[i])
                spent = 0
                for _post in range(min(n_posts, 4)):
                    day = monday + dt.timedelta(days=int(rng.integers(0, 5)))
                    o = day.toordinal()
                    if day > today or not start_ord[i] <= o <= end_ord[i]:
                        continue
                    active = (start_ord <= o) & (o <= end_ord)
                    active[i] = False
                    n_rec = int(rng.choice([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3]))
                    same = active & (depts == depts[i])
                    pool_weight = np.where(same, weight * 6, weight) * active
                    if pool_weight.sum() == 0:
                        continue
                    chosen = rng.choice(
                        len(ids),
                        size=min(n_rec, int((pool_weight > 0).sum())),
                        replace=False,
                        p=pool_weight / pool_weight.sum(),
                    )
                    points = int(rng.choice(POINT_CHOICES))
                    while points and spent + points * len(chosen) > 400:
                        points = points // 2 if points > 10 else 0
                    spent += points * len(chosen)
                    value_idx = rng.choice(
                        len(values),
                        size=int(rng.choice([1, 1, 1, 2])),
                        replace=False,
                        p=VALUE_WEIGHTS,
                    )
                    first = values[int(value_idx[0])]
                    texts = MESSAGES[first.name]
                    moment = dt.datetime.combine(
                        day, dt.time(int(rng.integers(9, 19)), int(rng.integers(0, 60)))
                    ).replace(tzinfo=TOKYO)
                    thanks_rows.append(
                        Thanks(
                            sender_id=int(ids[i]),
                            message=texts[int(rng.integers(0, len(texts)))],
                            points=points,
                            created_at=moment,
                            posted_on=day,
                            week_start=monday,
                        )
                    )
                    recipients_of.append([int(c) for c in chosen])
                    values_of.append([values[int(v)].pk for v in value_idx])
        created = Thanks.objects.bulk_create(thanks_rows, batch_size=1000)
        dept_of = dict(zip(ids.tolist(), depts.tolist(), strict=True))
        index_of = {int(pk): n for n, pk in enumerate(ids)}
        ThanksRecipient.objects.bulk_create(
            [
                ThanksRecipient(
                    thanks_id=t.pk,
                    employee_id=int(ids[c]),
                    points=t.points,
                    department_id=dept_of[int(ids[c])],
                )
                for t, chosen in zip(created, recipients_of, strict=True)
                for c in chosen
            ],
            batch_size=2000,
        )
        through = Thanks.values.through
        through.objects.bulk_create(
            [
                through(thanks_id=t.pk, companyvalue_id=v)
                for t, vs in zip(created, values_of, strict=True)
                for v in vs
            ],
            batch_size=2000,
        )
        progress(_("Recognition: %(thanks)s thanks; claps…") % {"thanks": f"{len(created):,}"})
        claps: list[Clap] = []
        for t in created:
            sender = index_of[t.sender_id]
            colleagues = np.flatnonzero((depts == depts[sender]) & (ids != t.sender_id))
            k = min(int(rng.poisson(1.5 * weight[sender])), len(colleagues))
            for j in rng.choice(colleagues, size=k, replace=False) if k else []:
                claps.append(Clap(thanks_id=t.pk, employee_id=int(ids[j]), created_at=t.created_at))
        Clap.objects.bulk_create(claps, batch_size=2000)

        awards = _awards(today, rng, ids, weight, start_ord, end_ord)
    progress(
        _("Recognition: %(claps)s claps, %(rounds)s award rounds.")
        % {"claps": f"{len(claps):,}", "rounds": awards}
    )
    return {"values": len(values), "thanks": len(created), "claps": len(claps), "awards": awards}


def _awards(
    today: dt.date,
    rng: np.random.Generator,
    ids: np.ndarray,
    weight: np.ndarray,
    start_ord: np.ndarray,
    end_ord: np.ndarray,
) -> int:
    last_month = _add_months(today.replace(day=1), -1)
    this_month = today.replace(day=1)
    o = today.toordinal()
    current = [n for n in range(len(ids)) if start_ord[n] <= o <= end_ord[n]]
    p = weight[current] / weight[current].sum()
    closed = AwardRound.objects.create(
        title=f"月間MVP {last_month.year}年{last_month.month}月",
        period="monthly",
        period_start=last_month,
        description="先月もっとも活躍した仲間を推薦・投票で選びます。",
        status=AwardStatus.CLOSED,
        closed_at=dt.datetime.combine(this_month, dt.time(10)).replace(tzinfo=TOKYO),
    )
    nominees = [int(ids[n]) for n in rng.choice(current, size=6, replace=False, p=p)]
    nominations = []
    for k, nominee in enumerate(nominees):
        for m in range(1 + k % 3):
            by = int(ids[current[int(rng.integers(0, len(current)))]])
            if by == nominee:
                continue
            nominations.append(
                Nomination(
                    round=closed,
                    nominee_id=nominee,
                    nominated_by_id=by,
                    reason=NOMINATION_REASONS[(k + m) % len(NOMINATION_REASONS)],
                )
            )
    Nomination.objects.bulk_create(nominations, ignore_conflicts=True)
    # votes lean towards the first two nominees so there is a clear winner
    preference = np.array([0.32, 0.24, 0.14, 0.12, 0.1, 0.08])
    voters = rng.choice(current, size=min(140, len(current)), replace=False)
    receipts, ballots = [], []
    for v in voters:
        voter = int(ids[v])
        choice = nominees[int(rng.choice(len(nominees), p=preference))]
        if choice == voter:
            continue
        receipts.append(VoteReceipt(round=closed, voter_id=voter))
        ballots.append(Ballot(round=closed, nominee_id=choice))
    order = rng.permutation(len(ballots))  # ballots stored in no voter order
    VoteReceipt.objects.bulk_create(receipts)
    Ballot.objects.bulk_create([ballots[int(i)] for i in order])

    open_round = AwardRound.objects.create(
        title=f"月間MVP {this_month.year}年{this_month.month}月",
        period="monthly",
        period_start=this_month,
        description="今月活躍した仲間を推薦してください。",
        status=AwardStatus.NOMINATION,
    )
    fresh = [int(ids[n]) for n in rng.choice(current, size=3, replace=False, p=p)]
    Nomination.objects.bulk_create(
        [
            Nomination(
                round=open_round,
                nominee_id=nominee,
                nominated_by_id=int(ids[current[(k * 7 + 3) % len(current)]]),
                reason=NOMINATION_REASONS[k],
            )
            for k, nominee in enumerate(fresh)
            if int(ids[current[(k * 7 + 3) % len(current)]]) != nominee
        ]
    )
    return 2

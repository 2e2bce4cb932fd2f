"""Twelve monthly pulses and one annual survey for the sample company, with a story the
analytics must find (tests in tests/engagement/test_demo_story.py assert each part):

1. fair evaluation (評価の納得感) and career growth (キャリア形成) drive engagement most;
2. the teams whose managers hold few 1on1s (``low_one_on_one_teams``) score lower;
3. one department (``declining_department``: カスタマーサクセス部) declines for six waves,
   an action plan is made after wave 9, and it recovers over waves 10–12;
4. the small teams (3–4 people) are hidden by the anonymity guard.

Answers are drawn from a latent model on whole arrays (numpy), then written with
``bulk_create``; surveys are created and launched through the real survey services so
invitations and demographic snapshots are exactly what production would store.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Model, Q

from kizuna.org.models import Department, Employee
from kizuna.surveys import catalog
from kizuna.surveys import services as survey_services
from kizuna.surveys.models import (
    Answer,
    Invitation,
    Question,
    Response,
    Survey,
    SurveyKind,
    SurveyStatus,
)

PULSE_SERIES = "demo-pulse"
WAVES = 12
DECLINE_WAVES = range(4, 10)  # waves 4–9 decline
PLAN_AFTER_WAVE = 9
DECLINING_DEPARTMENT_NAME = "カスタマーサクセス部"

# Latent weights of the drivers in engagement (the planted key-driver story).
DRIVER_WEIGHTS = {
    "fair_evaluation": 0.44,
    "career_growth": 0.42,
    "manager_support": 0.08,
    "growth_opportunities": 0.08,
    "recognition": 0.07,
    "communication": 0.05,
    "flexible_work": 0.04,
    "workload": 0.03,
}
DRIVER_MEANS = {
    "fair_evaluation": 3.05,
    "career_growth": 3.0,
    "manager_support": 3.6,
    "growth_opportunities": 3.4,
    "recognition": 3.5,
    "communication": 3.3,
    "flexible_work": 3.9,
    "workload": 3.1,
}

COMMENTS_NEGATIVE = {
    "fair_evaluation": "評価の基準が分かりにくく、納得感がありません。",
    "career_growth": "今後のキャリアについて相談できる機会がほしいです。",
    "manager_support": "上司との1on1がほとんどなく、相談しづらいです。",
    "workload": "業務量が多く、残業が続いています。",
    "recognition": "成果を認めてもらえる場面が少ないと感じます。",
    "communication": "部署間の情報共有が不足しています。",
    "growth_opportunities": "研修や学びの機会を増やしてほしいです。",
    "flexible_work": "リモートワークの運用をもっと柔軟にしてほしいです。",
}
COMMENTS_POSITIVE = (
    "チームの雰囲気が良く、助け合える職場です。",
    "上司がよく話を聞いてくれて働きやすいです。",
    "新しいことに挑戦させてもらえるのが嬉しいです。",
    "柔軟な働き方ができて満足しています。",
)


@dataclass(frozen=True)
class DemoSurveys:
    created: bool
    pulses: int
    annual: int
    responses: int
    # the demo employee's link to this month's open pulse (shown once, when created)
    answer_link: str = ""


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def declining_department() -> Department | None:
    return Department.objects.filter(name=DECLINING_DEPARTMENT_NAME).order_by("depth").first()


def low_one_on_one_teams() -> list[Department]:
    """Two sales teams (leaf departments under 営業本部 with at least six people) whose
    managers hold few 1on1s in the demo story. Chosen by a fixed rule so the practices
    demo can give the same teams few 1on1 records."""
    sales = Department.objects.filter(name="営業本部").order_by("depth").first()
    if sales is None:
        return []
    leaves = (
        Department.objects.filter(path__startswith=sales.path, children__isnull=True)
        .annotate(n=Count("employees", filter=Q(employees__leave_date__isnull=True)))
        .filter(n__gte=6)
        .order_by("code")
    )
    return list(leaves[1:3])


def _wave_dates(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Opening and closing dates of the twelve monthly pulses, the last one closed before
    today: each opens on the 5th and closes 14 days later."""
    first_month = _add_months(today.replace(day=1), -WAVES)
    dates = []
    for wave in range(WAVES):
        opens = _add_months(first_month, wave).replace(day=5)
        dates.append((opens, opens + dt.timedelta(days=14)))
    if dates[-1][1] >= today:  # keep every wave closed
        dates = [(_add_months(o, -1), _add_months(c, -1)) for o, c in dates]
    return dates


def _person_effects(employee_ids: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Stable per-person traits: a general tendency and a perception of each driver."""
    n = len(employee_ids)
    general = rng.normal(0, 0.45, n)
    drivers = {code: rng.normal(0, 0.55, n) + 0.35 * general for code in DRIVER_WEIGHTS}
    return {"general": general, **drivers}


def build_demo_surveys(
    *,
    seed: int = 20261126,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSurveys:
    """Create the survey history once (idempotent: skips when the demo pulse exists)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    if Survey.objects.filter(series=PULSE_SERIES).exists():
        return DemoSurveys(False, 0, 0, 0, _fresh_employee_link())
    catalog.install_catalog()
    rng = np.random.default_rng(seed)
    employees = list(Employee.objects.values_list("pk", flat=True).order_by("pk"))
    ids = np.array(employees, dtype=np.int64)
    index_of = {pk: i for i, pk in enumerate(employees)}
    traits = _person_effects(ids, rng)
    low_teams = low_one_on_one_teams()
    low_paths = [d.path for d in low_teams]
    declining = declining_department()
    questions = {q.code: q for q in Question.objects.select_related("factor")}

    total = 0
    with transaction.atomic():
        surveys: list[tuple[Survey, int]] = []
        for wave, (opens, closes) in enumerate(_wave_dates(today), start=1):
            survey = survey_services.create_survey(
                f"パルスサーベイ {opens:%Y年%-m月}",
                SurveyKind.PULSE,
                catalog.PULSE,
                audience={"all": True},
                opens_on=opens,
                closes_on=closes,
                series=PULSE_SERIES,
                created_by=None,
            )
            surveys.append((survey, wave))
        annual_opens = _wave_dates(today)[5][0] + dt.timedelta(days=20)
        annual = survey_services.create_survey(
            f"エンゲージメントサーベイ {annual_opens.year}年度",
            SurveyKind.ANNUAL,
            catalog.ANNUAL,
            audience={"all": True},
            opens_on=annual_opens,
            closes_on=annual_opens + dt.timedelta(days=21),
            created_by=None,
        )
        surveys.append((annual, 6))
        for survey, wave in surveys:
            survey_services.launch(survey, by_user=None, today=survey.opens_on, send=False)
            total += _answer_wave(
                survey, wave, rng, traits, index_of, questions, low_paths, declining
            )
            survey.status = SurveyStatus.CLOSED
            survey.save(update_fields=["status"])
            if progress:
                progress(f"{survey.name}: {total:,}")
        pulses = [sv for sv, _wave in surveys if sv.kind == SurveyKind.PULSE]
        _demo_plan(pulses, declining, today)
        link = _open_pulse(today, rng, traits, index_of, questions, low_paths, declining)
    return DemoSurveys(True, WAVES, 1, total, link)


def _fresh_employee_link() -> str:
    """A new link for the demo employee's unanswered invitation to the open pulse (only a
    hash of a token is stored, so showing the link again means issuing a new one)."""
    from kizuna.surveys import delivery
    from kizuna.surveys import tokens as survey_tokens

    invitation = (
        Invitation.objects.filter(
            survey__series=PULSE_SERIES,
            survey__status=SurveyStatus.OPEN,
            employee__user__email="employee@sample.example",
            completed=False,
        )
        .order_by("-survey__wave")
        .first()
    )
    if invitation is None:
        return ""
    raw = survey_tokens.new_token()
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=survey_tokens.hash_token(raw))
    return delivery.answer_link(raw)


def _open_pulse(
    today: dt.date,
    rng: np.random.Generator,
    traits: dict[str, np.ndarray],
    index_of: dict[int, int],
    questions: dict[str, Question],
    low_paths: list[str],
    declining: Department | None,
) -> str:
    """This month's pulse, open now: about half the company has answered, the demo
    employee has not (their link is returned so they can try the answer page)."""
    from kizuna.core.models import User

    opens = today - dt.timedelta(days=3)
    survey = survey_services.create_survey(
        f"パルスサーベイ {opens:%Y年%-m月}",
        SurveyKind.PULSE,
        catalog.PULSE,
        audience={"all": True},
        opens_on=opens,
        closes_on=today + dt.timedelta(days=11),
        series=PULSE_SERIES,
        created_by=None,
    )
    launched = survey_services.launch(survey, by_user=None, today=opens, send=False)
    employee = User.objects.filter(email="employee@sample.example").first()
    mine = getattr(employee, "employee", None) if employee else None
    keep_open = {mine.pk} if mine is not None else set()
    _answer_wave(
        survey,
        WAVES + 1,
        rng,
        traits,
        index_of,
        questions,
        low_paths,
        declining,
        share=0.5,
        skip_employees=keep_open,
    )
    return launched.links.get(mine.pk, "") if mine is not None else ""


def _demo_plan(pulses: list[Survey], declining: Department | None, today: dt.date) -> None:
    """The action plan HR made for the declining department after wave 9, its actions,
    check-ins and the review measured on the latest wave (the recovery)."""
    from kizuna.core.models import User
    from kizuna.engagement.provider import engagement_metric
    from kizuna.improvement import services as plans
    from kizuna.improvement.models import Action, CheckIn, Plan

    hr = User.objects.filter(email="hr@sample.example").first()
    if declining is None or hr is None or len(pulses) < WAVES:
        return
    after_wave = pulses[PLAN_AFTER_WAVE - 1]
    made_on = after_wave.closes_on or today
    source = {
        "kind": "engagement",
        "survey_id": after_wave.pk,
        "metric": "engagement_index",
        "factor": None,
        "item": None,
        "group": {"attribute": "department", "value": declining.pk},
    }
    before = engagement_metric(source, after_wave.pk)
    plan = plans.create_plan_from_result(
        hr,
        source,
        title="カスタマーサクセス部：業務量の平準化と評価基準の見直し",
        description=(
            "パルスサーベイで業務量と評価の納得感が下がり、エンゲージメントが半年続けて"
            "低下しました。担当社数の見直しと評価基準の説明会を行います。"
        ),
        owner=hr,
        target_value=60.0,
        due_on=today + dt.timedelta(days=30),
        review_on=today + dt.timedelta(days=7),
        scope=declining,
        baseline_value=None if before is None else round(before.value, 1),
        baseline_n=None if before is None else before.n,
        shared_with_team=True,
        actions=(
            "担当アカウント数の上限を1人25社に見直す",
            "評価基準の説明会を全メンバー向けに開く",
            "マネージャーとの隔週1on1を再開する",
        ),
        today=today,
    )
    Plan.objects.filter(pk=plan.pk).update(
        created_at=dt.datetime.combine(made_on, dt.time(10), tzinfo=dt.UTC)
    )
    for offset, action in enumerate(plan.actions.order_by("pk")):
        Action.objects.filter(pk=action.pk).update(
            done_on=made_on + dt.timedelta(days=14 + 7 * offset)
        )
    for weeks, progress_pct in ((2, 30), (6, 70), (10, 100)):
        day = made_on + dt.timedelta(weeks=weeks)
        if day <= today:
            CheckIn.objects.create(plan=plan, on=day, progress=progress_pct, note="", by=hr)
    after = engagement_metric(source, pulses[-1].pk)
    if before is not None and after is not None:
        plans.review_plan(plan, before, after, by=hr, note="", on=today)


def _answer_wave(
    survey: Survey,
    wave: int,
    rng: np.random.Generator,
    traits: dict[str, np.ndarray],
    index_of: dict[int, int],
    questions: dict[str, Question],
    low_paths: list[str],
    declining: Department | None,
    *,
    share: float = 1.0,
    skip_employees: set[int] | None = None,
) -> int:
    invitations = list(Invitation.objects.filter(survey=survey).order_by("pk"))
    n = len(invitations)
    rows = np.array([index_of[inv.employee_id] for inv in invitations])
    paths = [str(inv.demographics.get("department_path", "")) for inv in invitations]
    in_low = np.array([any(p.startswith(lp) for lp in low_paths) for p in paths], dtype=float)
    declining_path = declining.path if declining is not None else "\0"
    in_declining = np.array([p.startswith(declining_path) for p in paths], dtype=float)
    # the declining department's slide and recovery (in latent points on the 1–5 scale)
    if wave in DECLINE_WAVES:
        slide = -0.17 * (wave - DECLINE_WAVES.start + 1)
    elif wave > PLAN_AFTER_WAVE:
        slide = -0.17 * len(DECLINE_WAVES) + 0.32 * (wave - PLAN_AFTER_WAVE)
    else:
        slide = 0.0
    respond_p = np.where((in_declining > 0) & (slide < -0.5), 0.72, 0.82)
    responded = rng.random(n) < respond_p * share
    if skip_employees:
        responded &= np.array([inv.employee_id not in skip_employees for inv in invitations])

    driver_scores: dict[str, np.ndarray] = {}
    for code, mean in DRIVER_MEANS.items():
        value = mean + traits[code][rows] + rng.normal(0, 0.25, n)
        if code == "manager_support":
            value = value - 0.9 * in_low
        if code in ("workload", "recognition"):
            value = value + slide * in_declining
        driver_scores[code] = value
    driver_part = sum(w * (driver_scores[c] - DRIVER_MEANS[c]) for c, w in DRIVER_WEIGHTS.items())
    engagement = (
        3.45
        + 1.15 * driver_part
        + 0.55 * traits["general"][rows]
        - 0.6 * in_low
        + 1.0 * slide * in_declining
        + rng.normal(0, 0.22, n)
    )
    factor_latent = {
        "understanding": engagement + 0.1,
        "belonging": engagement - 0.05,
        "willingness": engagement,
        "satisfaction": 3.3 + 0.5 * (engagement - 3.45) + rng.normal(0, 0.3, n),
        **driver_scores,
    }

    asked = [
        item.question for item in survey.items.select_related("question__factor").order_by("order")
    ]
    day = survey.closes_on or survey.opens_on
    if day is not None and survey.status == SurveyStatus.OPEN:
        day = min(
            day, dt.date.today() if survey.opens_on is None else max(survey.opens_on, _today())
        )
    assert day is not None and survey.opens_on is not None
    respondent_rows = np.flatnonzero(responded)
    span = max(1, (day - survey.opens_on).days)
    completion = rng.integers(0, span, len(respondent_rows))
    response_ids = [uuid.uuid4().hex for _ in respondent_rows]
    response_rows = []
    for position, r in enumerate(respondent_rows.tolist()):
        demo = invitations[r].demographics
        response_rows.append(
            (
                response_ids[position],
                survey.pk,
                survey.opens_on + dt.timedelta(days=int(completion[position])),
                invitations[r].language,
                demo.get("department_id"),
                demo.get("department_path", ""),
                demo.get("manager_id"),
                demo.get("tenure_band", ""),
                demo.get("job_level", ""),
                demo.get("location", ""),
                demo.get("employment_type", ""),
                demo.get("gender", ""),
                demo.get("age_band", ""),
                demo.get("performance_band", ""),
                json.dumps(demo.get("custom") or {}, ensure_ascii=False),
            )
        )
    answer_rows: list[tuple[Any, ...]] = []
    # numeric answers, drawn per question for all respondents at once
    skip = rng.random((len(respondent_rows), len(asked))) < 0.03
    for j, question in enumerate(asked):
        factor = question.factor.code if question.factor else None
        noise = rng.normal(0, 0.55, len(respondent_rows))
        if question.kind == "agreement" and factor in factor_latent:
            latent = factor_latent[factor][respondent_rows] + noise
            values = np.clip(np.rint(latent), 1, 5).astype(int)
        elif question.kind == "scale":
            latent = 2.3 * (engagement[respondent_rows] - 1) + 0.5 + 2 * noise
            values = np.clip(np.rint(latent), 0, 10).astype(int)
        else:
            continue
        for position in np.flatnonzero(~skip[:, j]).tolist():
            answer_rows.append(
                (
                    uuid.uuid4().hex,
                    response_ids[position],
                    question.pk,
                    int(values[position]),
                    "",
                )
            )
    # comments: about a quarter write one, about their weakest driver or something good
    texts = {q.code: q for q in asked if q.kind == "text"}
    improve = texts.get(catalog.TEXT_IMPROVE)
    works = texts.get(catalog.TEXT_WORKS_WELL)
    writes = rng.random(len(respondent_rows)) < 0.28
    for position in np.flatnonzero(writes).tolist():
        r = respondent_rows[position]
        weakest = min(DRIVER_WEIGHTS, key=lambda c: float(driver_scores[c][r]))
        if improve is not None and driver_scores[weakest][r] < 3.0:
            question, text = improve, COMMENTS_NEGATIVE[weakest]
        elif works is not None:
            question = works
            text = COMMENTS_POSITIVE[int(rng.integers(0, len(COMMENTS_POSITIVE)))]
        else:
            continue
        answer_rows.append((uuid.uuid4().hex, response_ids[position], question.pk, None, text))
    _insert_many(Response, RESPONSE_COLUMNS, response_rows)
    _insert_many(Answer, ANSWER_COLUMNS, answer_rows)
    Invitation.objects.filter(pk__in=[invitations[r].pk for r in respondent_rows]).update(
        completed=True
    )
    return len(response_rows)


RESPONSE_COLUMNS = (
    "id",
    "survey_id",
    "submitted_on",
    "language",
    "department_id",
    "department_path",
    "manager_id",
    "tenure_band",
    "job_level",
    "location",
    "employment_type",
    "gender",
    "age_band",
    "performance_band",
    "custom",
)
ANSWER_COLUMNS = ("id", "response_id", "question_id", "value", "text")


def _insert_many(
    model: type[Model], columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """One prepared INSERT executed for all rows: the demo writes ~10⁵ answers, and
    building ORM instances for each costs twenty times more than the insert itself."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

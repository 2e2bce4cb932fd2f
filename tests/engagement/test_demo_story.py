"""The story planted in the demo's survey history is what the analytics find."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats as scipy_stats

from kizuna.core.models import User
from kizuna.engagement import data, demo, report, scoring
from kizuna.engagement.exports import results_groups
from kizuna.improvement.models import Plan
from kizuna.org.demo import build_demo
from kizuna.surveys.models import Survey

TODAY = dt.date(2026, 11, 26)


@pytest.mark.django_db
def test_the_demo_story_is_found() -> None:
    build_demo(300, today=TODAY)
    built = demo.build_demo_surveys(today=TODAY)
    assert built.created and built.pulses == 12 and built.annual == 1
    assert not demo.build_demo_surveys(today=TODAY).created  # idempotent
    hr = User.objects.get(email="hr@sample.example")
    pulses = list(Survey.objects.filter(series=demo.PULSE_SERIES, status="closed").order_by("wave"))
    assert Survey.objects.filter(series=demo.PULSE_SERIES, status="open").count() == 1
    assert [p.wave for p in pulses] == list(range(1, 13))
    assert all(p.closes_on and p.closes_on < TODAY for p in pulses)
    latest = pulses[-1]

    # 1. fair evaluation and career growth are the two strongest drivers
    result = report.build(latest, hr, by=["department"], with_comments=False)
    drivers = result["drivers"]
    assert drivers["available"]
    top_two = {row["code"] for row in drivers["rows"][:2]}
    assert top_two == {"fair_evaluation", "career_growth"}, drivers["rows"]

    # 2. the teams whose managers hold few 1on1s score lower than everyone else (Welch)
    low_paths = [d.path for d in demo.low_one_on_one_teams()]
    assert len(low_paths) == 2
    for surveys, alpha in (([latest], 0.05), (pulses, 0.001)):  # the latest wave; all waves
        frames = data.load([s.pk for s in surveys])
        respondents = scoring.respondent_table(frames.answers, frames.questions, frames.responses)
        paths = respondents.get_column("department_path").to_list()
        in_low = np.array([any(p.startswith(lp) for lp in low_paths) for p in paths])
        engagement = respondents.get_column("engagement_mean").to_numpy()
        low, rest = engagement[in_low], engagement[~in_low]
        assert np.nanmean(low) < np.nanmean(rest) - 0.3
        assert scipy_stats.ttest_ind(low, rest, equal_var=False, nan_policy="omit").pvalue < alpha

    # 3. カスタマーサクセス部 declines for six waves and recovers after the plan
    cs = demo.declining_department()
    assert cs is not None
    trend = report.build(latest, hr, by=[], department_id=cs.pk, with_comments=False)["trend"]
    index = {p["wave"]: p["engagement_index"] for p in trend}
    slide = scipy_stats.linregress(range(3, 10), [index[w] for w in range(3, 10)])
    assert slide.slope < -2 and slide.pvalue < 0.01  # six waves of decline
    assert index[9] < index[3] - 15
    assert index[12] > index[9] + 15
    marks = [p.get("change", {}).get("engagement_index", {}) for p in trend]
    assert any(m.get("significant") for m in marks[9:])  # the recovery is marked
    plan = Plan.objects.get(scope=cs)
    review = plan.reviews.get()
    assert review.verdict == "improved" and review.ci_low > 0

    # 4. the small teams (3–4 people) are hidden, and so is every group under k
    teams = results_groups(latest, hr, ["team"])
    by_name = {g["key"]["department"]: g for g in teams["groups"]}
    for small in ("内部監査室", "営業企画課", "法務課"):
        assert by_name[small]["suppressed"] and by_name[small]["respondents"] is None
        assert all(v is None for v in by_name[small]["scores"].values())
    assert all(g["respondents"] is None or g["respondents"] >= 5 for g in teams["groups"])

"""The HR calibration view: band distribution per department or manager against the
target distribution, and per-person rows with self, manager and 360 averages (the 360
part passes the same rater-category rule as the results page)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Avg, Count
from django.utils.translation import gettext as _

from kizuna.core import charts
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import (
    BANDS,
    RATER_CATEGORIES,
    AssignmentStatus,
    Cycle,
    CycleStatus,
    Feedback,
    RaterAssignment,
    Review,
    ReviewKind,
)


def progress(cycle: Cycle) -> dict[str, int]:
    """Totals for the whole cycle (never per rater)."""
    participants = cycle.participants.count()
    submitted = Review.objects.filter(participant__cycle=cycle, submitted_on__isnull=False)
    approved = RaterAssignment.objects.filter(
        participant__cycle=cycle, status=AssignmentStatus.APPROVED
    )
    return {
        "participants": participants,
        "self": submitted.filter(kind=ReviewKind.SELF).count(),
        "manager": submitted.filter(kind=ReviewKind.MANAGER).count(),
        "raters": approved.count(),
        "feedback": approved.filter(completed=True).count(),
        "banded": cycle.participants.exclude(band="").count(),
    }


def guarded_360(cycle: Cycle) -> dict[int, tuple[float | None, float | None]]:
    """Per participant: outcome and process means over the rater categories that have at
    least k raters, once the cycle is closed; nothing otherwise."""
    if cycle.status == CycleStatus.OPEN:
        return {}
    k = services.k_of(cycle)
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    rows = (
        Feedback.objects.filter(participant__cycle=cycle, category__in=RATER_CATEGORIES)
        .values("participant_id", "category")
        .annotate(n=Count("id"), outcome=Avg("outcome"), process=Avg("process"))
    )
    for row in rows:
        if row["n"] < k:
            continue
        acc = sums[row["participant_id"]]
        acc[0] += float(row["outcome"]) * row["n"]
        acc[1] += float(row["process"]) * row["n"]
        acc[2] += row["n"]
    return {pid: (acc[0] / acc[2], acc[1] / acc[2]) for pid, acc in sums.items() if acc[2]}


def _pair(outcome: float | None, process: float | None) -> str:
    if outcome is None or process is None:
        return "—"
    return f"{outcome:.1f} / {process:.1f}"


def build(cycle: Cycle, *, group: str = "department", language: str = "ja") -> dict[str, Any]:
    participants = list(
        cycle.participants.select_related("employee", "department", "manager").order_by(
            "department__path", "employee__employee_number"
        )
    )
    named: dict[tuple[int, str], Review] = {
        (r.participant_id, r.kind): r
        for r in Review.objects.filter(participant__cycle=cycle, submitted_on__isnull=False)
    }
    peer_360 = guarded_360(cycle)
    people = []
    for p in participants:
        own = named.get((p.pk, ReviewKind.SELF))
        boss = named.get((p.pk, ReviewKind.MANAGER))
        o360, p360 = peer_360.get(p.pk, (None, None))
        people.append(
            {
                "pk": p.pk,
                "name": p.employee.full_name,
                "number": p.employee.employee_number,
                "department": p.department.display_name(language),
                "manager": p.manager.full_name if p.manager else "—",
                "self": _pair(own.outcome, own.process) if own and own.outcome else "—",
                "manager_review": _pair(boss.outcome, boss.process)
                if boss and boss.outcome
                else "—",
                "feedback_360": _pair(o360, p360),
                "hidden_360": o360 is None,
                "final": _pair(
                    float(p.final_outcome) if p.final_outcome else None,
                    float(p.final_process) if p.final_process else None,
                ),
                "band": p.band,
                "wish": bool(own and (own.wish_transfer or own.wish_promotion)),
            }
        )
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for p in participants:
        if group == "manager":
            key = p.manager.full_name if p.manager else _("(no manager)")
        else:
            key = p.department.display_name(language)
        groups[key][p.band or "-"] += 1
    company: Counter[str] = Counter(p.band or "-" for p in participants)
    target = cycle.target()

    def row(label: str, counts: Counter[str]) -> dict[str, Any]:
        banded = sum(counts[b] for b in BANDS)
        cells = [
            {
                "band": b,
                "n": counts[b],
                "pct": (100.0 * counts[b] / banded) if banded else None,
                "target": target[b],
            }
            for b in BANDS
        ]
        return {"label": label, "banded": banded, "unbanded": counts["-"], "cells": cells}

    rows = [row(label, counts) for label, counts in sorted(groups.items())]
    total = row(_("Whole cycle"), company)
    chart = charts.bar_chart(
        list(BANDS),
        [
            {
                "label": _("Actual %"),
                "data": [round(c["pct"], 1) if c["pct"] is not None else 0 for c in total["cells"]],
                "color": "#0072B2",
            },
            {"label": _("Target %"), "data": [target[b] for b in BANDS], "color": "#E69F00"},
        ],
        y_title=_("Share of people (%)"),
    )
    chart_rows = [
        (
            c["band"],
            "—" if c["pct"] is None else f"{c['pct']:.1f}%（{c['n']}/{total['banded']}）",
            f"{c['target']}%",
        )
        for c in total["cells"]
    ]
    return {
        "people": people,
        "rows": rows,
        "total": total,
        "chart": chart,
        "chart_rows": chart_rows,
        "chart_headers": [_("Band"), _("Actual"), _("Target")],
        "k": services.k_of(cycle),
        "progress": progress(cycle),
        "open": cycle.status == CycleStatus.OPEN,
        "wishes": sum(1 for p in people if p["wish"]),
    }

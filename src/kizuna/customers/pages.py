"""What the portfolio, at-risk and renewals pages show, composed from the customer models,
``revenue`` and the health history. No HTTP here: the views pass in the filters and
render what comes back.

Every account figure comes from one query: accounts active today (METRICS.md: a
subscription covers the day) annotated with their latest health score, latest churn
risk, MRR today and next renewal date, each a correlated subquery on an index. Totals
by band and by CSM are then polars expressions over that one frame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models import (
    DateField,
    DecimalField,
    FloatField,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kizuna.core import charts
from kizuna.core.models import User
from kizuna.customers import display, revenue
from kizuna.customers.display import BAND_COLOURS, BANDS, NONE, RED
from kizuna.customers.models import (
    Account,
    ChurnModelRun,
    ChurnRisk,
    HealthScore,
    LifecycleStage,
    SizeBand,
    Subscription,
    covering_q,
)

SORTS = {
    "name": (["name_kana", "name"], [False, False]),
    "score": (["score", "name_kana"], [False, False]),
    "mrr": (["mrr", "name_kana"], [True, False]),
    "renewal": (["next_renewal", "name_kana"], [False, False]),
    "risk": (["risk", "name_kana"], [True, False]),
}

_COLUMNS = (
    "id",
    "name",
    "name_kana",
    "csm_id",
    "size_band",
    "stage",
    "stage_changed_on",
    "score",
    "band",
    "scored_on",
    "mrr",
    "next_renewal",
)


def latest_health_query(day: dt.date) -> QuerySet[HealthScore]:
    """An account's scores up to ``day``, newest first (for ``OuterRef("pk")``)."""
    return HealthScore.objects.filter(account=OuterRef("pk"), day__lte=day).order_by("-day")


def shown_risks() -> QuerySet[ChurnRisk]:
    """Stored risks scored by a usable model. Callers show them only while the latest
    run is usable (``risk_gate``); an account's newest such risk may come from the
    previous run until the new one has scored the accounts (the nightly snapshot)."""
    return ChurnRisk.objects.filter(run__usable=True)


def annotated_accounts(today: dt.date, *, with_risk: bool = False) -> QuerySet[Account]:
    """Accounts active on ``today`` with their latest score and band (on or before
    today), MRR today, next renewal date and, ``with_risk``, their latest churn risk."""
    latest = latest_health_query(today)
    mrr = (
        Subscription.objects.filter(covering_q(today), account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("mrr"))
        .values("total")
    )
    renewal = (
        Subscription.objects.filter(account=OuterRef("pk"), end_date__gt=today)
        .order_by("end_date")
        .values("end_date")[:1]
    )
    accounts = Account.objects.active_on(today).annotate(
        score=Subquery(latest.values("score")[:1], output_field=FloatField()),
        band=Subquery(latest.values("band")[:1]),
        scored_on=Subquery(latest.values("day")[:1], output_field=DateField()),
        mrr=Subquery(mrr, output_field=DecimalField(max_digits=14, decimal_places=0)),
        next_renewal=Subquery(renewal, output_field=DateField()),
    )
    if with_risk:
        risk = shown_risks().filter(account=OuterRef("pk"), day__lte=today).order_by("-day")
        accounts = accounts.annotate(
            risk=Subquery(risk.values("probability")[:1], output_field=FloatField()),
        )
    return accounts


def account_frame(today: dt.date, *, with_risk: bool = False) -> pl.DataFrame:
    columns: list[str] = list(_COLUMNS)
    names = [
        "pk",
        "name",
        "name_kana",
        "csm_owner_id",
        "size_band",
        "lifecycle_stage",
        "stage_changed_on",
        "score",
        "band",
        "scored_on",
        "mrr",
        "next_renewal",
    ]
    if with_risk:
        columns.append("risk")
        names.append("risk")
    rows = list(annotated_accounts(today, with_risk=with_risk).values_list(*names))
    schema: dict[str, Any] = {
        "id": pl.Int64,
        "name": pl.String,
        "name_kana": pl.String,
        "csm_id": pl.Int64,
        "size_band": pl.String,
        "stage": pl.String,
        "stage_changed_on": pl.Date,
        "score": pl.Float64,
        "band": pl.String,
        "scored_on": pl.Date,
        "mrr": pl.Int64,
        "next_renewal": pl.Date,
        "risk": pl.Float64,
    }
    data = [(*row[:10], int(row[10] or 0), *row[11:]) for row in rows]  # mrr: Decimal
    frame = pl.DataFrame(
        data, schema={name: schema[name] for name in columns}, orient="row"
    ).with_columns(pl.col("band").fill_null(NONE))
    if not with_risk:
        frame = frame.with_columns(risk=pl.lit(None, dtype=pl.Float64))
    return frame


def apply_filters(frame: pl.DataFrame, filters: Mapping[str, str]) -> pl.DataFrame:
    csm = filters.get("csm")
    if csm == "none":
        frame = frame.filter(pl.col("csm_id").is_null())
    elif csm and csm.isdigit():
        frame = frame.filter(pl.col("csm_id") == int(csm))
    if filters.get("band"):
        frame = frame.filter(pl.col("band") == filters["band"])
    if filters.get("segment"):
        frame = frame.filter(pl.col("size_band") == filters["segment"])
    if filters.get("stage"):
        frame = frame.filter(pl.col("stage") == filters["stage"])
    return frame


def sort_frame(frame: pl.DataFrame, sort: str) -> pl.DataFrame:
    by, descending = SORTS.get(sort, SORTS["name"])
    return frame.sort(by, descending=descending, nulls_last=True)


def csm_names(ids: Sequence[int | None]) -> dict[int | None, str]:
    wanted = {pk for pk in ids if pk is not None}
    names: dict[int | None, str] = {
        user.pk: str(user) for user in User.objects.filter(pk__in=wanted)
    }
    names[None] = _("No CSM")
    return names


def in_days(days: int) -> str:
    """The words for "in N days", made here rather than per row in the template, where a
    pluralised translation costs about a millisecond each on a long table."""
    return ngettext("in %(n)s day", "in %(n)s days", days) % {"n": days}


def days_in_stage(days: int) -> str:
    return ngettext("%(n)s day in this stage", "%(n)s days in this stage", days) % {"n": days}


def table_rows(frame: pl.DataFrame, today: dt.date) -> list[dict[str, Any]]:
    """Rows for an account table (a page of them), with display values."""
    names = csm_names(frame["csm_id"].to_list())
    sizes = dict(SizeBand.choices)
    stages = dict(LifecycleStage.choices)
    rows = []
    for row in frame.iter_rows(named=True):
        renewal = row["next_renewal"]
        rows.append(
            {
                **row,
                "csm": names.get(row["csm_id"], ""),
                "size_label": sizes.get(row["size_band"], ""),
                "stage_label": stages.get(row["stage"], row["stage"]),
                "in_stage": days_in_stage((today - row["stage_changed_on"]).days),
                "renewal_in": in_days((renewal - today).days) if renewal else "",
            }
        )
    return rows


# --- Portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BandTotal:
    band: str
    label: str
    accounts: int
    mrr: int
    share: float | None


def band_totals(frame: pl.DataFrame) -> list[BandTotal]:
    grouped = {
        row["band"]: row
        for row in frame.group_by("band")
        .agg(accounts=pl.len(), mrr=pl.col("mrr").sum())
        .iter_rows(named=True)
    }
    total = frame.height
    out = []
    for band in BANDS:
        row = grouped.get(band, {"accounts": 0, "mrr": 0})
        out.append(
            BandTotal(
                band,
                display.band_label(band),
                int(row["accounts"]),
                int(row["mrr"] or 0),
                row["accounts"] / total if total else None,
            )
        )
    return out


def csm_totals(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per CSM: accounts, MRR, accounts per band, mean score (of scored ones)."""
    grouped = (
        frame.group_by("csm_id")
        .agg(
            accounts=pl.len(),
            mrr=pl.col("mrr").sum(),
            mean_score=pl.col("score").mean(),
            **{band: (pl.col("band") == band).sum() for band in BANDS},
        )
        .sort("mrr", descending=True)
    )
    names = csm_names(grouped["csm_id"].to_list())
    return [{**row, "csm": names.get(row["csm_id"], "")} for row in grouped.iter_rows(named=True)]


def band_chart(totals: Sequence[BandTotal]) -> dict[str, Any]:
    spec = charts.bar_chart(
        [t.label for t in totals],
        [
            {
                "label": _("Accounts"),
                "data": [t.accounts for t in totals],
                "backgroundColor": [BAND_COLOURS[t.band] for t in totals],
                "borderColor": [BAND_COLOURS[t.band] for t in totals],
            }
        ],
        y_title=_("Accounts"),
    )
    return spec


def csm_chart(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return charts.bar_chart(
        [row["csm"] for row in rows],
        [
            {
                "label": display.band_label(band),
                "data": [row[band] for row in rows],
                "color": BAND_COLOURS[band],
            }
            for band in BANDS
        ],
        horizontal=True,
        stacked=True,
        y_title=_("Accounts"),
    )


@dataclass(frozen=True)
class RevenueFigure:
    key: str
    label: str
    value: str
    help: str
    base: str


def revenue_figures(start: dt.date, end: dt.date) -> list[RevenueFigure]:
    """Logo churn, MRR churn, GRR and NRR over [start, end) with their bases, as
    ``kizuna.customers.revenue`` computes them (company-wide)."""
    logo = revenue.logo_churn(start, end)
    movements = revenue.mrr_movements(start, end)
    mrr_churn = revenue.mrr_churn(start, end)
    grr = revenue.grr(start, end)
    nrr = revenue.nrr(start, end)
    start_mrr = display.yen(movements.mrr_at_start)
    return [
        RevenueFigure(
            "logo-churn",
            _("Logo churn rate"),
            display.percent(logo.rate, 1),
            _(
                "Accounts active at the start and not at the end, out of the accounts "
                "active at the start."
            ),
            _("%(churned)s of %(base)s accounts active at the start")
            % {
                "churned": display.number(logo.churned),
                "base": display.number(logo.active_at_start),
            },
        ),
        RevenueFigure(
            "mrr-churn",
            _("MRR churn rate"),
            display.percent(mrr_churn.value, 1),
            _(
                "MRR of churned accounts plus downsell of retained accounts, out of the "
                "MRR at the start."
            ),
            _("churned %(churned)s + downsell %(contraction)s of %(base)s MRR at the start")
            % {
                "churned": display.yen(movements.churned),
                "contraction": display.yen(movements.contraction),
                "base": start_mrr,
            },
        ),
        RevenueFigure(
            "grr",
            _("Gross revenue retention (GRR)"),
            display.percent(grr.value, 1),
            _(
                "(MRR at the start − churned − contraction) ÷ MRR at the start. Accounts "
                "new in the period are left out."
            ),
            _("%(kept)s kept of %(base)s MRR at the start")
            % {"kept": display.yen(grr.numerator), "base": start_mrr},
        ),
        RevenueFigure(
            "nrr",
            _("Net revenue retention (NRR)"),
            display.percent(nrr.value, 1),
            _(
                "(MRR at the start − churned − contraction + expansion) ÷ MRR at the "
                "start. Accounts new in the period are left out."
            ),
            _("%(kept)s including expansion %(expansion)s, of %(base)s MRR at the start")
            % {
                "kept": display.yen(nrr.numerator),
                "expansion": display.yen(movements.expansion),
                "base": start_mrr,
            },
        ),
    ]


# --- Churn model gate ----------------------------------------------------------------------


@dataclass(frozen=True)
class RiskGate:
    """Whether churn risks may be shown, and if not, why (UX: say why, with the AUC)."""

    run: ChurnModelRun | None
    usable: bool
    reason: str


def auc_text(run: ChurnModelRun) -> str:
    if run.auc is None:
        return ""
    return _(
        "Out-of-time AUC %(auc)s (95%% interval %(low)s–%(high)s) on %(n)s renewals it had "
        "not seen."
    ) % {
        "auc": display.number(run.auc, 2),
        "low": display.number(run.auc_low, 2),
        "high": display.number(run.auc_high, 2),
        "n": display.number(run.validation_rows),
    }


def risk_gate() -> RiskGate:
    """The latest churn model run and whether its risks may be shown (``usable``)."""
    from kizuna.customers import churn_model

    run = churn_model.latest_run()
    if run is not None and run.usable:
        return RiskGate(run, True, "")
    reason = churn_model.status_message(run)
    if run is not None and run.auc is not None:
        reason = f"{reason} {auc_text(run)}"
    return RiskGate(run, False, reason)


# --- Renewals ------------------------------------------------------------------------------


def band_lookup(account_ids: Sequence[int], day: dt.date) -> dict[int, str | None]:
    """The latest health band of each account on or before ``day`` (the renewals
    pipeline's hook)."""
    latest = latest_health_query(day)
    return dict(
        Account.objects.filter(pk__in=set(account_ids))
        .annotate(band=Subquery(latest.values("band")[:1]))
        .values_list("pk", "band")
    )


HORIZONS = (30, 60, 90)


def renewals(today: dt.date, horizon: int, filters: Mapping[str, str]) -> dict[str, Any]:
    pipeline = revenue.renewals_pipeline(today, HORIZONS, health=band_lookup)
    owners = dict(
        Account.objects.filter(pk__in={item.account_id for item in pipeline.items}).values_list(
            "pk", "csm_owner_id"
        )
    )
    names = csm_names(list(owners.values()))
    csm = filters.get("csm", "")
    items: list[dict[str, Any]] = []
    for item in pipeline.items:
        owner = owners.get(item.account_id)
        if item.days_left > horizon:
            continue
        if csm == "none" and owner is not None:
            continue
        if csm.isdigit() and owner != int(csm):
            continue
        band = item.health or NONE
        if filters.get("band") and band != filters["band"]:
            continue
        items.append(
            {
                "item": item,
                "band": band,
                "csm": names.get(owner, ""),
                "renewal_in": in_days(item.days_left),
            }
        )
    # MRR up for renewal by how soon and by band, for the chart (not cumulative here).
    buckets = list(zip((0, *HORIZONS), HORIZONS, strict=False))
    labels = [_("%(low)s–%(high)s days") % {"low": low + 1, "high": high} for low, high in buckets]
    by_bucket: dict[tuple[int, str], int] = {}
    for entry in items:
        item = entry["item"]
        bucket = next(high for low, high in buckets if item.days_left <= high)
        key = (bucket, entry["band"])
        by_bucket[key] = by_bucket.get(key, 0) + item.mrr
    visible = [high for _low, high in buckets if high <= horizon]
    chart = charts.bar_chart(
        [label for label, (_low, high) in zip(labels, buckets, strict=True) if high in visible],
        [
            {
                "label": display.band_label(band),
                "data": [by_bucket.get((high, band), 0) for high in visible],
                "color": BAND_COLOURS[band],
            }
            for band in BANDS
        ],
        stacked=True,
        y_title=_("MRR (yen)"),
    )
    chart_rows = [
        [label, *[display.yen(by_bucket.get((high, band), 0)) for band in BANDS]]
        for label, (_low, high) in zip(labels, buckets, strict=True)
        if high in visible
    ]
    total_mrr = sum(entry["item"].mrr for entry in items)
    at_risk_mrr = sum(entry["item"].mrr for entry in items if entry["band"] == RED)
    return {
        "pipeline": pipeline,
        "items": items,
        "chart": chart,
        "chart_rows": chart_rows,
        "chart_headers": [_("Renewal in"), *[display.band_label(band) for band in BANDS]],
        "total_mrr": total_mrr,
        "at_risk_mrr": at_risk_mrr,
        "count": len(items),
    }


def mrr_total(frame: pl.DataFrame) -> int:
    return int(frame["mrr"].sum() or 0)


# --- At-risk accounts ----------------------------------------------------------------------

RISK_THRESHOLDS = (0.2, 0.3, 0.5)
DEFAULT_RISK_THRESHOLD = 0.3


def measure_label(key: str) -> str:
    from kizuna.customers import health

    measure = health.MEASURES.get(key)
    return str(measure.label) if measure is not None else key


def weakest_measures(contributions: Any, limit: int = 2) -> list[str]:
    """The measures that pull a score down most: the lowest normalised values among the
    measures that counted (weight above 0, data available)."""
    if not isinstance(contributions, dict):
        return []
    counted = [
        (float(part["normalised"]), key)
        for key, part in contributions.items()
        if isinstance(part, dict)
        and part.get("normalised") is not None
        and not part.get("missing")
        and float(part.get("effective_weight") or part.get("weight") or 0) > 0
    ]
    counted.sort()
    return [
        _("%(measure)s %(value)s/100")
        % {"measure": measure_label(key), "value": display.number(value)}
        for value, key in counted[:limit]
    ]


def at_risk(
    today: dt.date, threshold: float, filters: Mapping[str, str], sort: str
) -> dict[str, Any]:
    """Active accounts in the red band, or (when the churn model is usable) with a churn
    risk at or above ``threshold``, with why: their weakest health measures and the
    model's top reasons."""
    gate = risk_gate()
    run = gate.run if gate.usable else None
    frame = apply_filters(account_frame(today, with_risk=run is not None), filters)
    flagged = pl.col("band") == RED
    if run is not None:
        flagged = flagged | (pl.col("risk") >= threshold).fill_null(False)
    frame = sort_frame(frame.filter(flagged), sort or ("risk" if run else "score"))
    rows = table_rows(frame, today)
    ids = [row["id"] for row in rows]
    contributions = {
        (account_id, day): parts
        for account_id, day, parts in HealthScore.objects.filter(
            account_id__in=ids, day__in={row["scored_on"] for row in rows if row["scored_on"]}
        ).values_list("account_id", "day", "contributions")
    }
    reasons: dict[int, Any] = {}
    if run is not None:
        latest = shown_risks().filter(account=OuterRef("pk"), day__lte=today).order_by("-day")
        reasons = dict(
            Account.objects.filter(pk__in=ids)
            .annotate(reasons=Subquery(latest.values("reasons")[:1], output_field=JSONField()))
            .values_list("pk", "reasons")
        )
    names = display.feature_names()
    for row in rows:
        row["weak"] = weakest_measures(contributions.get((row["id"], row["scored_on"])))
        row["reasons"] = display.reason_texts(reasons.get(row["id"]), names=names)
    return {
        "gate": gate,
        "rows": rows,
        "count": len(rows),
        "mrr": mrr_total(frame),
        "red": int((frame["band"] == RED).sum()),
    }


# --- Portfolio page --------------------------------------------------------------------------


def portfolio(today: dt.date, filters: Mapping[str, str], sort: str) -> dict[str, Any]:
    """Everything the portfolio shows for the filtered accounts, except the company-wide
    revenue figures (:func:`revenue_figures`) and the table page (the view paginates
    ``frame``)."""
    everything = account_frame(today)
    frame = sort_frame(apply_filters(everything, filters), sort)
    bands = band_totals(frame)
    by_csm = csm_totals(frame)
    scored_days = frame["scored_on"].drop_nulls()
    return {
        "frame": frame,
        "total_accounts": everything.height,
        "accounts": frame.height,
        "mrr": mrr_total(frame),
        "bands": bands,
        "band_chart": band_chart(bands),
        "band_rows": [
            [t.label, display.number(t.accounts), display.percent(t.share), display.yen(t.mrr)]
            for t in bands
        ],
        "by_csm": by_csm,
        "csm_chart": csm_chart(by_csm),
        "csm_rows_height": max(len(by_csm), 1) if len(by_csm) > 12 else 0,
        "scored_on": scored_days.max() if scored_days.len() else None,
    }

"""Customer accounts, their contacts and their subscriptions.

A subscription covers the days ``start_date ≤ day < end_date`` (``end_date`` is the first
day it no longer covers; empty means open-ended/evergreen). METRICS.md §Customers:
"Accounts are active on a date when a subscription covers it (start ≤ date < end)" —
that one rule is ``SubscriptionQuerySet.covering`` and everything else (churn, GRR, NRR,
renewals) builds on it.

``mrr`` is always the *monthly* recurring amount in whole yen, after any discount,
whatever the billing period: an annual contract of ¥1,200,000 is imported with
``mrr`` = 100,000. ``discount_pct`` is kept for reference and never applied again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ADOPTION = "adoption", _("Adoption")
    EXPANSION = "expansion", _("Expansion")
    RENEWAL = "renewal", _("Renewal")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class SizeBand(models.TextChoices):
    """Company size by number of employees (the bands Japanese SaaS sales teams use)."""

    SMALL = "small", _("1–49 employees")
    MEDIUM = "medium", _("50–299 employees")
    LARGE = "large", _("300–999 employees")
    ENTERPRISE = "enterprise", _("1,000 employees or more")


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


def covering_q(day: dt.date, prefix: str = "") -> Q:
    """The filter "a subscription covers ``day``" (start ≤ day < end, open end allowed).
    ``prefix`` reaches subscriptions through a relation ("subscriptions__")."""
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gt": day})
    )


class AccountQuerySet(models.QuerySet["Account"]):
    def active_on(self, day: dt.date) -> AccountQuerySet:
        """Accounts with at least one subscription covering ``day``."""
        covered = Subscription.objects.covering(day).values("account_id")
        return self.filter(pk__in=covered)


class Account(models.Model):
    """A customer company (one "logo" in churn figures)."""

    external_id = models.CharField(_("external ID"), max_length=100, unique=True)
    name = models.CharField(_("account name"), max_length=200)
    name_kana = models.CharField(_("account name (kana)"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size_band = models.CharField(
        _("company size"), max_length=20, choices=SizeBand.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("parent account"),
    )
    csm_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="csm_accounts",
        verbose_name=_("CSM"),
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.ONBOARDING,
    )
    stage_changed_on = models.DateField(_("in stage since"), default=timezone.localdate)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ("name_kana", "name")
        indexes = [models.Index(fields=["lifecycle_stage"], name="customers_account_stage")]

    def __str__(self) -> str:
        return self.name

    def days_in_stage(self, today: dt.date | None = None) -> int:
        """Days since the account entered its current lifecycle stage (time-in-stage)."""
        return ((today or timezone.localdate()) - self.stage_changed_on).days

    def is_active_on(self, day: dt.date) -> bool:
        """METRICS.md: active on a date when a subscription covers it (start ≤ date < end)."""
        return Subscription.objects.filter(account=self).covering(day).exists()

    def mrr_on(self, day: dt.date) -> Decimal:
        """The account's MRR on ``day``: the sum of the covering subscriptions' ``mrr``."""
        covering = Subscription.objects.filter(account=self).covering(day)
        return covering.aggregate(total=Sum("mrr", default=Decimal(0)))["total"]


class Contact(models.Model):
    """A person at a customer. At most one contact per account is the primary one."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("account")
    )
    external_id = models.CharField(_("external ID"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email address"), blank=True, db_index=True)
    title = models.CharField(_("role or title"), max_length=200, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ("account", "-is_primary", "name")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_primary=True),
                name="customers_one_primary_contact",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def covering(self, day: dt.date) -> SubscriptionQuerySet:
        """Subscriptions that cover ``day`` (start ≤ day < end; no end = still running)."""
        return self.filter(covering_q(day))


class Subscription(models.Model):
    """One contract line: a product and plan for an account over [start_date, end_date)."""

    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=_("account"),
    )
    external_id = models.CharField(_("external ID"), max_length=100, unique=True)
    product = models.CharField(_("product"), max_length=200)
    plan = models.CharField(_("plan"), max_length=200, blank=True)
    mrr = models.DecimalField(
        _("MRR (yen)"),
        max_digits=14,
        decimal_places=0,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Monthly recurring revenue in yen after discounts, also for annual plans."),
    )
    quantity = models.PositiveIntegerField(_("seats"), default=1)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("The first day no longer covered. Leave empty for an open-ended contract."),
    )
    billing_period = models.CharField(
        _("billing period"),
        max_length=10,
        choices=BillingPeriod.choices,
        default=BillingPeriod.MONTHLY,
    )
    discount_pct = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ("account", "start_date")
        indexes = [
            models.Index(fields=["start_date", "end_date"], name="customers_sub_period"),
            models.Index(fields=["end_date"], name="customers_sub_end"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(mrr__gte=0), name="customers_sub_mrr_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="customers_sub_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(discount_pct__gte=0) & Q(discount_pct__lte=100),
                name="customers_sub_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.product} {self.plan}".strip()

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day < self.end_date)


# --- Health score, CSM assessments and the churn-risk model ----------------------------
#
# The computation lives in ``kizuna.customers.health`` (scores), ``backtest`` and
# ``churn_model``; these models only keep configuration and history.


class HealthBand(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")


DEFAULT_RED_BELOW = 40.0
DEFAULT_GREEN_FROM = 70.0


class HealthProfile(models.Model):
    """Weights and band thresholds of the health score for one customer segment.

    ``segment`` is a size band; the profile with a blank segment is the default, used
    for every account whose size band has no profile of its own. ``weights`` maps a
    measure key (``kizuna.customers.health.MEASURES``) to a weight ≥ 0; a measure absent
    from the mapping takes its default weight, so a measure added by a later release
    joins existing profiles without a data migration. Change weights through
    ``health.update_profile`` (it validates and audits).
    """

    name = models.CharField(_("name"), max_length=100)
    segment = models.CharField(
        _("segment"),
        max_length=20,
        choices=SizeBand.choices,
        blank=True,
        help_text=_("Company size this profile applies to; empty for the default profile."),
    )
    weights = models.JSONField(_("weights"), default=dict)
    red_below = models.FloatField(
        _("red below"),
        default=DEFAULT_RED_BELOW,
        help_text=_("Scores below this are red."),
    )
    green_from = models.FloatField(
        _("green from"),
        default=DEFAULT_GREEN_FROM,
        help_text=_("Scores from this value up are green; those in between are yellow."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("health profile")
        verbose_name_plural = _("health profiles")
        ordering = ("segment",)
        constraints = [
            models.UniqueConstraint(fields=["segment"], name="customers_health_profile_segment"),
            models.CheckConstraint(
                condition=Q(red_below__gte=0)
                & Q(green_from__lte=100)
                & Q(red_below__lt=models.F("green_from")),
                name="customers_health_profile_bands",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return not self.segment

    def band_for(self, score: float) -> str:
        """Red below ``red_below``, green from ``green_from``, yellow in between."""
        if score < self.red_below:
            return HealthBand.RED
        if score >= self.green_from:
            return HealthBand.GREEN
        return HealthBand.YELLOW


class HealthScore(models.Model):
    """An account's health on one day (0–100, higher = healthier), with the share of each
    measure in it. ``contributions`` maps each measure key to ``{"raw", "normalised",
    "weight", "effective_weight", "points", "missing"}``; the ``points`` add up to
    ``score``. Written by ``health.snapshot``/``health.backfill``, one row per account
    and day."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="health_scores",
        verbose_name=_("account"),
    )
    day = models.DateField(_("day"))
    score = models.FloatField(_("health score"))
    band = models.CharField(_("band"), max_length=10, choices=HealthBand.choices)
    profile = models.ForeignKey(
        HealthProfile,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("health profile"),
    )
    contributions = models.JSONField(_("contributions"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        ordering = ("account", "-day")
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="customers_health_account_day"),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="customers_health_score_range"
            ),
        ]
        indexes = [models.Index(fields=["day", "band"], name="customers_health_day_band")]

    def __str__(self) -> str:
        return f"{self.account} {self.day}: {self.score:.0f}"


class CsmAssessment(models.Model):
    """A CSM's own judgement of an account's health, 1 (poor) to 5 (excellent): the
    "manual CSM assessment" measure of the health score. Record one through
    ``health.record_assessment`` (audited)."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="csm_assessments",
        verbose_name=_("account"),
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assessed by"),
    )
    at = models.DateTimeField(_("assessed at"), default=timezone.now)

    class Meta:
        verbose_name = _("CSM assessment")
        verbose_name_plural = _("CSM assessments")
        ordering = ("account", "-at")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="customers_csm_rating_range"
            )
        ]
        indexes = [models.Index(fields=["account", "at"], name="customers_csm_account_at")]

    def __str__(self) -> str:
        return f"{self.account} {self.rating}/5"


class ChurnModelRun(models.Model):
    """One training of the churn-risk model with its out-of-time validation.

    The model was fitted on renewal decisions before ``cutoff`` and validated on those
    from ``cutoff`` on; ``auc`` (with its 95 % interval), ``brier`` and ``calibration``
    describe that validation. ``model`` holds what scoring needs as plain JSON (feature
    names, standardisation, coefficients), never a pickle. ``usable`` is the gate the UI
    obeys: risks are shown only for a usable run.
    """

    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    days_before = models.PositiveIntegerField(_("days before renewal"))
    cutoff = models.DateField(_("validation cutoff"), null=True, blank=True)
    train_rows = models.PositiveIntegerField(_("training decisions"), default=0)
    train_churned = models.PositiveIntegerField(_("churned in training"), default=0)
    validation_rows = models.PositiveIntegerField(_("validation decisions"), default=0)
    validation_churned = models.PositiveIntegerField(_("churned in validation"), default=0)
    auc = models.FloatField(_("validation AUC"), null=True, blank=True)
    auc_low = models.FloatField(_("AUC lower bound"), null=True, blank=True)
    auc_high = models.FloatField(_("AUC upper bound"), null=True, blank=True)
    brier = models.FloatField(_("Brier score"), null=True, blank=True)
    calibration = models.JSONField(_("calibration"), default=list)
    validation = models.JSONField(
        _("validation predictions"), default=list, help_text=_("[churned, probability] pairs")
    )
    features = models.JSONField(_("features"), default=list)
    model = models.JSONField(_("model"), default=dict)
    usable = models.BooleanField(_("usable"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("churn model run")
        verbose_name_plural = _("churn model runs")
        ordering = ("-trained_at",)
        indexes = [models.Index(fields=["trained_at"], name="customers_churnrun_trained")]

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d %H:%M} AUC {self.auc}"


class ChurnRisk(models.Model):
    """An account's probability of churning at its next renewal, as scored on ``day`` by
    ``run``, with its top reasons (``[{"feature", "direction", "contribution",
    "value"}]``, largest first; labels are translated when shown)."""

    run = models.ForeignKey(
        ChurnModelRun, on_delete=models.CASCADE, related_name="risks", verbose_name=_("model")
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="churn_risks", verbose_name=_("account")
    )
    day = models.DateField(_("day"))
    probability = models.FloatField(_("churn risk"))
    reasons = models.JSONField(_("reasons"), default=list)

    class Meta:
        verbose_name = _("churn risk")
        verbose_name_plural = _("churn risks")
        ordering = ("-day", "-probability")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day"], name="customers_churnrisk_account_day"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=1),
                name="customers_churnrisk_probability",
            ),
        ]
        indexes = [models.Index(fields=["day", "probability"], name="customers_churnrisk_day")]

    def __str__(self) -> str:
        return f"{self.account} {self.day}: {self.probability:.0%}"

"""Action plans: the plan → act → review half of the improvement cycle (DESIGN.md).

A ``Plan`` starts from a result (a heatmap cell, a driver, a factor) recorded in
``source`` with the value it had then (``baseline_value``/``baseline_n``). People act on
it (``Action``), report progress (``CheckIn``) and finally measure the metric again
(``Review``), which stores the before/after comparison with its uncertainty so the
verdict shown later never has to be recomputed from inputs that may have changed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Plan(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_plans",
        verbose_name=_("owner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the plan came from, e.g. {"kind": "engagement", "survey_id": 3,
    # "metric": "factor_favourable", "factor": "fair_evaluation", "item": null,
    # "group": {"attribute": "department", "value": 5}}; see ``improvement.sources``.
    source = models.JSONField(_("source"), default=dict, blank=True)
    # Whose team the plan is for; NULL means the whole company.
    scope = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("team"),
    )
    target_metric = models.CharField(_("target metric"), max_length=200)
    higher_is_better = models.BooleanField(default=True)
    baseline_value = models.FloatField(_("starting value"), null=True, blank=True)
    baseline_n = models.PositiveIntegerField(_("respondents at the start"), null=True, blank=True)
    target_value = models.FloatField(_("target value"), null=True, blank=True)
    due_on = models.DateField(_("due date"))
    review_on = models.DateField(_("review date"))
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.ACTIVE
    )
    shared_with_team = models.BooleanField(_("share with the team"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "review_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def created_on(self) -> dt.date:
        """The creation day in the site's time zone (dates are compared against it)."""
        return timezone.localdate(self.created_at)


class Action(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(pgettext_lazy("plan", "action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("plan", "action")
        verbose_name_plural = pgettext_lazy("plan", "actions")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class CheckIn(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="check_ins")
    on = models.DateField(_("date"))
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=100),
                name="checkin_progress_0_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.on} {self.progress}%"


class ReviewMethod(models.TextChoices):
    PROPORTION = "proportion", _("Share of people (two proportions)")
    MEAN = "mean", _("Average score (two means)")


class Verdict(models.TextChoices):
    IMPROVED = "improved", _("Improved")
    NO_CLEAR_CHANGE = "no_clear_change", _("No clear change")
    WORSENED = "worsened", _("Worsened")


class Review(models.Model):
    """One before/after measurement. Values are on the metric's own scale (percent or
    0–100 points); ``diff`` and its interval are after − before in those points."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    on = models.DateField(_("date"))
    method = models.CharField(max_length=20, choices=ReviewMethod.choices)
    before_value = models.FloatField(_("before"))
    before_n = models.PositiveIntegerField(_("respondents before"))
    after_value = models.FloatField(_("after"))
    after_n = models.PositiveIntegerField(_("respondents after"))
    diff = models.FloatField(_("difference"))
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    level = models.FloatField(default=0.95)
    p_value = models.FloatField(null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    note = models.TextField(_("note"), blank=True)
    # What the comparison was computed from (counts or mean/variance), and where from.
    inputs = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.on} {self.verdict}"


class PlanReminder(models.Model):
    """The ledger that makes reminders idempotent: one row per plan per day sent."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reminders")
    sent_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "sent_on"], name="unique_plan_reminder_day")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.sent_on}"

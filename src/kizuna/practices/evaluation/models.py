"""Evaluation and feedback cycles.

Anonymity of 360 feedback is a property of the schema, as for survey responses:

- ``RaterAssignment`` records *who* was asked to rate *whom* and *that* they completed (a
  boolean, no date, no time) — needed to stop a second submission;
- ``Feedback`` (a peer or report rating) has a random UUID key, the reviewee and the rater
  *category* only: no foreign key, token or timestamp leads back to the rater or to the
  assignment. A person can therefore see aggregated peer/report results only, per
  category, and only when the category has at least k raters.

Self and manager reviews (``Review``) are named.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]

# The band scale and the default target distribution (percent of people).
BANDS = ("S", "A", "B", "C", "D")
DEFAULT_TARGET = {"S": 5, "A": 20, "B": 50, "C": 20, "D": 5}


class Band(models.TextChoices):
    S = "S", _("S (far exceeded expectations)")
    A = "A", _("A (exceeded expectations)")
    B = "B", _("B (met expectations)")
    C = "C", _("C (partly met expectations)")
    D = "D", _("D (did not meet expectations)")


class Criteria(models.Model):
    """A published version of the evaluation criteria (評価基準) for a job level and/or a
    department subtree; both empty = company-wide. A new version of the same scope
    (department, job level) supersedes the previous one once published."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("criteria"))
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department (and below)"),
    )
    job_level = models.CharField(_("job level"), max_length=50, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evaluation criteria")
        verbose_name_plural = _("evaluation criteria")
        ordering = ["department_id", "job_level", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "job_level", "version"], name="unique_criteria_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class CycleKind(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly check-in")
    ANNUAL = "annual", _("Annual review")


class CycleStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed (calibration)")
    FINALISED = "finalised", _("Finalised")


class Cycle(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CycleKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=CycleStatus.choices, default=CycleStatus.OPEN
    )
    # the period under review and the deadline for writing reviews
    starts_on = models.DateField(_("period starts on"))
    ends_on = models.DateField(_("period ends on"))
    due_on = models.DateField(_("reviews due on"))
    # {"all": true} or {"department": "CODE"} (the department and everything below it)
    audience = models.JSONField(_("participants"), default=dict)
    # peer and report results are shown per category only with at least this many raters
    min_raters = models.PositiveSmallIntegerField(
        _("minimum raters per category"), default=3, validators=[MinValueValidator(3)]
    )
    target_distribution = models.JSONField(_("target distribution"), default=dict, blank=True)
    finalised_on = models.DateField(_("finalised on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evaluation cycle")
        verbose_name_plural = _("evaluation cycles")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_raters__gte=3), name="cycle_min_raters_at_least_3"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_360(self) -> bool:
        return self.kind == CycleKind.ANNUAL

    def target(self) -> dict[str, int]:
        return {b: int((self.target_distribution or DEFAULT_TARGET).get(b, 0)) for b in BANDS}


class Participant(models.Model):
    """One reviewee in a cycle, with the manager who reviews them (taken when the cycle
    was created) and the final rating."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participants")
    employee = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="evaluation_participations"
    )
    manager = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    final_outcome = models.PositiveSmallIntegerField(
        _("final outcome rating"), null=True, blank=True, validators=SCORE_VALIDATORS
    )
    final_process = models.PositiveSmallIntegerField(
        _("final process rating"), null=True, blank=True, validators=SCORE_VALIDATORS
    )
    band = models.CharField(_("performance band"), max_length=1, choices=Band.choices, blank=True)
    band_note = models.CharField(_("reason for the band"), max_length=500, blank=True)

    class Meta:
        ordering = ["cycle", "employee__employee_number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="unique_participant")
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}:{self.employee_id}"


class ReviewKind(models.TextChoices):
    SELF = "self", _("Self-assessment")
    MANAGER = "manager", _("Manager review")
    PEER = "peer", _("Peer review")
    REPORT = "report", _("Review from a report")


NAMED_KINDS = (ReviewKind.SELF, ReviewKind.MANAGER)
RATER_CATEGORIES = (ReviewKind.PEER, ReviewKind.REPORT)


class Review(models.Model):
    """A named review: the member's self-assessment or check-in, or the manager's review."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(
        _("kind"), max_length=20, choices=[(k.value, k.label) for k in NAMED_KINDS]
    )
    author = models.ForeignKey(
        "org.Employee", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.PositiveSmallIntegerField(
        _("outcome (成果)"), null=True, blank=True, validators=SCORE_VALIDATORS
    )
    process = models.PositiveSmallIntegerField(
        _("challenge and process"), null=True, blank=True, validators=SCORE_VALIDATORS
    )
    goals = models.TextField(_("goals"), blank=True)
    progress = models.TextField(_("progress"), blank=True)
    comment = models.TextField(_("comments"), blank=True)
    # self-assessment only: the stated wishes (社内異動希望・昇進希望)
    wish_transfer = models.BooleanField(_("I would like to transfer internally"), default=False)
    wish_promotion = models.BooleanField(_("I would like to be promoted"), default=False)
    wish_comment = models.TextField(_("about my wish"), blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "kind"], name="unique_named_review")
        ]
        indexes = [models.Index(fields=["kind", "submitted_on"])]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.kind}"

    @property
    def submitted(self) -> bool:
        return self.submitted_on is not None


class AssignmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class RaterAssignment(models.Model):
    """Who is asked to give peer or upward (report) feedback to whom. ``completed`` is the
    only trace of a submission (no date, no link to the ``Feedback`` row)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="assignments"
    )
    rater = models.ForeignKey("org.Employee", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(
        _("rater category"),
        max_length=20,
        choices=[(k.value, k.label) for k in RATER_CATEGORIES],
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PROPOSED,
    )
    completed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "rater"], name="unique_rater")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.category}"


class Feedback(models.Model):
    """An anonymous peer or report rating: no rater, no assignment, no date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="feedback")
    category = models.CharField(
        max_length=20, choices=[(k.value, k.label) for k in RATER_CATEGORIES]
    )
    outcome = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    process = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    comment = models.TextField(blank=True)

    class Meta:
        # no ordering by insertion: rows are read in random or aggregate form only
        indexes = [models.Index(fields=["participant", "category"])]

    def __str__(self) -> str:
        return str(self.id)

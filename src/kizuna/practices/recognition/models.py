"""Recognition and peer bonus (ピアボーナス): company values, thanks with points, claps,
award rounds with nomination and secret voting.

Points: a thanks post gives ``points`` to each recipient; it costs the sender
``points × recipients`` from a weekly budget (Monday–Sunday, Asia/Tokyo), which is not
carried over. ``ThanksRecipient.points`` is what the recipient received, so the payroll
export sums that column.

Votes are secret: ``Ballot`` holds the nominee only (random primary key, no voter, no
timestamp) and ``VoteReceipt`` records that a person voted in a round, so "one vote per
person" is enforced without any row linking a voter to their choice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Department, Employee


class CompanyValue(models.Model):
    """A company value (行動指針 / バリュー) that thanks are tied to."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive values stay on past thanks but cannot be chosen for new ones."),
    )
    order = models.IntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("company value")
        verbose_name_plural = _("company values")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str = "ja") -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def display_description(self, language: str = "ja") -> str:
        if language == "en" and self.description_en:
            return self.description_en
        return self.description


DEFAULT_WEEKLY_BUDGET = 400
DEFAULT_MAX_PER_POST = 120


class RecognitionSettings(models.Model):
    """The one settings row (``RecognitionSettings.current()``)."""

    weekly_budget = models.PositiveIntegerField(
        _("weekly points budget per person"),
        default=DEFAULT_WEEKLY_BUDGET,
        validators=[MinValueValidator(0), MaxValueValidator(100_000)],
        help_text=_(
            "Points each employee may give per week (Monday to Sunday, Japan time). "
            "Unused points are not carried over."
        ),
    )
    max_per_post = models.PositiveIntegerField(
        _("maximum points per post"),
        default=DEFAULT_MAX_PER_POST,
        validators=[MinValueValidator(0), MaxValueValidator(100_000)],
        help_text=_(
            "The most points one post may give each recipient. A post to several "
            "recipients costs the points times the number of recipients."
        ),
    )
    slack_channel = models.CharField(
        _("Slack channel"),
        max_length=100,
        blank=True,
        help_text=_("Each thanks is posted here, for example #thanks. Leave empty for none."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recognition settings")
        verbose_name_plural = _("recognition settings")

    def __str__(self) -> str:
        return str(_("recognition settings"))

    @classmethod
    def current(cls) -> RecognitionSettings:
        row = cls.objects.filter(pk=1).first()
        if row is not None:
            return row
        try:
            with transaction.atomic():
                return cls.objects.create(pk=1)
        except IntegrityError:  # created by a concurrent request a moment ago
            return cls.objects.get(pk=1)


class Thanks(models.Model):
    """One thanks post (称賛) from a sender to one or more recipients."""

    sender = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="thanks_sent", verbose_name=_("from")
    )
    message = models.TextField(_("message"), max_length=2000)
    points = models.PositiveIntegerField(_("points per recipient"), default=0)
    values = models.ManyToManyField(CompanyValue, related_name="thanks", verbose_name=_("values"))
    recipients = models.ManyToManyField(
        Employee,
        through="ThanksRecipient",
        related_name="thanks_received",
        verbose_name=_("to"),
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The date in Asia/Tokyo and the Monday of its week: budget and metric windows read
    # these without time-zone arithmetic in the database.
    posted_on = models.DateField(db_index=True)
    week_start = models.DateField()

    class Meta:
        verbose_name = _("thanks")
        verbose_name_plural = _("thanks")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["sender", "week_start"])]

    def __str__(self) -> str:
        return f"{self.sender} {self.posted_on}"

    @property
    def cost(self) -> int:
        return self.points * self.recipient_rows.count()


class ThanksRecipient(models.Model):
    """A recipient of a thanks post and the points they received from it."""

    thanks = models.ForeignKey(Thanks, on_delete=models.CASCADE, related_name="recipient_rows")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(default=0)
    # the recipient's department when the thanks was posted (for department breakdowns)
    department = models.ForeignKey(
        Department, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thanks", "employee"], name="recognition_one_row")
        ]

    def __str__(self) -> str:
        return f"{self.thanks_id} → {self.employee_id}"


class Clap(models.Model):
    """One clap (拍手) by one person on one post: a second click takes it back."""

    thanks = models.ForeignKey(Thanks, on_delete=models.CASCADE, related_name="claps")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thanks", "employee"], name="recognition_one_clap")
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} claps {self.thanks_id}"


class AwardPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly award")
    QUARTERLY = "quarterly", _("Quarterly award")


class AwardStatus(models.TextChoices):
    NOMINATION = "nomination", _("Nominations open")
    VOTING = "voting", _("Voting open")
    CLOSED = "closed", _("Closed")


class AwardRound(models.Model):
    """An award round such as 月間MVP: nominations, then voting, then results."""

    title = models.CharField(_("title"), max_length=200)
    period = models.CharField(
        _("period"), max_length=20, choices=AwardPeriod.choices, default=AwardPeriod.MONTHLY
    )
    period_start = models.DateField(_("period starts on"))
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AwardStatus.choices, default=AwardStatus.NOMINATION
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("award round")
        verbose_name_plural = _("award rounds")
        ordering = ["-period_start", "-pk"]

    def __str__(self) -> str:
        return self.title


class Nomination(models.Model):
    """A colleague nominated for a round, with the reason (the nominator is never shown)."""

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="nominations")
    nominee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    nominated_by = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "nominee", "nominated_by"], name="recognition_one_nomination"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.nominee_id}"


class VoteReceipt(models.Model):
    """That ``voter`` has voted in ``round`` — and nothing about the choice."""

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="receipts")
    voter = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "voter"], name="recognition_one_vote")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.voter_id}"


class Ballot(models.Model):
    """One anonymous vote for ``nominee``: a random key, no voter, no timestamp."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="ballots")
    nominee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.round_id}: ballot"

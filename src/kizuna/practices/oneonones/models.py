"""1on1s: a manager–member pair with a cadence, its meetings, the shared agenda, shared
and private notes, action items and the member's rating.

Privacy rules that live in the data layer:

* ``PrivateNote`` is readable by its writer only. Its default manager returns nothing;
  the one way to read notes is ``PrivateNote.objects.of_writer(employee)`` (used by
  :func:`kizuna.practices.oneonones.services.private_note_for`), so no queryset in the
  code base can list other people's private notes. The model has no reverse accessor on
  ``Meeting`` or ``Employee``, no Django admin registration and no API schema.
* Nothing in this app is registered with the Django admin: agenda, notes and ratings are
  the two participants' business only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Employee


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every two weeks")
    CUSTOM = "custom", _("Custom interval")


CADENCE_DAYS = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}
DEFAULT_CADENCE = Cadence.BIWEEKLY


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Pair(models.Model):
    """A manager and one direct report who hold 1on1s. Derived from the org chart by
    ``services.sync_pairs``; active from ``started_on`` until ``ended_on`` (exclusive)."""

    manager = models.ForeignKey(
        Employee,
        on_delete=models.CASCADE,
        related_name="oneonone_pairs_as_manager",
        verbose_name=_("manager"),
    )
    member = models.ForeignKey(
        Employee,
        on_delete=models.CASCADE,
        related_name="oneonone_pairs_as_member",
        verbose_name=_("member"),
    )
    cadence = models.CharField(
        _("cadence"), max_length=10, choices=Cadence.choices, default=DEFAULT_CADENCE
    )
    interval_days = models.PositiveSmallIntegerField(
        _("interval in days"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Used when the cadence is a custom interval (1 to 90 days)."),
    )
    weekday = models.PositiveSmallIntegerField(
        _("usual weekday"), choices=Weekday.choices, null=True, blank=True
    )
    time = models.TimeField(_("usual time"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("usual length (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    active = models.BooleanField(_("active"), default=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("1on1 pair")
        verbose_name_plural = _("1on1 pairs")
        constraints = [
            models.UniqueConstraint(fields=["manager", "member"], name="oneonones_pair_unique"),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("member")), name="oneonones_pair_distinct"
            ),
        ]
        ordering = ["manager_id", "member_id"]

    def __str__(self) -> str:
        return f"{self.manager} – {self.member}"

    @property
    def interval(self) -> int:
        """Days between meetings: 7 weekly, 14 every two weeks, else ``interval_days``."""
        return CADENCE_DAYS.get(Cadence(self.cadence), self.interval_days)

    def is_active_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)

    def participant_ids(self) -> set[int]:
        return {self.manager_id, self.member_id}


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    pair = models.ForeignKey(
        Pair, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("pair")
    )
    scheduled_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("clarity after the meeting (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("1on1 meeting")
        verbose_name_plural = _("1on1 meetings")
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["pair", "status", "held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="oneonones_rating_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pair} {self.scheduled_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        """Agenda items can be added while the meeting is still scheduled."""
        return self.status == MeetingStatus.SCHEDULED


class TopicKind(models.TextChoices):
    PROGRESS = "progress", _("Work progress")
    CAREER = "career", _("Career")
    CONCERN = "concern", _("Worries and problems")
    GROWTH = "growth", _("Growth")


class SupportWanted(models.TextChoices):
    LISTEN = "listen", _("Just listen")
    ADVISE = "advise", _("Give advice")
    DECIDE = "decide", _("Make a decision")
    OTHER = "other", _("Other")


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    author = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("topic"), max_length=500)
    topic = models.CharField(
        _("kind of topic"), max_length=10, choices=TopicKind.choices, default=TopicKind.PROGRESS
    )
    support = models.CharField(
        _("support wanted"),
        max_length=10,
        choices=SupportWanted.choices,
        default=SupportWanted.LISTEN,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text


class SharedNote(models.Model):
    """A note both participants read."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="shared_notes")
    author = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("shared note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class PrivateNoteManager(models.Manager["PrivateNote"]):
    """Returns nothing unless asked for one writer's notes (see the module docstring)."""

    def get_queryset(self) -> models.QuerySet[PrivateNote]:
        return super().get_queryset().none()

    def of_writer(self, writer: Employee) -> models.QuerySet[PrivateNote]:
        return super().get_queryset().filter(writer=writer)

    def create_for(self, **fields: Any) -> PrivateNote:
        note = self.model(**fields)
        note.save(force_insert=True)
        return note


class PrivateNote(models.Model):
    """A participant's own note on a meeting: readable by its writer only."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    writer = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("private note"), max_length=10000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[PrivateNoteManager] = PrivateNoteManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "writer"], name="oneonones_private_note_unique"
            )
        ]

    def __str__(self) -> str:
        return f"private note {self.pk}"


class ActionItem(models.Model):
    """Something one participant will do; open items carry forward to every later
    meeting of the pair until done."""

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="action_items")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    owner = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("action"), max_length=500)
    done = models.BooleanField(_("done"), default=False)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["pair", "done"])]

    def __str__(self) -> str:
        return self.text


class MeetingReminder(models.Model):
    """One row per reminded meeting: the reminder goes out once, however often the job
    runs (the unique meeting makes a second insert fail)."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    emails = models.PositiveSmallIntegerField(default=0)
    slack_messages = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"reminder {self.meeting_id}"

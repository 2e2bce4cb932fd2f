"""Flexible-work policies with their eligibility rules, the attendance and usage imported
from time-keeping files, side-job (副業・兼業) requests and the attendance import jobs.

A policy's *usage* is read from the attendance rows (one per employee per day): the 在宅,
フレックス, 短時間勤務 and 時間単位有給 cells say which policy the person used that day.
Side jobs are not daily usage: an approved request covering the period is the use.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Department, Employee, ImportStatus


class PolicyKind(models.TextChoices):
    FLEX_CORE = "flex_core", _("Flex time with core time")
    FLEX_NO_CORE = "flex_no_core", _("Flex time without core time (super flex)")
    REMOTE = "remote", _("Remote work")
    SHORT_HOURS = "short_hours", _("Shorter working hours")
    HOURLY_LEAVE = "hourly_leave", _("Hourly paid leave")
    SIDE_JOB = "side_job", _("Side jobs")


class Policy(models.Model):
    """A flexible-work policy and who may use it. Every rule left empty admits everyone;
    a person must pass all rules that are set (employment type, department subtree, job
    level, minimum tenure)."""

    kind = models.CharField(_("kind"), max_length=20, choices=PolicyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    core_start = models.TimeField(_("core time starts"), null=True, blank=True)
    core_end = models.TimeField(_("core time ends"), null=True, blank=True)
    max_days_per_week = models.PositiveSmallIntegerField(
        _("maximum days per week"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    employment_types = models.JSONField(_("employment types"), default=list, blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="+", verbose_name=_("departments")
    )
    job_levels = models.JSONField(_("job levels"), default=list, blank=True)
    min_tenure_months = models.PositiveSmallIntegerField(
        _("minimum tenure (months)"), default=0, validators=[MaxValueValidator(600)]
    )
    active = models.BooleanField(_("in effect"), default=True)
    sort_order = models.IntegerField(_("display order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("flexible-work policy")
        verbose_name_plural = _("flexible-work policies")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class WorkStatus(models.TextChoices):
    PRESENT = "present", _("At work")
    ABSENT = "absent", _("Absent")
    PAID_LEAVE = "paid_leave", _("Paid leave")
    SPECIAL_LEAVE = "special_leave", _("Special leave")
    HOLIDAY = "holiday", _("Day off")


# Statuses on which the person did not work: no lateness or policy use can be recorded.
NOT_WORKED = frozenset({WorkStatus.ABSENT, WorkStatus.PAID_LEAVE, WorkStatus.SPECIAL_LEAVE})


class AttendanceDay(models.Model):
    """One employee's day. Scheduled working days are the rows that are not 休日."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    status = models.CharField(_("work status"), max_length=20, choices=WorkStatus.choices)
    late = models.BooleanField(_("late"), default=False)
    remote = models.BooleanField(_("remote"), default=False)
    flex = models.BooleanField(_("flex time"), default=False)
    hourly_leave_hours = models.PositiveSmallIntegerField(
        _("hourly paid leave (hours)"), default=0, validators=[MaxValueValidator(8)]
    )
    short_hours = models.BooleanField(_("shorter hours"), default=False)

    class Meta:
        verbose_name = _("attendance day")
        verbose_name_plural = _("attendance days")
        constraints = [
            models.UniqueConstraint(fields=["employee", "date"], name="flexwork_one_row_per_day")
        ]
        indexes = [models.Index(fields=["date", "employee"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.date} {self.status}"


class SideJobStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SideJobRequest(models.Model):
    """An application to take on a side job; HR approves or declines it."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    employer = models.CharField(_("where you will work"), max_length=200)
    work = models.TextField(_("what the work is"))
    hours_per_week = models.PositiveSmallIntegerField(
        _("hours per week"), validators=[MinValueValidator(1), MaxValueValidator(40)]
    )
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SideJobStatus.choices, default=SideJobStatus.PENDING
    )
    decision_note = models.TextField(_("note to the applicant"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("side-job request")
        verbose_name_plural = _("side-job requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.employer}"

    def covers(self, start: dt.date, end: dt.date) -> bool:
        return self.starts_on <= end and (self.ends_on is None or self.ends_on >= start)


class AttendanceImport(models.Model):
    """An uploaded attendance file: checked on upload (the preview), applied on confirm."""

    filename = models.CharField(_("file"), max_length=255)
    content = models.BinaryField()
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices)
    encoding = models.CharField(max_length=20, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    preview = models.JSONField(default=list, blank=True)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("attendance import")
        verbose_name_plural = _("attendance imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

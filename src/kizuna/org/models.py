"""People and organisation, with effective-dated history.

The current state lives on ``Department`` and ``Employee`` for fast everyday reads;
every change also closes one ``*History`` row and opens the next, so the org on any past
date (for turnover, survey snapshots, trend comparisons) is a single indexed query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """Company-wide settings; there is exactly one row (``Organization.current()``)."""

    name = models.CharField(_("company name"), max_length=200, default="")
    name_en = models.CharField(_("company name (English)"), max_length=200, blank=True)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year start month"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("The month the fiscal year starts in (April for most Japanese companies)."),
    )
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organization:
        org, _created = cls.objects.get_or_create(pk=1)
        return org


class Department(models.Model):
    code = models.CharField(_("department code"), max_length=50, unique=True)
    name = models.CharField(_("department name"), max_length=200)
    name_en = models.CharField(_("department name (English)"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent department"),
    )
    head = models.ForeignKey(
        "Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
        verbose_name=_("head"),
    )
    # Materialised path of primary keys ("/1/4/9/"): subtree = path startswith.
    path = models.CharField(max_length=1000, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_order = models.IntegerField(_("display order"), default=0)
    opened_on = models.DateField(_("opened on"), default=dt.date(2000, 1, 1))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str = "ja") -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class DepartmentHistory(models.Model):
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="history")
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["department", "valid_from"]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.name} {self.valid_from}–{self.valid_to or ''}"


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    CONTRACT = "contract", _("Contract")
    PART_TIME = "part_time", _("Part-time")
    TEMPORARY = "temporary", _("Temporary (agency)")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNDISCLOSED = "undisclosed", _("Prefer not to say")


class LeaveReason(models.TextChoices):
    VOLUNTARY = "voluntary", _("Voluntary resignation")
    INVOLUNTARY = "involuntary", _("Dismissal or redundancy")
    RETIREMENT = "retirement", _("Retirement")
    CONTRACT_END = "contract_end", _("End of contract")
    OTHER = "other", _("Other")


class Employee(models.Model):
    employee_number = models.CharField(_("employee number"), max_length=50, unique=True)
    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=100, blank=True)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=100, blank=True)
    email = models.EmailField(_("email address"), blank=True, db_index=True)
    hire_date = models.DateField(_("hire date"))
    leave_date = models.DateField(_("leave date"), null=True, blank=True, db_index=True)
    leave_reason = models.CharField(
        _("leave reason"), max_length=20, choices=LeaveReason.choices, blank=True
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="employees",
        verbose_name=_("department"),
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("manager"),
    )
    job_level = models.CharField(_("job level"), max_length=50, blank=True)
    employment_type = models.CharField(
        _("employment type"),
        max_length=20,
        choices=EmploymentType.choices,
        default=EmploymentType.FULL_TIME,
    )
    location = models.CharField(_("location"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    custom = models.JSONField(_("custom attributes"), default=dict, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
        verbose_name=_("login"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    # Attributes whose changes are kept as history (what a past org snapshot needs).
    HISTORY_FIELDS: ClassVar[tuple[str, ...]] = (
        "department_id",
        "manager_id",
        "job_level",
        "employment_type",
        "location",
        "custom",
    )

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["employee_number"]

    def __str__(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()

    def is_employed_on(self, day: dt.date) -> bool:
        """Employed from the hire date through the leave date (the last working day)."""
        return self.hire_date <= day and (self.leave_date is None or day <= self.leave_date)

    @property
    def is_active(self) -> bool:
        return self.is_employed_on(timezone.localdate())

    def history_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.HISTORY_FIELDS}


class EmployeeHistory(models.Model):
    """The employee's assignment from ``valid_from`` up to (not including) ``valid_to``."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="history")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job_level = models.CharField(max_length=50, blank=True)
    employment_type = models.CharField(max_length=20, choices=EmploymentType.choices)
    location = models.CharField(max_length=100, blank=True)
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["employee", "valid_from"]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.valid_from}–{self.valid_to or ''}"


class ImportKind(models.TextChoices):
    EMPLOYEES = "employees", _("Employees")
    DEPARTMENTS = "departments", _("Departments")


class ImportStatus(models.TextChoices):
    INVALID = "invalid", _("Rejected")
    READY = "ready", _("Ready to import")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """An uploaded file on its way in: validated on upload, applied by a task."""

    kind = models.CharField(_("data"), max_length=20, choices=ImportKind.choices)
    filename = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(editable=False)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices)
    as_of = models.DateField(_("effective date"))
    encoding = models.CharField(max_length=20, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

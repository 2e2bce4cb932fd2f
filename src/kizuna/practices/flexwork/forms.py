"""Forms of the flexwork pages; every message translated, shown next to its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Department, Employee, EmploymentType
from kizuna.practices.flexwork.models import Policy, PolicyKind, SideJobRequest


class DepartmentChoices(forms.ModelMultipleChoiceField):
    """Departments indented by depth, so the tree reads as a tree."""

    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * obj.depth + obj.name


class PolicyForm(forms.ModelForm):
    employment_types = forms.MultipleChoiceField(
        label=_("Employment types"),
        choices=EmploymentType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to admit every employment type."),
    )
    departments = DepartmentChoices(
        label=_("Departments"),
        queryset=Department.objects.filter(closed_on__isnull=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_(
            "A department includes every team below it. Leave empty for the whole company."
        ),
    )
    job_levels = forms.MultipleChoiceField(
        label=_("Job levels"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to admit every job level."),
    )

    class Meta:
        model = Policy
        fields = [
            "kind",
            "name",
            "description",
            "core_start",
            "core_end",
            "max_days_per_week",
            "employment_types",
            "departments",
            "job_levels",
            "min_tenure_months",
            "active",
            "sort_order",
        ]
        widgets = {
            "core_start": forms.TimeInput(attrs={"type": "time"}),
            "core_end": forms.TimeInput(attrs={"type": "time"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "core_start": _("Only for flex time with core time."),
            "max_days_per_week": _("Only for remote work. Leave empty for no limit."),
            "min_tenure_months": _("0 admits new joiners from their first day."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        levels = sorted(
            {level for level in Employee.objects.values_list("job_level", flat=True) if level}
            | set(self.instance.job_levels or [])
        )
        field = self.fields["job_levels"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(level, level) for level in levels]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        start, end = data.get("core_start"), data.get("core_end")
        if kind == PolicyKind.FLEX_CORE:
            if start is None:
                self.add_error("core_start", _("Enter when core time starts."))
            if end is None:
                self.add_error("core_end", _("Enter when core time ends."))
            if start is not None and end is not None and end <= start:
                self.add_error("core_end", _("Core time must end after it starts."))
        else:
            if start is not None or end is not None:
                self.add_error(
                    "core_start", _("Core time applies only to flex time with core time.")
                )
        if kind != PolicyKind.REMOTE and data.get("max_days_per_week") is not None:
            self.add_error(
                "max_days_per_week", _("A maximum number of days applies only to remote work.")
            )
        return data


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Attendance file"),
        help_text=_("CSV (UTF-8 or Shift_JIS) or Excel (.xlsx), one row per employee per day."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.KIZUNA_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(limit)s MB)."),
                params={"limit": settings.KIZUNA_IMPORT_MAX_BYTES // (1024 * 1024)},
            )
        return upload


class SideJobForm(forms.ModelForm):
    confirm = forms.BooleanField(
        label=_(
            "The side job does not compete with our business, does not use confidential "
            "information, and leaves me enough rest."
        ),
        required=True,
    )

    class Meta:
        model = SideJobRequest
        fields = ["employer", "work", "hours_per_week", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "work": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "employer": _("A company name, or “self-employed”."),
            "ends_on": _("Leave empty if there is no planned end."),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end date must not be before the start date."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Decline"))],
    )
    note = forms.CharField(
        label=_("Note to the applicant"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

"""Forms of the customer success pages. Every message is translated and shown next to its
field; validation that belongs to the domain (weights, thresholds, feature definitions)
stays in the services and comes back here as field errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kizuna.core.models import User
from kizuna.core.roles import Role
from kizuna.customers.models import LifecycleStage, SizeBand
from kizuna.org.importing.upload import check_import_file, import_file_field

IMPORT_KINDS = (
    ("accounts", _("Accounts")),
    ("contacts", _("Contacts")),
    ("subscriptions", _("Subscriptions")),
)

BANDS = (
    ("red", _("Red")),
    ("yellow", _("Yellow")),
    ("green", _("Green")),
    ("none", _("No score yet")),
)


class CustomerImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Data"),
        choices=IMPORT_KINDS,
        help_text=_("Import accounts first: contacts and subscriptions refer to account IDs."),
    )
    file = import_file_field()
    as_of = forms.DateField(
        label=_("Effective date"),
        help_text=_(
            "A lifecycle stage changed by this file counts as changed on this date, unless "
            "the file gives the date itself."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_file(self) -> Any:
        return check_import_file(self.cleaned_data["file"])


def csm_users() -> QuerySet[User]:
    """People to filter by: users with the CSM role and anyone who owns an account."""
    return (
        User.objects.filter(Q(role_assignments__role=Role.CSM) | Q(csm_accounts__isnull=False))
        .distinct()
        .order_by("display_name", "email")
    )


class PortfolioFilterForm(forms.Form):
    """Filters of the portfolio and the at-risk list (GET; every field optional)."""

    csm = forms.ChoiceField(label=_("CSM"), required=False)
    band = forms.ChoiceField(
        label=_("Health band"), required=False, choices=[("", _("All")), *BANDS]
    )
    segment = forms.ChoiceField(
        label=_("Company size"), required=False, choices=[("", _("All")), *SizeBand.choices]
    )
    stage = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=[("", _("All")), *LifecycleStage.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = [(str(user.pk), str(user)) for user in csm_users()]
        csm = self.fields["csm"]
        assert isinstance(csm, forms.ChoiceField)
        csm.choices = [("", _("All")), ("none", _("No CSM")), *owners]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class PeriodForm(forms.Form):
    """The period [start, end) of the churn and retention figures."""

    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To (exclusive)"),
        help_text=_("The period runs from the start date up to, not including, this date."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    @staticmethod
    def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
        """The last twelve months up to today."""
        try:
            start = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            start = today.replace(year=today.year - 1, day=28)
        return start, today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end date must be after the start date."))
        if end and end > timezone.localdate():
            self.add_error("end", _("The end date cannot be later than today."))
        return data

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.default_period(today)


class AssessmentForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your assessment"),
        coerce=int,
        choices=[
            (5, _("5 — Excellent")),
            (4, _("4 — Good")),
            (3, _("3 — Fair")),
            (2, _("2 — Poor")),
            (1, _("1 — Very poor")),
        ],
        widget=forms.RadioSelect,
        help_text=_(
            "How healthy you judge the relationship, from what the numbers cannot show. "
            "It is one measure of the health score."
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why, in a sentence or two. Other CSMs see it on this page."),
    )


def weight_field_name(key: str) -> str:
    return f"weight_{key}"


class HealthProfileForm(forms.Form):
    """Name, one weight per health measure and the two band thresholds. The health
    module validates (weights ≥ 0, not all 0; 0 ≤ red < green ≤ 100) and its errors come
    back onto these fields."""

    name = forms.CharField(label=pgettext_lazy("name of a thing", "Name"), max_length=100)
    segment = forms.ChoiceField(
        label=_("Company size"),
        choices=SizeBand.choices,
        help_text=_("Accounts of this size are scored with this profile."),
    )
    red_below = forms.FloatField(
        label=_("Red below"),
        min_value=0,
        max_value=100,
        help_text=_("Scores below this are red."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    green_from = forms.FloatField(
        label=_("Green from"),
        min_value=0,
        max_value=100,
        help_text=_("Scores from this value up are green; those in between are yellow."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        from kizuna.customers import health

        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["segment"]
        for key, measure in health.MEASURES.items():
            self.fields[weight_field_name(key)] = forms.FloatField(
                label=str(measure.label),
                min_value=0,
                help_text=str(measure.rule),
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("weight_")]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("weight_")]

    def weights(self) -> dict[str, float]:
        from kizuna.customers import health

        return {key: self.cleaned_data[weight_field_name(key)] for key in health.MEASURES}

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the health module's errors (keyed weights/red_below/green_from/name/
        segment) on the matching fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class FeatureForm(forms.Form):
    """A product feature: a name people know and the events that mean "used it".
    ``kizuna.usage.features`` validates (unique name and short name, at least one
    event name, no repeats); its errors come back onto these fields."""

    name = forms.CharField(
        label=pgettext_lazy("name of a thing", "Name"),
        max_length=100,
        help_text=_("As your team calls it, for example レポート出力."),
    )
    slug = forms.CharField(
        label=_("Short name"),
        max_length=50,
        help_text=_(
            "Lowercase letters, digits and hyphens, for example report-export. Used on the "
            "command line (kizuna metrics adoption --feature) and in exports."
        ),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    event_names = forms.CharField(
        label=_("Event names"),
        help_text=_(
            "One per line: Segment track event names or page names. Using any of them "
            "counts as using the feature."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_key = forms.BooleanField(
        label=_("Key feature"),
        required=False,
        help_text=_(
            "Key features make up the health score's adoption breadth (all features count "
            "when none is key)."
        ),
    )

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)

"""Forms of the recognition pages. The rules live in ``services``; forms only parse."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Department, Employee
from kizuna.practices.recognition import services
from kizuna.practices.recognition.models import (
    AwardRound,
    CompanyValue,
    RecognitionSettings,
)


class PeopleSelect(forms.SelectMultiple):
    """A multiple select whose options carry the kana reading and email, so the page
    script can filter 300 names by typing (kanji, kana or address)."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        person = getattr(option["value"], "instance", None)
        if person is not None:
            option["attrs"]["data-search"] = " ".join(
                [person.full_name, person.full_name_kana, person.email, person.department.name]
            ).lower()
        return option


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name}（{obj.department.name}）"


class OnePersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name}（{obj.department.name}）"


class ValueChoiceField(forms.ModelMultipleChoiceField):
    language = "ja"

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name(self.language))


def colleagues(sender: Employee | None) -> Any:
    people = services.current_employees().select_related("department")
    if sender is not None:
        people = people.exclude(pk=sender.pk)
    return people.order_by("family_name_kana", "given_name_kana", "employee_number")


class ThanksForm(forms.Form):
    recipients = PersonChoiceField(
        label=_("To"),
        queryset=Employee.objects.none(),
        help_text=_("Choose one or more colleagues (hold Ctrl or Cmd to choose several)."),
        widget=PeopleSelect(attrs={"size": 8}),
    )
    values = ValueChoiceField(
        label=_("Company values"),
        queryset=CompanyValue.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Which of our values did they show?"),
    )
    message = forms.CharField(
        label=_("Message"),
        max_length=services.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    points = forms.IntegerField(label=_("Points per person"), min_value=0)

    def __init__(self, *args: Any, sender: Employee | None, language: str = "ja", **kw: Any):
        super().__init__(*args, **kw)
        config = RecognitionSettings.current()
        recipients: Any = self.fields["recipients"]
        recipients.queryset = colleagues(sender)
        values: Any = self.fields["values"]
        values.queryset = CompanyValue.objects.filter(active=True)
        values.language = language
        points: Any = self.fields["points"]
        points.widget.attrs.update({"max": config.max_per_post, "step": 1})
        points.help_text = _(
            "At most %(cap)d per person. A post to several people costs the points times "
            "the number of people."
        ) % {"cap": config.max_per_post}
        if not self.is_bound:
            self.initial.setdefault("points", min(30, config.max_per_post))


class FeedFilterForm(forms.Form):
    value = forms.ModelChoiceField(
        label=_("Company value"),
        queryset=CompanyValue.objects.all(),
        required=False,
        empty_label=_("All values"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(closed_on__isnull=True).order_by("path"),
        required=False,
        empty_label=_("All departments"),
    )


class ValueForm(forms.ModelForm):
    class Meta:
        model = CompanyValue
        fields = ["name", "name_en", "description", "description_en", "active", "order"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }


class SettingsForm(forms.ModelForm):
    class Meta:
        model = RecognitionSettings
        fields = ["weekly_budget", "max_per_post", "slack_channel"]

    def clean_slack_channel(self) -> str:
        return str(self.cleaned_data.get("slack_channel") or "").strip()


class AwardRoundForm(forms.ModelForm):
    class Meta:
        model = AwardRound
        fields = ["title", "period", "period_start", "description"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class NominationForm(forms.Form):
    nominee = OnePersonField(
        label=_("Colleague"),
        queryset=Employee.objects.none(),
        empty_label=_("Choose a colleague"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=services.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What did they do? Your name is not shown with the nomination."),
    )

    def __init__(self, *args: Any, nominator: Employee | None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        field: Any = self.fields["nominee"]
        field.queryset = colleagues(nominator)


class VoteForm(forms.Form):
    nominee = OnePersonField(
        label=_("Your vote"),
        queryset=Employee.objects.none(),
        widget=forms.RadioSelect,
        help_text=_("Votes are secret: nobody can see who voted for whom."),
    )

    def __init__(self, *args: Any, award: AwardRound, voter: Employee | None, **kw: Any):
        super().__init__(*args, **kw)
        ids = [e.pk for e in services.nominees(award) if voter is None or e.pk != voter.pk]
        field: Any = self.fields["nominee"]
        field.queryset = Employee.objects.filter(pk__in=ids).select_related("department")


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return super().format_value(value)


class ExportForm(forms.Form):
    first_month = forms.DateField(
        label=_("From month"), input_formats=["%Y-%m"], widget=MonthInput()
    )
    last_month = forms.DateField(label=_("To month"), input_formats=["%Y-%m"], widget=MonthInput())
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (UTF-8, opens in Excel)")), ("xlsx", _("Excel (.xlsx)"))],
        initial="csv",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_month"), data.get("last_month")
        if first and last and first > last:
            self.add_error("last_month", _("The last month must not be before the first."))
        if first and last and (last.year - first.year) * 12 + last.month - first.month >= 36:
            self.add_error("last_month", _("Export at most 36 months at a time."))
        return data

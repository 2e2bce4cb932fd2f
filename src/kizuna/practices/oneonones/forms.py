"""Forms of the 1on1 pages (validation messages are translated; services re-check)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kizuna.org.importing.upload import check_import_file, import_file_field
from kizuna.practices.oneonones.models import (
    Cadence,
    Meeting,
    SupportWanted,
    TopicKind,
    Weekday,
)


class _Prefixed(forms.Form):
    """Several forms share the meeting page: each gets its own element ids (the field
    names stay plain), so every label points at its own input."""

    id_prefix = "f"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class AgendaForm(_Prefixed):
    id_prefix = "agenda"
    text = forms.CharField(
        label=_("Topic"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Write the topic.")},
    )
    topic = forms.ChoiceField(label=_("Kind of topic"), choices=TopicKind.choices)
    support = forms.ChoiceField(
        label=_("Support wanted"),
        choices=SupportWanted.choices,
        help_text=_("What kind of help the member would like on this topic."),
    )


class SharedNoteForm(_Prefixed):
    id_prefix = "shared"
    text = forms.CharField(
        label=_("Shared note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Both of you can read shared notes."),
        error_messages={"required": _("Write the note.")},
    )


class PrivateNoteForm(_Prefixed):
    id_prefix = "private"
    text = forms.CharField(
        label=_("My private note"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Only you can read this note — not the other participant, HR, administrators, "
            "the API or any export. Leave it empty and save to delete it."
        ),
    )


class ActionForm(_Prefixed):
    id_prefix = "action"
    text = forms.CharField(
        label=_("Action item"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Write the action.")},
    )
    owner = forms.TypedChoiceField(label=_("Who does it"), coerce=int)

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pair = meeting.pair
        field: Any = self.fields["owner"]
        field.choices = [(pair.member_id, str(pair.member)), (pair.manager_id, str(pair.manager))]


class RatingForm(_Prefixed):
    id_prefix = "rating"
    rating = forms.TypedChoiceField(
        label=_("How clear do you feel after this 1on1? (すっきり度)"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 = not at all, 5 = completely. Your manager sees your rating."),
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": _("Enter the date and time."),
            "invalid": _("Enter a valid date and time."),
        },
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=5, max_value=240, initial=30
    )

    def clean_scheduled_at(self) -> Any:
        value = self.cleaned_data["scheduled_at"]
        if timezone.localtime(value).date() < timezone.localdate():
            raise forms.ValidationError(_("Choose a date and time from today on."))
        return value


class CadenceForm(forms.Form):
    cadence = forms.ChoiceField(label=_("Cadence"), choices=Cadence.choices)
    interval_days = forms.IntegerField(
        label=_("Interval in days"),
        min_value=1,
        max_value=90,
        required=False,
        help_text=_("Only for a custom interval (1 to 90 days)."),
    )
    weekday = forms.TypedChoiceField(
        label=_("Usual weekday"),
        choices=[("", _("Any day")), *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    time = forms.TimeField(
        label=_("Usual time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Usual length (minutes)"), min_value=5, max_value=240
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("cadence") == Cadence.CUSTOM and not data.get("interval_days"):
            self.add_error("interval_days", _("Enter an interval between 1 and 90 days."))
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("held", _("Held")), ("cancelled", _("Cancelled"))],
    )


class ImportForm(forms.Form):
    file = import_file_field()

    def clean_file(self) -> Any:
        return check_import_file(self.cleaned_data["file"])

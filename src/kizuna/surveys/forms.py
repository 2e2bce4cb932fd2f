"""The HR form for creating a survey from a template, and reading answers off the
answer page's POST data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Department, EmploymentType
from kizuna.surveys import audience as audiences
from kizuna.surveys.models import Question, QuestionKind, Questionnaire

DEFAULT_DURATION_DAYS = 14


class DepartmentChoiceField(forms.ModelChoiceField[Department]):
    """Departments indented by depth, named in the page's language."""

    def label_from_instance(self, obj: Department) -> str:
        return "\u3000" * obj.depth + obj.display_name(get_language() or "ja")


class SurveyForm(forms.Form):
    questionnaire = forms.ChoiceField(label=_("Template"))
    name = forms.CharField(label=_("Survey name"), max_length=200, required=False)
    opens_on = forms.DateField(
        label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    closes_on = forms.DateField(
        label=_("Closes on"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    audience_department = DepartmentChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("path"),
        to_field_name="code",
        required=False,
        empty_label=_("Whole company"),
        help_text=_("The department and every department below it."),
    )
    audience_location = forms.CharField(label=_("Location"), max_length=100, required=False)
    audience_employment_type = forms.ChoiceField(
        label=_("Employment type"),
        choices=[("", _("All employment types")), *EmploymentType.choices],
        required=False,
    )
    audience_other = forms.CharField(
        label=_("Other condition"),
        max_length=200,
        required=False,
        help_text=_(
            "Optional, as ATTRIBUTE=VALUE: job_level, gender, tenure_band (<1y, 1-3y, 3-5y, "
            "5-10y, 10y+), age_band (20s, 30s…) or custom:NAME. Example: job_level=M1"
        ),
    )
    min_group_size = forms.IntegerField(
        label=_("Minimum group size"),
        initial=5,
        help_text=_("Results of groups with fewer respondents are hidden. At least 3."),
    )
    comment_min_group_size = forms.IntegerField(
        label=_("Minimum group size for comments"),
        initial=10,
        help_text=_("Comments are shown only for groups at least this large."),
    )
    series = forms.SlugField(
        label=_("Series"),
        required=False,
        help_text=_(
            "Waves of one programme share a series (pulses default to one series per "
            "template), so trends compare like with like."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language() or "ja"
        field = self.fields["questionnaire"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (q.code, q.name(language)) for q in Questionnaire.objects.order_by("-is_builtin", "pk")
        ]

    def audience(self) -> dict[str, Any]:
        data = self.cleaned_data
        audience: dict[str, Any] = {}
        if data.get("audience_department"):
            audience["department"] = data["audience_department"].code
        if data.get("audience_location"):
            audience["location"] = data["audience_location"].strip()
        if data.get("audience_employment_type"):
            audience["employment_type"] = data["audience_employment_type"]
        other = (data.get("audience_other") or "").strip()
        if other:
            try:
                parsed = audiences.parse_cli([other])
            except ValidationError as error:
                self.add_error("audience_other", error)
                return {}
            audience.update(parsed)
        return audience or {"all": True}

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        return self.cleaned_data.get("opens_on"), self.cleaned_data.get("closes_on")

    SERVICE_FIELDS = {
        "name": "name",
        "questionnaire": "questionnaire",
        "opens_on": "opens_on",
        "closes_on": "closes_on",
        "min_group_size": "min_group_size",
        "comment_min_group_size": "comment_min_group_size",
        "kind": None,
        "audience": None,
    }

    def add_service_errors(self, error: ValidationError) -> None:
        """Put each error the service raised next to its field."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            target = self.SERVICE_FIELDS.get(name)
            if name == "audience" and self.cleaned_data.get("audience_other"):
                target = "audience_other"
            self.add_error(target, errors)


def answers_from_post(questions: list[Question], data: QueryDict) -> dict[str, Any]:
    """{question code: value} from the answer form (fields named ``q-<code>``); unanswered
    and "no answer" items come back blank and are skipped by the service."""
    answers: dict[str, Any] = {}
    for question in questions:
        name = f"q-{question.code}"
        if question.kind == QuestionKind.MULTIPLE:
            answers[question.code] = data.getlist(name)
        else:
            answers[question.code] = data.get(name, "")
    return answers

"""Forms of the plans screens. They parse input; the rules live in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kizuna.core import access
from kizuna.core.access import UserLike
from kizuna.core.models import User
from kizuna.improvement import rules
from kizuna.improvement.metrics import MetricValue
from kizuna.improvement.models import PlanStatus, ReviewMethod
from kizuna.org.models import Department

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DECIMAL = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
WHOLE = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class DepartmentChoiceField(forms.ModelChoiceField[Department]):
    def label_from_instance(self, obj: Department) -> str:
        return "　" * obj.depth + obj.display_name(get_language() or "ja")


class UserChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.email})" if obj.display_name else obj.email


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What we heard and why it matters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none())
    scope = DepartmentChoiceField(
        label=_("Team"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("Whose team the plan is for. Its members see shared plans."),
    )
    target_metric = forms.CharField(label=_("Target metric"), max_length=200)
    target_value = forms.FloatField(
        label=_("Target value"),
        widget=DECIMAL,
        help_text=_("The value the metric should reach by the review date."),
    )
    due_on = forms.DateField(label=_("Actions done by"), widget=DATE)
    review_on = forms.DateField(
        label=_("Review date"),
        widget=DATE,
        help_text=_("When to measure the metric again and compare it with the start."),
    )
    shared_with_team = forms.BooleanField(
        label=_("Share with the team on “You said, we did”"),
        required=False,
        help_text=_(
            "Employees of the team then see the plan, its actions and the verdict of the "
            "review, never the numbers."
        ),
    )
    actions = forms.CharField(
        label=_("Actions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One action per line. You can add more later."),
    )
    # The result the plan starts from, carried from the one-click link.
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    survey = forms.CharField(required=False, widget=forms.HiddenInput)
    metric = forms.CharField(required=False, widget=forms.HiddenInput)
    factor = forms.CharField(required=False, widget=forms.HiddenInput)
    item = forms.CharField(required=False, widget=forms.HiddenInput)
    group_attribute = forms.CharField(required=False, widget=forms.HiddenInput)
    group_value = forms.CharField(required=False, widget=forms.HiddenInput)
    baseline = forms.FloatField(required=False, widget=forms.HiddenInput)
    n = forms.IntegerField(required=False, widget=forms.HiddenInput)

    SOURCE_FIELDS = (
        "source",
        "survey",
        "metric",
        "factor",
        "item",
        "group_attribute",
        "group_value",
        "baseline",
        "n",
    )

    def __init__(self, *args: Any, user: UserLike, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = rules.owner_choices(user)  # type: ignore[attr-defined]
        scope: Any = self.fields["scope"]
        scope.queryset = rules.scope_choices(user).order_by("path")
        if access.can(user, "improvement.manage"):
            scope.empty_label = _("Whole company")
        else:
            scope.required = True
            scope.empty_label = None
        if editing:
            for name in ("actions", *self.SOURCE_FIELDS):
                del self.fields[name]

    def source_params(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            name: "" if data.get(name) is None else str(data.get(name))
            for name in self.SOURCE_FIELDS
        }

    def action_lines(self) -> list[str]:
        return [line for line in self.cleaned_data.get("actions", "").splitlines() if line.strip()]


class ActionForm(forms.Form):
    text = forms.CharField(label=_("New action"), max_length=500)
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE)

    def __init__(self, *args: Any, user: UserLike, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = rules.owner_choices(user)
        owner.empty_label = _("The plan's owner")


class CheckInForm(forms.Form):
    progress = forms.IntegerField(
        label=_("Progress (0–100)"),
        widget=WHOLE,
        help_text=_("How far along the plan is, as a percentage."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PlanStatus.choices)


class PlanFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *PlanStatus.choices],
    )
    mine = forms.BooleanField(label=_("Only plans I own"), required=False)


class ManualReviewForm(forms.Form):
    """Before/after values typed in by HR when no provider can measure the metric."""

    method = forms.ChoiceField(
        label=_("What the metric is"),
        choices=ReviewMethod.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "A share of people (such as favourable %) is compared as two proportions; an "
            "average score (such as the engagement index or eNPS) needs its standard deviation."
        ),
    )
    before_value = forms.FloatField(label=_("Value before"), widget=DECIMAL)
    before_n = forms.IntegerField(label=_("Respondents before"), widget=WHOLE)
    before_sd = forms.FloatField(
        label=_("Standard deviation before"), required=False, widget=DECIMAL
    )
    after_value = forms.FloatField(label=_("Value after"), widget=DECIMAL)
    after_n = forms.IntegerField(label=_("Respondents after"), widget=WHOLE)
    after_sd = forms.FloatField(label=_("Standard deviation after"), required=False, widget=DECIMAL)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        method = data.get("method")
        self.before: MetricValue | None = self._value(data, "before", method)
        self.after: MetricValue | None = self._value(data, "after", method)
        return data

    def _value(self, data: dict[str, Any], prefix: str, method: Any) -> MetricValue | None:
        value, n, sd = (
            data.get(f"{prefix}_value"),
            data.get(f"{prefix}_n"),
            data.get(f"{prefix}_sd"),
        )
        if value is None or n is None or method is None:
            return None
        ok = True
        if method == ReviewMethod.PROPORTION:
            if n < 1:
                self.add_error(f"{prefix}_n", _("Enter at least 1 respondent."))
                ok = False
            if not 0 <= value <= 100:
                self.add_error(f"{prefix}_value", _("Enter a percentage from 0 to 100."))
                ok = False
            if not ok:
                return None
            return MetricValue.proportion(round(value * n / 100), n)
        if n < 2:
            self.add_error(f"{prefix}_n", _("An average needs at least 2 respondents."))
            ok = False
        if sd is None or sd < 0:
            self.add_error(f"{prefix}_sd", _("Enter the standard deviation (0 or more)."))
            ok = False
        if not ok:
            return None
        assert sd is not None
        return MetricValue.from_mean(value, sd * sd, n)

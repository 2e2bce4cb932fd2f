"""Every change to a plan goes through one of these functions (views, admin actions, the
API and tasks all call them), so validation, history and the audit log are the same
whoever makes the change.

Bad input raises ``ValidationError`` keyed by the plan form's field names (non-field
errors under ``NON_FIELD_ERRORS``) with translated messages, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from kizuna.core import access, audit
from kizuna.core.models import User
from kizuna.improvement import effect, metrics, rules, sources
from kizuna.improvement.metrics import MetricValue
from kizuna.improvement.models import Action, CheckIn, Plan, PlanStatus, Review
from kizuna.org.models import Department

# The plan form's fields that ``update_plan`` may change.
EDITABLE_FIELDS = (
    "title",
    "description",
    "owner",
    "scope",
    "target_metric",
    "target_value",
    "due_on",
    "review_on",
    "shared_with_team",
)


class _Errors:
    """Collects field errors so the user sees all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str | None, message: Any, **params: Any) -> None:
        key = field or NON_FIELD_ERRORS
        self.errors.setdefault(key, []).append(ValidationError(message, params=params or None))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _check_plan_fields(
    errors: _Errors,
    *,
    user: User,
    source: Mapping[str, Any],
    created_on: dt.date,
    title: str,
    owner: User | None,
    scope: Department | None,
    target_metric: str,
    target_value: float | None,
    baseline_value: float | None,
    baseline_n: int | None,
    due_on: dt.date | None,
    review_on: dt.date | None,
    owner_changed: bool = True,
    scope_changed: bool = True,
) -> None:
    if not title.strip():
        errors.add("title", _("Give the plan a title."))
    if not target_metric.strip():
        errors.add("target_metric", _("Say which metric the plan should move."))
    if owner is None or not owner.is_active:
        errors.add("owner", _("Choose who is responsible for the plan."))
    elif owner_changed and not rules.owner_choices(user).filter(pk=owner.pk).exists():
        errors.add("owner", _("You can only make yourself or someone in your team responsible."))
    if scope_changed and not rules.may_plan_for(user, scope):
        errors.add("scope", _("Choose a department in your part of the organisation."))
    spec = sources.metric_spec(source)
    if spec is not None:
        for field, value in (("target_value", target_value), ("baseline_value", baseline_value)):
            if value is not None and not spec.low <= value <= spec.high:
                errors.add(
                    field,
                    _("Enter a value from %(low)s to %(high)s for this metric."),
                    low=f"{spec.low:g}",
                    high=f"{spec.high:g}",
                )
    if target_value is None:
        errors.add("target_value", _("Enter the value the plan aims for."))
    if baseline_n is not None and baseline_n < 0:
        errors.add("baseline_n", _("The number of respondents cannot be negative."))
    if due_on is None:
        errors.add("due_on", _("Enter the date the actions should be done by."))
    elif due_on < created_on:
        errors.add(
            "due_on",
            _("The due date cannot be before the plan was created (%(date)s)."),
            date=date_format(created_on, "DATE_FORMAT"),
        )
    if review_on is None:
        errors.add("review_on", _("Enter the date to measure the effect."))
    elif review_on < created_on:
        errors.add(
            "review_on",
            _("The review date cannot be before the plan was created (%(date)s)."),
            date=date_format(created_on, "DATE_FORMAT"),
        )


@transaction.atomic
def create_plan_from_result(
    user: User,
    source: Mapping[str, Any],
    *,
    title: str,
    owner: User | None,
    target_value: float | None,
    due_on: dt.date | None,
    review_on: dt.date | None,
    scope: Department | None,
    description: str = "",
    target_metric: str = "",
    baseline_value: float | None = None,
    baseline_n: int | None = None,
    shared_with_team: bool = False,
    actions: Iterable[str] = (),
    status: str = PlanStatus.ACTIVE,
    today: dt.date | None = None,
) -> Plan:
    """Create a plan from a result (or ``{"kind": "manual"}``) with its first actions.

    ``target_metric`` defaults to the source's own label ("Favourable %: Fair
    evaluation"). Raises ``PermissionDenied`` when ``user`` may not write plans at all.
    ``today`` is the creation date (the demo builds its history as of a chosen day).
    """
    if not access.can(user, "improvement.create"):
        raise PermissionDenied
    errors = _Errors()
    try:
        clean_source = sources.normalise(source)
    except ValidationError as exc:
        clean_source = {"kind": sources.MANUAL}
        for message in exc.messages:
            errors.add(None, message)
    language = translation.get_language() or "ja"
    target_metric = target_metric or sources.default_target_metric(clean_source, language)
    today = today or timezone.localdate()
    _check_plan_fields(
        errors,
        user=user,
        source=clean_source,
        created_on=today,
        title=title,
        owner=owner,
        scope=scope,
        target_metric=target_metric,
        target_value=target_value,
        baseline_value=baseline_value,
        baseline_n=baseline_n,
        due_on=due_on,
        review_on=review_on,
    )
    if status not in (PlanStatus.DRAFT, PlanStatus.ACTIVE):
        errors.add(None, _("A new plan is either a draft or in progress."))
    action_texts = [text.strip()[:500] for text in actions if text.strip()]
    errors.raise_if_any()
    assert owner is not None and due_on is not None and review_on is not None
    plan = Plan.objects.create(
        title=title.strip(),
        description=description.strip(),
        owner=owner,
        created_by=user,
        source=clean_source,
        scope=scope,
        target_metric=target_metric.strip(),
        baseline_value=baseline_value,
        baseline_n=baseline_n,
        target_value=target_value,
        due_on=due_on,
        review_on=review_on,
        status=status,
        shared_with_team=shared_with_team,
    )
    Action.objects.bulk_create(
        [
            Action(plan=plan, text=text, owner=owner, due_on=due_on, order=i)
            for i, text in enumerate(action_texts, start=1)
        ]
    )
    audit.record(user, "improvement.create_plan", plan, source=clean_source)
    return plan


@transaction.atomic
def update_plan(plan: Plan, by: User, **changes: Any) -> Plan:
    """Change the plan's own fields (those in ``EDITABLE_FIELDS``)."""
    if not rules.can_edit(by, plan):
        raise PermissionDenied
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    values = {name: getattr(plan, name) for name in EDITABLE_FIELDS} | changes
    errors = _Errors()
    _check_plan_fields(
        errors,
        user=by,
        source=plan.source,
        created_on=plan.created_on,
        title=values["title"] or "",
        owner=values["owner"],
        scope=values["scope"],
        target_metric=values["target_metric"] or "",
        target_value=values["target_value"],
        baseline_value=None,
        baseline_n=None,
        due_on=values["due_on"],
        review_on=values["review_on"],
        owner_changed=values["owner"] != plan.owner,
        scope_changed=values["scope"] != plan.scope,
    )
    errors.raise_if_any()
    changed = [name for name in EDITABLE_FIELDS if values[name] != getattr(plan, name)]
    for name in changed:
        setattr(plan, name, values[name])
    if changed:
        plan.save(update_fields=changed)
        audit.record(by, "improvement.update_plan", plan, fields=changed)
    return plan


def set_status(plan: Plan, status: str, by: User) -> Plan:
    if not rules.can_edit(by, plan):
        raise PermissionDenied
    if status not in PlanStatus.values:
        raise ValidationError(_("Unknown status."), code="bad_status")
    if plan.status != status:
        previous = plan.status
        plan.status = status
        plan.save(update_fields=["status"])
        audit.record(by, "improvement.set_status", plan, status=status, previous=previous)
    return plan


def add_action(
    plan: Plan,
    by: User,
    text: str,
    *,
    owner: User | None = None,
    due_on: dt.date | None = None,
) -> Action:
    if not rules.can_edit(by, plan):
        raise PermissionDenied
    errors = _Errors()
    if not text.strip():
        errors.add("text", _("Describe the action."))
    elif len(text.strip()) > 500:
        errors.add("text", _("Keep the action under 500 characters."))
    if owner is not None and not rules.owner_choices(by).filter(pk=owner.pk).exists():
        errors.add("owner", _("You can only make yourself or someone in your team responsible."))
    if due_on is not None and due_on < plan.created_on:
        errors.add(
            "due_on",
            _("The due date cannot be before the plan was created (%(date)s)."),
            date=date_format(plan.created_on, "DATE_FORMAT"),
        )
    errors.raise_if_any()
    order = (plan.actions.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    return Action.objects.create(
        plan=plan, text=text.strip(), owner=owner or plan.owner, due_on=due_on, order=order
    )


def complete_action(action: Action, by: User, on: dt.date | None = None) -> Action:
    if not rules.can_toggle(by, action):
        raise PermissionDenied
    if action.done_on is None:
        action.done_on = on or timezone.localdate()
        action.save(update_fields=["done_on"])
    return action


def reopen_action(action: Action, by: User) -> Action:
    if not rules.can_toggle(by, action):
        raise PermissionDenied
    if action.done_on is not None:
        action.done_on = None
        action.save(update_fields=["done_on"])
    return action


def add_check_in(
    plan: Plan, by: User, progress: int | None, note: str = "", on: dt.date | None = None
) -> CheckIn:
    """Record progress (0–100 %) with an optional note, dated today unless given."""
    if not rules.can_edit(by, plan):
        raise PermissionDenied
    errors = _Errors()
    day = on or timezone.localdate()
    if progress is None or not 0 <= progress <= 100:
        errors.add("progress", _("Enter progress as a percentage from 0 to 100."))
    if day > timezone.localdate():
        errors.add("on", _("A check-in cannot be dated in the future."))
    errors.raise_if_any()
    assert progress is not None
    return CheckIn.objects.create(plan=plan, on=day, progress=progress, note=note.strip(), by=by)


@transaction.atomic
def review_plan(
    plan: Plan,
    before: MetricValue,
    after: MetricValue,
    *,
    by: User | None = None,
    note: str = "",
    on: dt.date | None = None,
    origin: str = "manual",
) -> Review:
    """Compare the metric before and after and store the result with its 95% interval.

    ``origin`` says where the values came from ("provider" or "manual") for the record.
    """
    if by is not None and not rules.can_edit(by, plan):
        raise PermissionDenied
    if before.is_proportion != after.is_proportion:
        raise ValidationError(_("Before and after must be measured the same way."))
    result = effect.compare(before, after, higher_is_better=plan.higher_is_better)

    def inputs(value: MetricValue) -> dict[str, Any]:
        return {
            "value": value.value,
            "n": value.n,
            "favourable": value.favourable,
            "mean": value.mean,
            "variance": value.variance,
        }

    review = Review.objects.create(
        plan=plan,
        on=on or timezone.localdate(),
        method=result.method,
        before_value=before.value,
        before_n=before.n,
        after_value=after.value,
        after_n=after.n,
        diff=result.diff,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        level=result.level,
        p_value=result.p_value,
        verdict=result.verdict,
        note=note.strip(),
        inputs={"before": inputs(before), "after": inputs(after), "origin": origin},
        by=by,
    )
    audit.record(by, "improvement.review", plan, verdict=result.verdict, origin=origin)
    return review


def baseline_measurement(plan: Plan) -> MetricValue | None:
    """The "before" value: from the provider for the source's own survey, else (for
    shares) the favourable count implied by the recorded baseline percentage."""
    source = plan.source or {}
    before = metrics.measure(source, source.get("survey_id"))
    if before is not None:
        return before
    spec = sources.metric_spec(source)
    if (
        spec is not None
        and spec.is_proportion
        and plan.baseline_value is not None
        and plan.baseline_n
    ):
        favourable = round(plan.baseline_value * plan.baseline_n / 100)
        return MetricValue.proportion(min(max(favourable, 0), plan.baseline_n), plan.baseline_n)
    return None


class NothingToMeasure(Exception):
    """Measuring now is not possible; ``reason`` says why in words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def measure_now(plan: Plan, by: User) -> Review:
    """Ask the metric's provider for the plan's source on its own survey (before) and the
    latest survey (after), and record the review."""
    if not rules.can_edit(by, plan):
        raise PermissionDenied
    source = plan.source or {}
    if not metrics.has_provider(str(source.get("kind", ""))):
        raise NothingToMeasure(str(_("Kizuna cannot measure this metric by itself.")))
    latest = metrics.latest_survey_id(source)
    if latest is None and source.get("survey_id") is not None:
        raise NothingToMeasure(str(_("There is no newer survey to compare with yet.")))
    before = baseline_measurement(plan)
    after = metrics.measure(source, latest)
    if before is None or after is None:
        raise NothingToMeasure(
            str(
                _(
                    "The results cannot be shown for this group (too few respondents, or no "
                    "answers yet), so the effect cannot be measured automatically."
                )
            )
        )
    if before.is_proportion != after.is_proportion:
        raise NothingToMeasure(str(_("The two measurements cannot be compared.")))
    return review_plan(plan, before, after, by=by, origin="provider")

"""Plans screens. Thin: who may see what comes from ``improvement.rules``, every change
from ``improvement.services``, words and numbers for the page from ``presenters``."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kizuna.core import access
from kizuna.core.models import User
from kizuna.improvement import forms, metrics, presenters, rules, services, sources
from kizuna.improvement.models import Action, Plan


def _me(request: HttpRequest) -> User:
    """The signed-in user (every view here requires a login first)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _plan(request: HttpRequest, pk: int, *, edit: bool = False) -> Plan:
    """The plan if the user may see it (else 404), and change it when ``edit`` (else 403)."""
    plan = get_object_or_404(Plan.objects.select_related("owner", "scope"), pk=pk)
    if not rules.can_view(request.user, plan):
        raise Http404
    if edit and not rules.can_edit(request.user, plan):
        raise PermissionDenied
    return plan


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    form = forms.PlanFilterForm(request.GET or None)
    plans = presenters.with_latest(rules.visible_plans(request.user)).select_related(
        "owner", "scope"
    )
    if form.is_valid():
        if form.cleaned_data["status"]:
            plans = plans.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["mine"]:
            plans = plans.filter(owner=_me(request))
    page = Paginator(plans.order_by("review_on", "-id"), 50).get_page(request.GET.get("page"))
    rows = presenters.list_rows(list(page.object_list), request.LANGUAGE_CODE)
    return render(
        request,
        "improvement/plan_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "can_create": access.can(request.user, "improvement.create"),
            "filtered": bool(request.GET.get("status") or request.GET.get("mine")),
        },
    )


@access.require("improvement.create")
def plan_create(request: HttpRequest) -> HttpResponse:
    language = request.LANGUAGE_CODE
    if request.method == "POST":
        form = forms.PlanForm(request.POST, user=request.user)
    else:
        form = forms.PlanForm(initial=_initial(request), user=request.user)
    params = request.POST if request.method == "POST" else request.GET
    origin = presenters.origin(
        _raw_source(request),
        language,
        _float(params.get("baseline", "")),
        _int(params.get("n", "")),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.create_plan_from_result(
                _me(request),
                sources.from_query(form.source_params()),
                title=data["title"],
                owner=data["owner"],
                target_value=data["target_value"],
                due_on=data["due_on"],
                review_on=data["review_on"],
                scope=data["scope"],
                description=data["description"],
                target_metric=data["target_metric"],
                baseline_value=data["baseline"],
                baseline_n=data["n"],
                shared_with_team=data["shared_with_team"],
                actions=form.action_lines(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The plan was created."))
            return redirect("improvement:plan_detail", pk=plan.pk)
    return render(
        request,
        "improvement/plan_form.html",
        {"form": form, "origin": origin, "editing": False},
    )


def _raw_source(request: HttpRequest) -> dict[str, Any]:
    params = request.POST if request.method == "POST" else request.GET
    return sources.from_query({k: str(v) for k, v in params.items()})


def _float(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _int(text: str | None) -> int | None:
    try:
        return int(text or "")
    except ValueError:
        return None


def _initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill from a one-click link: the source, its baseline and sensible defaults."""
    params = request.GET
    language = request.LANGUAGE_CODE
    raw = _raw_source(request)
    try:
        clean = sources.normalise(raw)
    except ValidationError:
        clean = {"kind": sources.MANUAL}
    today = timezone.localdate()
    initial: dict[str, Any] = {
        name: params.get(name, "") for name in forms.PlanForm.SOURCE_FIELDS
    } | {
        "baseline": _float(params.get("baseline")),
        "n": _int(params.get("n")),
        "owner": request.user.pk,
        "title": sources.default_title(clean, language),
        "target_metric": sources.default_target_metric(clean, language),
        "due_on": today + presenters.DEFAULT_DUE,
        "review_on": today + presenters.DEFAULT_REVIEW,
    }
    group = clean.get("group") or {}
    if group.get("attribute") == "department":
        initial["scope"] = group.get("value")
    elif not access.can(request.user, "improvement.manage"):
        top = access.managed_departments(request.user).order_by("depth", "path").first()
        initial["scope"] = top.pk if top else None
    return initial


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    plan = (
        Plan.objects.select_related("owner", "scope", "created_by")
        .prefetch_related(
            Prefetch("actions", queryset=Action.objects.select_related("owner")),
            "check_ins",
            "reviews",
        )
        .get(pk=plan.pk)
    )
    can_edit = rules.can_edit(request.user, plan)
    context = presenters.detail(plan, request.user, request.LANGUAGE_CODE)
    context.update(
        can_edit=can_edit,
        action_form=forms.ActionForm(user=request.user) if can_edit else None,
        check_in_form=forms.CheckInForm() if can_edit else None,
        status_form=forms.StatusForm(initial={"status": plan.status}) if can_edit else None,
    )
    return render(request, "improvement/plan_detail.html", context)


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk, edit=True)
    initial = {name: getattr(plan, name) for name in services.EDITABLE_FIELDS}
    form = forms.PlanForm(request.POST or None, initial=initial, user=request.user, editing=True)
    # A plan keeps its current owner and team even if the editor could not choose them
    # for a new plan (a manager editing a plan HR assigned to someone else).
    for name, current in (("scope", plan.scope), ("owner", plan.owner)):
        field: Any = form.fields[name]
        if current is not None:
            field.queryset = _plus(field.queryset, current)
        elif name == "scope":  # a company-wide plan stays company-wide for its owner
            field.required = False
            field.empty_label = _("Whole company")
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        try:
            services.update_plan(plan, _me(request), **changes)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The plan was saved."))
            return redirect("improvement:plan_detail", pk=plan.pk)
    return render(
        request, "improvement/plan_form.html", {"form": form, "plan": plan, "editing": True}
    )


def _plus(queryset: Any, obj: Any) -> Any:
    """``queryset`` with ``obj`` added, keeping its order."""
    model = queryset.model
    wider = model.objects.filter(Q(pk__in=queryset.values("pk")) | Q(pk=obj.pk))
    return wider.order_by(*queryset.query.order_by)


@require_POST
@login_required
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk, edit=True)
    form = forms.ActionForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.add_action(
                plan,
                _me(request),
                form.cleaned_data["text"],
                owner=form.cleaned_data["owner"],
                due_on=form.cleaned_data["due_on"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if form.errors:
        for error in _messages_of(form):
            messages.error(request, error)
    else:
        messages.success(request, _("The action was added."))
    return redirect(f"{plan_url(plan)}#actions")


@require_POST
@login_required
def action_toggle(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    action = get_object_or_404(
        Action.objects.select_related("owner", "plan"), pk=action_pk, plan=plan
    )
    if not rules.can_view(request.user, plan):
        raise Http404
    if not rules.can_toggle(request.user, action):
        raise PermissionDenied
    if action.is_done:
        services.reopen_action(action, _me(request))
    else:
        services.complete_action(action, _me(request))
    if request.headers.get("HX-Request") == "true":
        return render(
            request,
            "improvement/plan_detail.html#action",
            {
                "plan": plan,
                "action": action,
                "today": timezone.localdate(),
                "can_toggle": True,
            },
        )
    return redirect(f"{plan_url(plan)}#actions")


@require_POST
@login_required
def check_in_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk, edit=True)
    form = forms.CheckInForm(request.POST)
    if form.is_valid():
        try:
            services.add_check_in(
                plan, _me(request), form.cleaned_data["progress"], form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if form.errors:
        for error in _messages_of(form):
            messages.error(request, error)
    else:
        messages.success(request, _("The check-in was recorded."))
    return redirect(f"{plan_url(plan)}#check-ins")


@require_POST
@login_required
def plan_status(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk, edit=True)
    form = forms.StatusForm(request.POST)
    if form.is_valid():
        services.set_status(plan, form.cleaned_data["status"], _me(request))
        messages.success(request, _("The status was changed."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect("improvement:plan_detail", pk=plan.pk)


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk, edit=True)
    may_enter = rules.can_enter_values(request.user)
    spec = sources.metric_spec(plan.source or {})
    initial: dict[str, Any] = {}
    if spec is not None:
        initial["method"] = "proportion" if spec.is_proportion else "mean"
        if plan.baseline_value is not None:
            initial["before_value"] = plan.baseline_value
        if plan.baseline_n is not None:
            initial["before_n"] = plan.baseline_n
    form = forms.ManualReviewForm(request.POST or None, initial=initial) if may_enter else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid() and form.before is not None and form.after is not None:
            try:
                services.review_plan(
                    plan,
                    form.before,
                    form.after,
                    by=_me(request),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The review was recorded."))
                return redirect(f"{plan_url(plan)}#review")
    kind = str((plan.source or {}).get("kind", ""))
    return render(
        request,
        "improvement/review.html",
        {
            "plan": plan,
            "form": form,
            "can_measure": metrics.has_provider(kind),
            "reviews": presenters.reviews(plan),
        },
    )


@require_POST
@login_required
def review_measure(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk, edit=True)
    try:
        services.measure_now(plan, _me(request))
    except services.NothingToMeasure as exc:
        messages.error(request, exc.reason)
        return redirect("improvement:review", pk=plan.pk)
    messages.success(request, _("The metric was measured and the review recorded."))
    return redirect(f"{plan_url(plan)}#review")


@login_required
def team(request: HttpRequest) -> HttpResponse:
    plans = (
        rules.team_plans(request.user)
        .select_related("scope")
        .prefetch_related("actions", "reviews")
        .order_by("-created_at")
    )
    return render(
        request,
        "improvement/team.html",
        {"cards": presenters.team_cards(list(plans), request.LANGUAGE_CODE)},
    )


def plan_url(plan: Plan) -> str:
    return reverse("improvement:plan_detail", args=[plan.pk])


def _messages_of(form: Any) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]

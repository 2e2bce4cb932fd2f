"""Health score settings (admin), the back-test and the churn-risk model pages. Thin:
weights and thresholds are validated and saved by ``health``; the figures come from
``backtest``/``churn_model`` through ``health_pages``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kizuna.core import access
from kizuna.customers import health_pages, retrain
from kizuna.customers.forms import HealthProfileForm, weight_field_name
from kizuna.customers.models import HealthProfile, SizeBand


@access.require("customers.configure")
def health_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/health_settings.html", health_pages.settings_context())


def _initial(profile: HealthProfile | None) -> dict[str, object]:
    from kizuna.customers import health

    source = profile or health.default_profile()
    weights = health.effective_weights(source)
    initial: dict[str, object] = {weight_field_name(key): value for key, value in weights.items()}
    initial.update(red_below=source.red_below, green_from=source.green_from)
    if profile is not None:
        initial["name"] = profile.name
    return initial


@access.require("customers.configure")
def health_profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from kizuna.customers import health

    profile = get_object_or_404(HealthProfile, pk=pk)
    form = HealthProfileForm(request.POST or None, initial=_initial(profile))
    if request.method == "POST" and form.is_valid():
        try:
            health.update_profile(
                profile,
                name=form.cleaned_data["name"],
                weights=form.weights(),
                red_below=form.cleaned_data["red_below"],
                green_from=form.cleaned_data["green_from"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("The profile was saved. Scores change from the next daily update."),
            )
            return redirect("customers:health_settings")
    return render(
        request,
        "customers/health_profile_form.html",
        {"form": form, "profile": profile, "creating": False},
        status=400 if form.errors else 200,
    )


@access.require("customers.configure")
def health_profile_create(request: HttpRequest) -> HttpResponse:
    from kizuna.customers import health

    taken = set(HealthProfile.objects.values_list("segment", flat=True))
    free = [(code, label) for code, label in SizeBand.choices if code not in taken]
    if not free:
        messages.info(request, _("Every company size already has its own profile."))
        return redirect("customers:health_settings")
    initial = _initial(None)
    initial["segment"] = request.GET.get("segment") or free[0][0]
    form = HealthProfileForm(request.POST or None, initial=initial, creating=True)
    form.fields["segment"].choices = free  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            health.create_profile(
                form.cleaned_data["segment"],
                name=form.cleaned_data["name"],
                weights=form.weights(),
                red_below=form.cleaned_data["red_below"],
                green_from=form.cleaned_data["green_from"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("The profile was created. Scores change from the next daily update."),
            )
            return redirect("customers:health_settings")
    return render(
        request,
        "customers/health_profile_form.html",
        {"form": form, "profile": None, "creating": True},
        status=400 if form.errors else 200,
    )


@require_POST
@access.require("customers.configure")
def health_profile_delete(request: HttpRequest, pk: int) -> HttpResponse:
    from kizuna.customers import health

    profile = get_object_or_404(HealthProfile, pk=pk)
    try:
        health.delete_profile(profile, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The profile was deleted. Its accounts are scored with the default profile."),
        )
    return redirect("customers:health_settings")


@access.require("customers.view_portfolio")
def backtest(request: HttpRequest) -> HttpResponse:
    try:
        days = int(request.GET.get("days", health_pages.DEFAULT_DAYS_BEFORE))
    except ValueError:
        days = health_pages.DEFAULT_DAYS_BEFORE
    if days not in health_pages.DAYS_BEFORE_CHOICES:
        days = health_pages.DEFAULT_DAYS_BEFORE
    partial = request.headers.get("HX-Request") == "true" and request.GET.get("part") == "results"
    context = health_pages.backtest_context(days, timezone.localdate(), compute=partial)
    template = "customers/backtest.html#results" if partial else "customers/backtest.html"
    return render(request, template, context)


@access.require("customers.view_portfolio")
def churn_model(request: HttpRequest) -> HttpResponse:
    context = health_pages.churn_model_context()
    context["can_retrain"] = access.can(request.user, "customers.configure")
    context["retrain"] = retrain.state()
    context["retraining"] = retrain.in_progress()
    if request.headers.get("HX-Request") == "true":
        response = render(request, "customers/churn_model.html#retrain", context)
        if not context["retraining"]:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "customers/churn_model.html", context)


@require_POST
@access.require("customers.configure")
def churn_model_train(request: HttpRequest) -> HttpResponse:
    if retrain.request_retrain(request.user):
        messages.success(
            request,
            _(
                "Retraining has started in the background. You can leave this page; the "
                "result appears here when it is done."
            ),
        )
    else:
        messages.info(request, _("A retraining is already in progress."))
    return redirect("customers:churn_model")

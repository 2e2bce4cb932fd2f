"""Feature definitions (named sets of event names) and their adoption. Thin: every change
goes through ``kizuna.usage.features``; adoption comes from ``kizuna.usage.metrics``
through ``feature_pages``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kizuna.core import access, audit
from kizuna.customers import feature_pages
from kizuna.customers.forms import FeatureForm
from kizuna.usage import features as feature_service
from kizuna.usage.models import Feature


@access.require("customers.view_usage")
def features(request: HttpRequest) -> HttpResponse:
    partial = request.headers.get("HX-Request") == "true" and request.GET.get("part") == "list"
    context = feature_pages.features_context(timezone.localdate(), compute=partial)
    context["can_edit"] = access.can(request.user, "customers.configure")
    template = "customers/features.html#list" if partial else "customers/features.html"
    return render(request, template, context)


def _save(request: HttpRequest, form: FeatureForm, feature: Feature | None) -> Feature | None:
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "slug": data["slug"],
        "event_names": data["event_names"],
        "description": data["description"],
        "is_key": data["is_key"],
    }
    try:
        if feature is None:
            saved = feature_service.create_feature(**fields)
        else:
            saved = feature_service.update_feature(feature, **fields)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    audit.record(
        request.user,
        "usage.feature.create" if feature is None else "usage.feature.update",
        saved,
        slug=saved.slug,
        event_names=list(saved.event_names),
        is_key=saved.is_key,
    )
    return saved


@access.require("customers.configure")
def feature_create(request: HttpRequest) -> HttpResponse:
    form = FeatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, None)
        if saved is not None:
            messages.success(request, _("The feature “%(name)s” was added.") % {"name": saved.name})
            return redirect("customers:features")
    return render(
        request,
        "customers/feature_form.html",
        {"form": form, "feature": None},
        status=400 if form.errors else 200,
    )


@access.require("customers.configure")
def feature_edit(request: HttpRequest, pk: int) -> HttpResponse:
    feature = get_object_or_404(Feature, pk=pk)
    initial = {
        "name": feature.name,
        "slug": feature.slug,
        "event_names": "\n".join(feature.event_names or []),
        "description": feature.description,
        "is_key": feature.is_key,
    }
    form = FeatureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, feature)
        if saved is not None:
            messages.success(request, _("The feature “%(name)s” was saved.") % {"name": saved.name})
            return redirect("customers:features")
    return render(
        request,
        "customers/feature_form.html",
        {"form": form, "feature": feature},
        status=400 if form.errors else 200,
    )


@require_POST
@access.require("customers.configure")
def feature_delete(request: HttpRequest, pk: int) -> HttpResponse:
    feature = get_object_or_404(Feature, pk=pk)
    name = feature.name
    with transaction.atomic():
        audit.record(request.user, "usage.feature.delete", feature, slug=feature.slug)
        feature_service.delete_feature(feature)
    messages.success(
        request,
        _("The feature “%(name)s” was deleted. Past events are kept.") % {"name": name},
    )
    return redirect("customers:features")

"""Django admin for admins. A lifecycle stage change goes through
``services.set_lifecycle_stage`` so the time-in-stage clock restarts and the change is
audited (other admin changes are mirrored into the audit log by ``core.signals``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest

from kizuna.customers import health, services
from kizuna.customers.models import (
    Account,
    ChurnModelRun,
    ChurnRisk,
    Contact,
    CsmAssessment,
    HealthProfile,
    HealthScore,
    Subscription,
)


class ContactInline(admin.TabularInline[Contact, Account]):
    model = Contact
    extra = 0
    fields = ("external_id", "name", "email", "title", "is_primary")


class SubscriptionInline(admin.TabularInline[Subscription, Account]):
    model = Subscription
    extra = 0
    fields = (
        "external_id",
        "product",
        "plan",
        "mrr",
        "quantity",
        "start_date",
        "end_date",
        "billing_period",
        "discount_pct",
    )


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ("external_id", "name", "industry", "size_band", "lifecycle_stage", "csm_owner")
    list_filter = ("lifecycle_stage", "size_band")
    search_fields = ("external_id", "name", "name_kana", "industry")
    raw_id_fields = ("parent", "csm_owner")
    readonly_fields = ("stage_changed_on",)
    inlines = (ContactInline, SubscriptionInline)

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        if change and "lifecycle_stage" in form.changed_data:
            new_stage = obj.lifecycle_stage
            obj.lifecycle_stage = form.initial["lifecycle_stage"]
            obj.save()
            services.set_lifecycle_stage(obj, new_stage, actor=request.user)
            return
        obj.save()


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ("name", "account", "email", "title", "is_primary")
    search_fields = ("external_id", "name", "email", "account__name")
    raw_id_fields = ("account",)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = (
        "external_id",
        "account",
        "product",
        "plan",
        "mrr",
        "start_date",
        "end_date",
        "billing_period",
    )
    list_filter = ("billing_period", "product")
    search_fields = ("external_id", "account__name", "product", "plan")
    raw_id_fields = ("account",)
    date_hierarchy = "start_date"


# --- Health score and churn risk ------------------------------------------------------


class HealthProfileForm(forms.ModelForm[HealthProfile]):
    """Validates weights and thresholds with the same rules as ``health.update_profile``."""

    class Meta:
        model = HealthProfile
        fields = ("name", "segment", "weights", "red_below", "green_from")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            weights, red, green = health.clean_profile_settings(
                cleaned.get("weights"), cleaned.get("red_below"), cleaned.get("green_from")
            )
        except ValidationError as exc:
            raise ValidationError(exc.error_dict) from exc
        cleaned.update(weights=weights, red_below=red, green_from=green)
        return cleaned


@admin.register(HealthProfile)
class HealthProfileAdmin(admin.ModelAdmin[HealthProfile]):
    form = HealthProfileForm
    list_display = ("name", "segment", "red_below", "green_from", "updated_at")


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Computed history: written by services, looked at here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(HealthScore)
class HealthScoreAdmin(ReadOnlyAdmin[HealthScore]):
    list_display = ("account", "day", "score", "band", "profile")
    list_filter = ("band", "day")
    search_fields = ("account__name", "account__external_id")
    date_hierarchy = "day"
    raw_id_fields = ("account",)


@admin.register(CsmAssessment)
class CsmAssessmentAdmin(ReadOnlyAdmin[CsmAssessment]):
    list_display = ("account", "rating", "by", "at")
    list_filter = ("rating",)
    search_fields = ("account__name", "note")
    raw_id_fields = ("account", "by")


@admin.register(ChurnModelRun)
class ChurnModelRunAdmin(ReadOnlyAdmin[ChurnModelRun]):
    list_display = ("trained_at", "cutoff", "auc", "auc_low", "auc_high", "brier", "usable")
    list_filter = ("usable",)


@admin.register(ChurnRisk)
class ChurnRiskAdmin(ReadOnlyAdmin[ChurnRisk]):
    list_display = ("account", "day", "probability", "run")
    list_filter = ("day",)
    search_fields = ("account__name", "account__external_id")
    raw_id_fields = ("account", "run")

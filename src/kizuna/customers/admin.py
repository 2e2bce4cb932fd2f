"""Django admin for admins. A lifecycle stage change goes through
``services.set_lifecycle_stage`` so the time-in-stage clock restarts and the change is
audited (other admin changes are mirrored into the audit log by ``core.signals``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kizuna.customers import services
from kizuna.customers.models import Account, Contact, Subscription


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

"""Django admin for admins: plans with their actions and check-ins. Reviews are read-only
here (they are measurements; a new review is recorded from the plan page)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kizuna.improvement.models import Action, CheckIn, Plan, PlanReminder, Review


class ActionInline(admin.TabularInline[Action, Plan]):
    model = Action
    extra = 0
    fields = ("order", "text", "owner", "due_on", "done_on")
    autocomplete_fields = ("owner",)


class CheckInInline(admin.TabularInline[CheckIn, Plan]):
    model = CheckIn
    extra = 0
    fields = ("on", "progress", "note", "by")
    autocomplete_fields = ("by",)


class ReviewInline(admin.TabularInline[Review, Plan]):
    model = Review
    extra = 0
    fields = ("on", "method", "before_value", "after_value", "diff", "ci_low", "ci_high", "verdict")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = ("title", "owner", "scope", "status", "due_on", "review_on", "shared_with_team")
    list_filter = ("status", "shared_with_team")
    search_fields = ("title", "description", "target_metric")
    autocomplete_fields = ("owner", "scope")
    readonly_fields = ("created_by", "created_at")
    inlines = (ActionInline, CheckInInline, ReviewInline)


@admin.register(PlanReminder)
class PlanReminderAdmin(admin.ModelAdmin[PlanReminder]):
    list_display = ("plan", "sent_on", "sent_at")
    readonly_fields = ("plan", "sent_on", "sent_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

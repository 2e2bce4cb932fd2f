"""Django admin for sources: list and switch keys on or off. New sources are created
with ``kizuna source create`` because the key must be shown to someone exactly once,
which an admin form cannot do safely; switching goes through ``sources.set_active``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kizuna.usage import sources
from kizuna.usage.models import Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin[Source]):
    list_display = ("name", "key_prefix", "created_at", "active")
    list_filter = ("active",)
    search_fields = ("name", "key_prefix")
    readonly_fields = ("name", "key_prefix", "created_at", "active")
    actions = ("deactivate", "activate")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # spooled and stored events point at the source

    @admin.action(description=_("Deactivate the selected sources' keys"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            sources.set_active(source, False)

    @admin.action(description=_("Activate the selected sources' keys"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            sources.set_active(source, True)

"""Django admin for admins. Saves go through ``org.services`` so history stays complete
(the audit log mirrors every admin change via ``core.signals``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from kizuna.org import services
from kizuna.org.models import Department, Employee, EmployeeHistory, ImportJob, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ("name", "fiscal_year_start_month")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not Organization.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("code", "name", "parent", "head")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent", "head")

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        services.save_departments(
            [
                {
                    "code": obj.code,
                    "name": obj.name,
                    "name_en": obj.name_en,
                    "parent_code": obj.parent.code if obj.parent else "",
                    "sort_order": obj.sort_order,
                }
            ],
            timezone.localdate(),
        )
        saved = Department.objects.get(code=obj.code)
        if saved.head_id != obj.head_id or saved.closed_on != obj.closed_on:
            saved.head_id, saved.closed_on = obj.head_id, obj.closed_on
            saved.save(update_fields=["head", "closed_on"])
        obj.pk = saved.pk


class EmployeeHistoryInline(admin.TabularInline[EmployeeHistory, Employee]):
    model = EmployeeHistory
    fk_name = "employee"
    extra = 0
    can_delete = False
    readonly_fields = (
        "valid_from",
        "valid_to",
        "department",
        "manager",
        "job_level",
        "employment_type",
        "location",
        "custom",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin[Employee]):
    list_display = ("employee_number", "family_name", "given_name", "department", "hire_date")
    search_fields = ("employee_number", "family_name", "given_name", "email")
    list_filter = ("employment_type",)
    raw_id_fields = ("department", "manager", "user")
    inlines = (EmployeeHistoryInline,)

    def save_model(self, request: HttpRequest, obj: Employee, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.record_employee_change(obj, timezone.localdate())


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = ("created_at", "kind", "filename", "status", "total_rows")
    exclude = ("content",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

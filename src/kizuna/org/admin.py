from django.contrib import admin

from kizuna.org.models import Department, Employee, EmployeeHistory, ImportJob, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "fiscal_year_start_month")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "head")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent", "head")


class EmployeeHistoryInline(admin.TabularInline):
    model = EmployeeHistory
    fk_name = "employee"
    extra = 0
    raw_id_fields = ("department", "manager")


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ("employee_number", "family_name", "given_name", "department", "hire_date")
    search_fields = ("employee_number", "family_name", "given_name", "email")
    list_filter = ("employment_type",)
    raw_id_fields = ("department", "manager", "user")
    inlines = (EmployeeHistoryInline,)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "filename", "status", "total_rows")
    exclude = ("content",)

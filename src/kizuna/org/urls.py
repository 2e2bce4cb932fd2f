from django.urls import path

from kizuna.org import views

app_name = "org"
urlpatterns = [
    path("", views.departments, name="departments"),
    path("departments/<int:pk>/", views.department_detail, name="department_detail"),
    path("people/", views.employees, name="employees"),
    path("people/<int:pk>/", views.employee_detail, name="employee_detail"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/template/<str:kind>.csv", views.import_template, name="import_template"),
]

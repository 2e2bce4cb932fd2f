from django.urls import path

from kizuna.practices.flexwork import views

app_name = "flexwork"

urlpatterns = [
    path("", views.index, name="index"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("attendance/import/", views.import_upload, name="import"),
    path("attendance/import/<int:pk>/", views.import_detail, name="import_detail"),
    path("attendance/import/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("attendance/import/template.csv", views.import_template, name="import_template"),
    path("utilisation/", views.utilisation, name="utilisation"),
    path("side-jobs/", views.side_jobs, name="side_jobs"),
    path("side-jobs/apply/", views.side_job_apply, name="side_job_apply"),
    path("side-jobs/<int:pk>/withdraw/", views.side_job_withdraw, name="side_job_withdraw"),
    path("side-jobs/<int:pk>/decide/", views.side_job_decide, name="side_job_decide"),
]

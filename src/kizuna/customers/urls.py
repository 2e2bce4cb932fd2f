from django.urls import path, re_path

from kizuna.customers import views, views_features, views_health, views_imports

app_name = "customers"
JOB = r"(?P<job_id>[0-9a-f]{32})"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("renewals/", views.renewals, name="renewals"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:pk>/", views.account, name="account"),
    path("accounts/<int:pk>/assessment/", views.assess, name="assess"),
    path("health/", views_health.health_settings, name="health_settings"),
    path("health/new/", views_health.health_profile_create, name="health_profile_create"),
    path("health/<int:pk>/", views_health.health_profile_edit, name="health_profile_edit"),
    path(
        "health/<int:pk>/delete/",
        views_health.health_profile_delete,
        name="health_profile_delete",
    ),
    path("backtest/", views_health.backtest, name="backtest"),
    path("churn-model/", views_health.churn_model, name="churn_model"),
    path("churn-model/train/", views_health.churn_model_train, name="churn_model_train"),
    path("features/", views_features.features, name="features"),
    path("features/new/", views_features.feature_create, name="feature_create"),
    path("features/<int:pk>/", views_features.feature_edit, name="feature_edit"),
    path("features/<int:pk>/delete/", views_features.feature_delete, name="feature_delete"),
    path("import/", views_imports.import_upload, name="import"),
    re_path(rf"^import/{JOB}/$", views_imports.import_detail, name="import_detail"),
    re_path(rf"^import/{JOB}/apply/$", views_imports.import_apply, name="import_apply"),
    re_path(rf"^import/{JOB}/progress/$", views_imports.import_progress, name="import_progress"),
    path("import/template/<str:kind>.csv", views_imports.import_template, name="import_template"),
]

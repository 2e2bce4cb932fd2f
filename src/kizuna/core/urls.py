from django.urls import path

from kizuna.core import views

app_name = "core"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("audit/", views.audit_log, name="audit_log"),
]

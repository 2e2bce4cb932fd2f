from django.urls import path

from kizuna.practices.hrkpi import views

app_name = "hrkpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("departments/<int:department_id>/leavers/", views.leavers, name="leavers"),
]

from django.urls import path

from kizuna.improvement import views

app_name = "improvement"
urlpatterns = [
    path("", views.plan_list, name="plans"),
    path("new/", views.plan_create, name="plan_create"),
    path("team/", views.team, name="team"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/status/", views.plan_status, name="plan_status"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("<int:pk>/actions/<int:action_pk>/toggle/", views.action_toggle, name="action_toggle"),
    path("<int:pk>/check-ins/", views.check_in_add, name="check_in_add"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/review/measure/", views.review_measure, name="review_measure"),
]

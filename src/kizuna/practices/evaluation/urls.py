from django.urls import path

from kizuna.practices.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("criteria/", views.criteria, name="criteria"),
    path("people/<int:pk>/", views.results, name="results"),
    path("people/<int:pk>/write/<str:kind>/", views.review_form, name="review_form"),
    path("people/<int:pk>/raters/", views.rater_add, name="rater_add"),
    path("people/<int:pk>/final/", views.final, name="final"),
    path("raters/<int:pk>/decide/", views.rater_decide, name="rater_decide"),
    path("feedback/<int:pk>/", views.feedback_form, name="feedback_form"),
    path("manage/criteria/", views.criteria_manage, name="criteria_manage"),
    path("manage/criteria/<int:pk>/publish/", views.criteria_publish, name="criteria_publish"),
    path("manage/cycles/", views.cycles, name="cycles"),
    path("manage/cycles/<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path("manage/cycles/<int:pk>/status/", views.cycle_status, name="cycle_status"),
    path("manage/cycles/<int:pk>/calibration/", views.calibration, name="calibration"),
    path(
        "manage/cycles/<int:pk>/calibration/adjust/",
        views.calibration_adjust,
        name="calibration_adjust",
    ),
]

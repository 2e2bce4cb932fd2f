from django.urls import path

from kizuna.engagement import views

app_name = "engagement"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:survey_id>/", views.results, name="results"),
    path("<int:survey_id>/export.<str:fmt>", views.export, name="export"),
]

from django.urls import path

from kizuna.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/launch/", views.survey_launch, name="launch"),
    path("<int:pk>/close/", views.survey_close, name="close"),
    path("<int:pk>/remind/", views.survey_remind, name="remind"),
    # public: the token in the link is the credential
    path("answer/<str:token>/", views.answer, name="answer"),
    path("answer/<str:token>/save/", views.answer_save, name="answer_save"),
]

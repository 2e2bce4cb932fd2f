from django.urls import path

from kizuna.practices.recognition import views

app_name = "recognition"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("post/", views.post, name="post"),
    path("thanks/<int:pk>/", views.thanks, name="thanks"),
    path("thanks/<int:pk>/clap/", views.clap, name="clap"),
    path("people/<int:pk>/", views.person, name="person"),
    path("values/", views.leaderboard, name="leaderboard"),
    path("awards/", views.awards, name="awards"),
    path("awards/new/", views.award_create, name="award_create"),
    path("awards/<int:pk>/", views.award, name="award"),
    path("awards/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("awards/<int:pk>/vote/", views.vote, name="vote"),
    path("awards/<int:pk>/advance/", views.award_advance, name="award_advance"),
    path("manage/values/", views.values, name="values"),
    path("manage/values/new/", views.value_edit, name="value_create"),
    path("manage/values/<int:pk>/edit/", views.value_edit, name="value_edit"),
    path("manage/settings/", views.settings_edit, name="settings"),
    path("manage/export/", views.export, name="export"),
]

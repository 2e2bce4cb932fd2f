from django.urls import path

from kizuna.practices.oneonones import views

app_name = "oneonones"

urlpatterns = [
    path("", views.index, name="index"),
    path("cadence/", views.cadence, name="cadence"),
    path("cadence/sync/", views.sync, name="sync"),
    path("cadence/import/", views.import_meetings, name="import"),
    path("cadence/import/template.csv", views.import_template, name="import_template"),
    path("pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("pairs/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("pairs/<int:pk>/cadence/", views.pair_cadence, name="pair_cadence"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/invite.ics", views.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/agenda/", views.agenda_add, name="agenda_add"),
    path("meetings/<int:pk>/notes/", views.shared_note_add, name="shared_note_add"),
    path("meetings/<int:pk>/private-note/", views.private_note_save, name="private_note_save"),
    path("meetings/<int:pk>/actions/", views.action_add, name="action_add"),
    path(
        "meetings/<int:pk>/actions/<int:item_pk>/toggle/",
        views.action_toggle,
        name="action_toggle",
    ),
    path("meetings/<int:pk>/rating/", views.rate, name="rate"),
    path("meetings/<int:pk>/status/", views.meeting_status, name="meeting_status"),
]

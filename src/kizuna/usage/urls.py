"""``/v1/…``: the Segment HTTP Tracking API routes (mounted at the site root)."""

from django.urls import path

from kizuna.usage import views
from kizuna.usage.ingest import EVENT_TYPES

app_name = "usage"
urlpatterns = [
    path(kind, views.collect, {"kind": kind}, name=kind) for kind in ("batch", *EVENT_TYPES)
]

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from kizuna.api import api
from kizuna.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("kizuna/favicon.svg")), name="favicon"),
    path("accounts/", include("kizuna.core.auth_urls")),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("core/", include("kizuna.core.urls")),
    path("org/", include("kizuna.org.urls")),
    path("surveys/", include("kizuna.surveys.urls")),
    path("results/", include("kizuna.engagement.urls")),
    path("plans/", include("kizuna.improvement.urls")),
    path("customers/", include("kizuna.customers.urls")),
    path("v1/", include("kizuna.usage.urls")),
    path("one-on-ones/", include("kizuna.practices.oneonones.urls")),
    path("reviews/", include("kizuna.practices.evaluation.urls")),
    path("recognition/", include("kizuna.practices.recognition.urls")),
    path("flex/", include("kizuna.practices.flexwork.urls")),
    path("hr-kpis/", include("kizuna.practices.hrkpi.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = "kizuna.core.views.forbidden"
handler404 = "kizuna.core.views.not_found"

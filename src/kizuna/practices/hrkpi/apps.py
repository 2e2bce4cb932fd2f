from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HrkpiConfig(AppConfig):
    name = "kizuna.practices.hrkpi"
    label = "hrkpi"
    verbose_name = _("HR KPIs")
    default_auto_field = "django.db.models.BigAutoField"

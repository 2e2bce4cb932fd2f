from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlexworkConfig(AppConfig):
    name = "kizuna.practices.flexwork"
    label = "flexwork"
    verbose_name = _("Flexible work")
    default_auto_field = "django.db.models.BigAutoField"

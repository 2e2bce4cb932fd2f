from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "kizuna.engagement"
    label = "engagement"
    verbose_name = _("Engagement results")

    def ready(self) -> None:
        from kizuna.engagement.provider import engagement_metric
        from kizuna.improvement.metrics import register_provider

        register_provider("engagement", engagement_metric)

from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class OneononesConfig(AppConfig):
    name = "kizuna.practices.oneonones"
    label = "oneonones"
    verbose_name = _("One-on-ones")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kizuna.org.signals import org_changed

        org_changed.connect(_sync_after_org_import, dispatch_uid="oneonones.sync_after_import")


def _sync_after_org_import(sender: Any, kind: str, as_of: Any, **kwargs: Any) -> None:
    """An applied org import (UI or ``kizuna import``) changes reporting lines: bring the
    1on1 pairs up to date at once instead of at the next morning's job. Runs in its own
    savepoint inside the import's transaction and never fails the import."""
    from django.db import transaction
    from django.utils import timezone

    from kizuna.practices.oneonones import services

    try:
        with transaction.atomic():
            services.sync_pairs(timezone.localdate())
    except Exception:
        logger.exception("1on1 pairs could not be synced after the %s import", kind)

"""Mirror Django admin's change log and login events into the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from kizuna.core import audit


@receiver(post_save, sender=LogEntry)
def admin_change(sender: type[LogEntry], instance: LogEntry, created: bool, **_: Any) -> None:
    if not created:
        return
    action = {1: "admin.add", 2: "admin.change", 3: "admin.delete"}.get(
        instance.action_flag, "admin.other"
    )
    audit.record(
        instance.user,
        action,
        target_type=instance.content_type.model if instance.content_type else "",
        target_id=str(instance.object_id or ""),
        object=instance.object_repr,
        change=instance.get_change_message(),
    )


@receiver(user_logged_in)
def logged_in(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    audit.record(user, "auth.login", request=request)


@receiver(user_logged_out)
def logged_out(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if user is not None:
        audit.record(user, "auth.logout", request=request)


@receiver(user_login_failed)
def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    audit.record(None, "auth.login_failed", request=request, email=credentials.get("username", ""))

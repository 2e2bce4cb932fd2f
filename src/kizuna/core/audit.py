"""The audit log: sensitive reads and every administrative change are written here."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from kizuna.core.models import AuditLog, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    actor: User | Any | None,
    action: str,
    target: models.Model | None = None,
    *,
    request: HttpRequest | None = None,
    target_type: str = "",
    target_id: str = "",
    **detail: Any,
) -> AuditLog:
    """Append one entry. ``actor`` may be anonymous (failed logins, password resets)."""
    user = actor if isinstance(actor, User) else None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    return AuditLog.objects.create(
        actor=user,
        actor_email=user.email if user else str(detail.pop("email", "")),
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        ip_address=client_ip(request),
    )

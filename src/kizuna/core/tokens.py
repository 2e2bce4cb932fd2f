"""API tokens: created once, stored as a SHA-256 hash, looked up in constant time."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from kizuna.core import audit
from kizuna.core.models import ApiToken, User

PREFIX = "kz_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Return the stored token row and the raw token (shown to the person once)."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=_hash(raw))
    audit.record(user, "core.api_token_created", token, name=name)
    return token, raw


def authenticate(raw: str) -> User | None:
    """The active user behind a bearer token, or None. The hash lookup is an indexed
    equality on a digest, so timing does not reveal how much of a guess was right."""
    if not raw.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked=False, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    today = timezone.localdate()
    if token.last_used_on != today:
        ApiToken.objects.filter(pk=token.pk).update(last_used_on=today)
    return token.user


def revoke(token: ApiToken, by: User | None) -> None:
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit.record(by, "core.api_token_revoked", token)

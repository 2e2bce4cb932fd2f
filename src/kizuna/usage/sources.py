"""Write keys: created once, stored as a SHA-256 digest, checked on every request.

Write keys are random 192-bit strings, so a fast digest is enough (there is nothing to
brute-force); the lookup is an indexed equality on the digest. Each web process keeps a
short-lived memo of recent lookups, because at tens of thousands of events per second the
same few keys arrive hundreds of times a second.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from django.db import transaction

from kizuna.core import audit
from kizuna.usage.models import Source

KEY_PREFIX = "kzw_"
"""Marks a string as a Kizuna write key (API tokens use ``kz_``)."""

SHOWN_PREFIX_LENGTH = 12
"""Characters of the key kept in clear for identification: ``kzw_`` and 8 random ones."""

CACHE_SECONDS = 5.0
"""How long a web process trusts a lookup; a deactivated key stops working in the
process that deactivated it at once, in the others within this many seconds."""

_CACHE_LIMIT = 1024
_cache: dict[str, tuple[int | None, float]] = {}
_cache_lock = threading.Lock()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_source(name: str) -> tuple[Source, str]:
    """Create a source; return it and its write key (the only time the key is known)."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    with transaction.atomic():
        source = Source.objects.create(
            name=name, key_prefix=key[:SHOWN_PREFIX_LENGTH], key_hash=hash_key(key)
        )
        audit.record(None, "usage.source_created", source, name=name)
    return source, key


def set_active(source: Source, active: bool) -> None:
    """Turn a source's key on or off (a leaked key is deactivated, never deleted: spooled
    and stored events keep pointing at the source)."""
    with transaction.atomic():
        source.active = active
        source.save(update_fields=["active"])
        audit.record(
            None, "usage.source_activated" if active else "usage.source_deactivated", source
        )
    forget_cached_keys()


def source_id_for_key(key: str) -> int | None:
    """The id of the active source with this write key, or None."""
    if not key:
        return None
    digest = hash_key(key)
    now = time.monotonic()
    hit = _cache.get(digest)
    if hit is not None and hit[1] > now:
        return hit[0]
    found = Source.objects.filter(key_hash=digest, active=True).values_list("id", flat=True).first()
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()  # unknown keys must not grow the memo without bound
        _cache[digest] = (found, now + CACHE_SECONDS)
    return found


def forget_cached_keys() -> None:
    with _cache_lock:
        _cache.clear()

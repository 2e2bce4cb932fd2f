"""Login throttling: a fixed window of failures per account and per client address.

Counts live in the shared cache (file-based on one host, Redis when scaled out), so every
app server sees the same numbers.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(email: str, ip: str | None) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    keys = [f"login-fail:acct:{digest}"]
    if ip:
        keys.append(f"login-fail:ip:{ip}")
    return keys


def _limit(key: str) -> int:
    # An address may carry several people (an office NAT): allow it more attempts.
    base: int = settings.LOGIN_FAILURE_LIMIT
    return base * 4 if ":ip:" in key else base


def is_locked(email: str, ip: str | None) -> bool:
    return any((cache.get(key) or 0) >= _limit(key) for key in _keys(email, ip))


def register_failure(email: str, ip: str | None) -> None:
    window: int = settings.LOGIN_FAILURE_WINDOW
    for key in _keys(email, ip):
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)


def reset(email: str) -> None:
    cache.delete(_keys(email, None)[0])

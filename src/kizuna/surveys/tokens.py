"""Invitation tokens: random, shown once in the link, stored only as a SHA-256 hash.

The database never holds a usable link, so a leaked backup cannot be used to answer in
someone's name. The consequence: a link cannot be sent twice. A reminder issues a new
token (the draft stays on the invitation, so nothing typed is lost) and the older link
stops working with a page that says to use the newest message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 32  # 256 bits of randomness, 43 URL-safe characters
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    """Cheap shape check before touching the database."""
    return bool(_TOKEN_SHAPE.match(token))


def same_hash(stored: str, token: str) -> bool:
    """Compare in constant time (the lookup itself is by the hash, which an attacker
    cannot steer, so timing reveals nothing about valid tokens)."""
    return hmac.compare_digest(stored, hash_token(token))

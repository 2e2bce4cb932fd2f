"""Test settings: the real settings, with tasks run inline and a fast password hash."""

import os
import tempfile

os.environ.setdefault("KIZUNA_DATA_DIR", tempfile.mkdtemp(prefix="kizuna-test-"))

from kizuna.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

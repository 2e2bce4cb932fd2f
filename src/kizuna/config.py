"""Runtime configuration read from the environment.

Kept apart from ``settings.py`` so the CLI can resolve the data directory (and create the
secret key) before Django is configured, and so tests can read the same rules.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRUE_VALUES = {"1", "true", "yes", "on"}


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def data_dir() -> Path:
    """The directory that holds the SQLite database, the event store, caches and the key.

    Defaults to ``./var`` under the current directory so a clone's demo stays inside it.
    """
    path = Path(os.environ.get("KIZUNA_DATA_DIR") or Path.cwd() / "var").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """Return ``KIZUNA_SECRET_KEY`` or a key generated once and kept in the data directory.

    Generating it keeps development zero-configuration while sessions survive restarts;
    production deployments set the variable so every app server shares it.
    """
    configured = os.environ.get("KIZUNA_SECRET_KEY")
    if configured:
        return configured
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key

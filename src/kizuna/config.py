"""Runtime configuration read from the environment.

Kept apart from ``settings.py`` so the CLI can resolve the data directory (and create the
secret key) before Django is configured, and so tests can read the same rules.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

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
    # Write to a private temporary file, then link it into place: when two processes
    # start on a fresh directory, exactly one link wins and both read the winner's key.
    tmp = key_file.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    try:
        os.link(tmp, key_file)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return key_file.read_text(encoding="ascii").strip()


def mailer_from_url(url: str) -> dict[str, Any]:
    """Turn ``KIZUNA_EMAIL_URL`` into a Django ``MAILERS`` entry.

    - ``smtp://user:password@host:587?tls=1`` (``smtps://`` for implicit TLS on 465)
    - ``console://`` prints messages (the default, for development)
    - ``file:///path/to/dir`` writes one file per message
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme in {"smtp", "smtps", "submission"}:
        options: dict[str, Any] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or {"smtps": 465, "submission": 587}.get(scheme, 25),
            "timeout": int(query.get("timeout", "10")),
        }
        if parts.username:
            options["username"] = unquote(parts.username)
            options["password"] = unquote(parts.password or "")
        if scheme == "smtps" or query.get("ssl", "").lower() in TRUE_VALUES:
            options["use_ssl"] = True
        elif scheme == "submission" or query.get("tls", "").lower() in TRUE_VALUES:
            options["use_tls"] = True
        return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    if scheme in {"console", "consolemail"}:
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme in {"file", "filemail"}:
        path = unquote(parts.path) or str(data_dir() / "mail")
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": path},
        }
    if scheme in {"memory", "locmem"}:
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    raise ValueError(
        f"KIZUNA_EMAIL_URL: unsupported scheme {scheme!r} (smtp, smtps, console, file)"
    )

"""Every user-facing string has a Japanese and an English translation, and the shipped
.mo files are the compiled .po files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("ja", "en")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Run Django's own extraction (makemessages) into a scratch copy of the source."""
    scratch = tmp_path_factory.mktemp("i18n") / "kizuna"
    import shutil

    shutil.copytree(
        settings.BASE_DIR, scratch, ignore=shutil.ignore_patterns("locale", "__pycache__", "static")
    )
    (scratch / "locale" / "xx" / "LC_MESSAGES").mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "xx",
            "--no-wrap",
            "--no-location",
            "--no-obsolete",
            "-i",
            "migrations/*",
        ],
        cwd=scratch,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(Path.cwd()),
            "PATH": "/usr/bin:/bin",
            "KIZUNA_DATA_DIR": str(scratch.parent / "data"),
        },
    )
    po = polib.pofile(str(scratch / "locale" / "xx" / "LC_MESSAGES" / "django.po"))
    return {(e.msgctxt or "") + "\x04" + e.msgid for e in po if not e.obsolete}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_string_is_translated(language: str, extracted: set[str]) -> None:
    po = _catalogue(language)
    translated = {
        (e.msgctxt or "") + "\x04" + e.msgid
        for e in po
        if not e.obsolete
        and "fuzzy" not in e.flags
        and (e.msgstr or (e.msgstr_plural and all(e.msgstr_plural.values())))
    }
    missing = sorted(k.split("\x04", 1)[1] for k in extracted - translated)
    assert not missing, f"{len(missing)} strings lack a {language} translation:\n" + "\n".join(
        missing[:40]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_source(language: str, tmp_path: Path) -> None:
    po = _catalogue(language)
    shipped = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in po.translated_entries()
    }
    loaded = {
        (e.msgctxt, e.msgid): (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})
        for e in shipped
    }
    compiled = {k: (v[0], {int(i): s for i, s in v[1].items()}) for k, v in compiled.items()}
    assert compiled == loaded, "run scripts/messages to recompile the .mo files"


@pytest.mark.django_db
def test_japanese_is_the_default_whatever_the_browser_says() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(reverse("login"))
    assert response["Content-Language"] == "ja"
    assert "ログイン" in response.content.decode()
    assert '<html lang="ja">' in response.content.decode()


@pytest.mark.django_db
def test_language_switch_is_remembered_by_cookie_and_account(make_user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    page = client.get(reverse("login")).content.decode()
    assert "Log in to Kizuna" in page and '<html lang="en">' in page

    user = make_user("lang@test.example", "employee")
    client = Client()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    fresh = Client()  # another browser, no cookie: the account's choice wins
    fresh.force_login(user)
    assert fresh.get(reverse("core:me"))["Content-Language"] == "en"


@pytest.mark.django_db
def test_language_switch_refuses_offsite_redirects_and_unknown_languages() -> None:
    client = Client()
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert client.get(reverse("login"))["Content-Language"] == "ja"

"""``kizuna survey list|launch``: the id alone on stdout, role checks, JSON for scripts."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kizuna.core.models import AuditLog, User
from kizuna.surveys import services
from kizuna.surveys.models import Invitation, Survey, SurveyStatus

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("survey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_launch_prints_the_new_survey_id_alone(
    company: dict[str, Any], hr: User, mailoutbox: list[Any]
) -> None:
    out, err = run(
        "--language",
        "en",
        "launch",
        "--template",
        "kizuna-pulse",
        "--audience",
        "department=SALES",
        "--opens",
        "2026-11-27",
        "--closes",
        "2026-12-04",
        "--as",
        hr.email,
    )
    survey = Survey.objects.get()
    assert out == f"{survey.pk}\n"
    assert "3 people invited, 3 emails" in err
    assert survey.status == SurveyStatus.OPEN and survey.kind == "pulse"
    assert survey.name == "Pulse survey 2026-11-27"
    assert str(survey.closes_on) == "2026-12-04" and len(mailoutbox) == 3
    assert AuditLog.objects.get(action="surveys.launch").actor == hr


def test_launch_without_sending_can_write_the_links(
    company: dict[str, Any], hr: User, mailoutbox: list[Any], tmp_path: Path
) -> None:
    links = tmp_path / "links.csv"
    out, _err = run(
        "launch",
        "--template",
        "kizuna-annual",
        "--audience",
        "all",
        "--as",
        hr.email,
        "--no-send",
        "--links-file",
        str(links),
    )
    assert len(mailoutbox) == 0
    rows = list(csv.DictReader(links.open(encoding="utf-8")))
    assert sorted(r["email"] for r in rows) == [f"e00{i}@test.example" for i in range(1, 7)]
    assert oct(links.stat().st_mode & 0o777) == "0o600"
    token = rows[0]["link"].rstrip("/").rsplit("/", 1)[-1]
    assert services.invitation_for_token(token).survey_id == int(out)
    assert not Invitation.objects.filter(invited_on__isnull=False).exists()


@pytest.mark.parametrize("role", ["manager", "employee", "executive", "csm"])
def test_launch_refuses_a_user_without_the_role(
    company: dict[str, Any], make_user: Callable[..., User], role: str
) -> None:
    user = make_user(f"{role}-cli@test.example", role)
    with pytest.raises(CommandError) as info:
        run("launch", "--template", "kizuna-pulse", "--audience", "all", "--as", user.email)
    assert "サーベイを管理する権限がありません" in str(info.value)
    assert info.value.returncode != 0
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "nobody@test.example"], "有効なユーザーはいません"),
        (["--template", "nope"], "テンプレート「nope」はありません"),
        (["--audience", "shoe_size=27"], "shoe_size"),
        (["--opens", "2026/11/27"], "YYYY-MM-DD"),
        (["--k", "2"], "3人以上"),
    ],
)
def test_launch_errors_are_translated_and_change_nothing(
    company: dict[str, Any], hr: User, args: list[str], message: str
) -> None:
    options = {"--template": "kizuna-pulse", "--audience": "all", "--as": hr.email}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        options[flag] = value
    flat = [item for pair in options.items() for item in pair]
    with pytest.raises(CommandError) as info:
        run("launch", *flat)
    assert message in str(info.value)
    assert not Survey.objects.exists()


def test_list_as_json(
    make_survey: Callable[..., Survey], hr: User, company: dict[str, Any]
) -> None:
    draft = make_survey(name="下書き")
    opened = make_survey(name="実施中", k=3)
    result = services.launch(opened, by_user=hr, send=False)
    for employee_id in list(result.links)[:3]:
        token = result.links[employee_id].rstrip("/").rsplit("/", 1)[-1]
        services.submit(services.invitation_for_token(token), {})
    out, _err = run("list", "--format", "json")
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows[draft.pk]["status"] == "draft" and rows[draft.pk]["invited"] == 0
    assert rows[opened.pk]["invited"] == 6 and rows[opened.pk]["responded"] == 3
    assert rows[opened.pk]["response_rate"] == 50.0  # 3 / 6
    text, _err = run("--language", "en", "list")
    assert "50.0%" in text and "実施中" in text


def test_help_works_from_the_kizuna_command(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "KIZUNA_DATABASE_URL"},
        "KIZUNA_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kizuna.settings",
    }
    for args in (["survey", "--help"], ["survey", "launch", "--help"]):
        done = subprocess.run(
            [sys.executable, "-m", "kizuna.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "usage: kizuna survey" in done.stdout
    assert "--audience" in done.stdout and "--as EMAIL" in done.stdout

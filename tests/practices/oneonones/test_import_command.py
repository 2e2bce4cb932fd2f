"""``kizuna import one-on-ones PATH``: past 1on1s from a script, with the same exit status,
dry run and JSON output as the other kinds."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kizuna.practices.oneonones.models import Meeting, MeetingStatus, Pair

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_data", *args, "--language", "en", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path: Path, name: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    text = "上長社員番号,社員番号,実施日\r\n" + "\r\n".join(rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def test_dry_run_then_import_then_again(company: dict[str, Any], tmp_path: Path) -> None:
    day = timezone.localdate() - dt.timedelta(days=3)
    # 鈴木 (E003) meets 高橋 (E004) twice, 田中 (E005) meets 伊藤 (E006) once
    path = write(
        tmp_path,
        "held.csv",
        [
            f"E003,E004,{day - dt.timedelta(days=14)}",
            f"E003,E004,{day}",
            f"E005,E006,{day}",
        ],
        "cp932",
    )
    out = run("one-on-ones", str(path), "--dry-run")
    assert "Dry run: all 3 rows in held.csv are valid." in out
    assert not Meeting.objects.exists() and not Pair.objects.exists()
    out = run("one-on-ones", str(path))
    assert "Created: 3, updated: 0, leavers: 0, unchanged: 0." in out
    assert Meeting.objects.filter(status=MeetingStatus.HELD).count() == 3
    assert Meeting.objects.filter(pair__member__employee_number="E004").count() == 2
    out = run("one-on-ones", str(path))
    assert "Created: 0, updated: 0, leavers: 0, unchanged: 3." in out
    assert Meeting.objects.count() == 3


def test_a_bad_row_rejects_the_file_with_json_errors(
    company: dict[str, Any], tmp_path: Path
) -> None:
    today = timezone.localdate()
    path = write(
        tmp_path,
        "bad.csv",
        [f"E003,E004,{today - dt.timedelta(days=1)}", f"E003,E999,{today}"],
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command(
            "import_data",
            "one-on-ones",
            str(path),
            "--format",
            "json",
            "--language",
            "en",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert info.value.returncode == 1
    payload = json.loads(out.getvalue())
    assert payload["ok"] is False
    assert [(e["row"], e["column"], e["code"]) for e in payload["errors"]] == [
        (3, "社員番号", "unknown_employee")
    ]
    assert "E999" in payload["errors"][0]["message"]
    assert not Meeting.objects.exists()

"""``kizuna import attendance PATH``: the same exit status and output as the other kinds."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from kizuna.practices.flexwork.models import AttendanceDay
from tests.practices.flexwork.conftest import HEADER_JA

GOOD = [
    ["E004", "2026-04-01", "出勤", "○", "", "", "", ""],
    ["E004", "2026-04-02", "有給休暇", "", "", "", "", ""],
]
BAD = [*GOOD, ["E999", "2026-04-01", "出勤", "", "", "", "", ""], ["E004", "2026-13-01", "出勤"]]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[str, str, CommandError]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_data", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), info.value


@pytest.fixture
def files(tmp_path: Path, make_csv: Callable[..., bytes]) -> dict[str, Path]:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(make_csv(HEADER_JA, GOOD, "cp932"))
    bad.write_bytes(make_csv(HEADER_JA, BAD))
    return {"good": good, "bad": bad}


@pytest.mark.django_db
def test_a_good_file_exits_0_and_prints_the_summary(
    company: dict[str, Any], files: dict[str, Path]
) -> None:
    out, _err = run("attendance", str(files["good"]), "--language", "en")
    assert out.splitlines() == [
        "Imported 2 rows from good.csv.",
        "Created: 2, updated: 0, leavers: 0, unchanged: 0.",
    ]
    assert AttendanceDay.objects.count() == 2
    out, _err = run("attendance", str(files["good"]), "--language", "en")
    assert "Created: 0, updated: 0, leavers: 0, unchanged: 2." in out


@pytest.mark.django_db
def test_a_bad_file_exits_1_lists_every_error_and_changes_nothing(
    company: dict[str, Any], files: dict[str, Path]
) -> None:
    _out, err, error = run_failing("attendance", str(files["bad"]), "--language", "en")
    assert error.returncode == 1
    assert err.splitlines() == [
        "row 4, column 社員番号: Unknown employee number “E999”. Import the employee first "
        "or fix the number.",
        "row 5, column 日付: “2026-13-01” is not a valid date. Write a real calendar date "
        "such as 2024-04-01, 2024/4/1 or 2024年4月1日.",
    ]
    assert str(error) == "The file was rejected (2 errors). Nothing was changed."
    assert AttendanceDay.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_and_json(company: dict[str, Any], files: dict[str, Path]) -> None:
    out, _err = run("attendance", str(files["good"]), "--dry-run", "--language", "en")
    assert out.startswith("Dry run: all 2 rows in good.csv are valid. Nothing was changed.")
    assert AttendanceDay.objects.count() == 0
    out, _err, error = run_failing(
        "attendance", str(files["bad"]), "--format", "json", "--language", "en"
    )
    payload = json.loads(out)
    assert error.returncode == 1
    assert payload["ok"] is False and payload["kind"] == "attendance"
    assert [(e["row"], e["code"]) for e in payload["errors"]] == [
        (4, "unknown_employee"),
        (5, "invalid_date"),
    ]
    out, _err = run("attendance", str(files["good"]), "--format", "json")
    assert json.loads(out)["summary"] == {"created": 2, "updated": 0, "leavers": 0, "unchanged": 0}

"""``kizuna import``: exit status, output, dry runs and JSON for scripts."""

from __future__ import annotations

import datetime as dt
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
from django.utils import timezone

from kizuna.org.models import Employee, EmployeeHistory
from tests.org.conftest import EMPLOYEE_HEADER_JA, employee_row


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
def good_file(
    tmp_path: Path, make_csv: Callable[..., bytes], existing_rows: list[list[str]]
) -> Path:
    path = tmp_path / "people.csv"
    rows = [*existing_rows, employee_row("2001", "青木", "優", "D200", manager="1000")]
    path.write_bytes(make_csv(EMPLOYEE_HEADER_JA, rows, "cp932"))
    return path


@pytest.fixture
def bad_file(tmp_path: Path, make_csv: Callable[..., bytes]) -> Path:
    path = tmp_path / "bad.csv"
    rows = [
        employee_row("2001", "青木", "優", "D999"),
        employee_row("2002", "石井", "翔", "D200", email="not-an-address"),
    ]
    path.write_bytes(make_csv(EMPLOYEE_HEADER_JA, rows, "cp932"))
    return path


@pytest.mark.django_db
def test_a_good_file_imports_and_prints_the_summary(org: dict[str, Any], good_file: Path) -> None:
    out, err = run("employees", str(good_file), "--as-of", "2025-04-01", "--language", "en")
    assert out.splitlines() == [
        "Imported 4 rows from people.csv.",
        "Created: 1, updated: 0, leavers: 0, unchanged: 3.",
    ]
    assert err == ""
    assert Employee.objects.filter(employee_number="2001").exists()


@pytest.mark.django_db
def test_a_bad_file_exits_1_lists_every_error_and_changes_nothing(
    org: dict[str, Any], bad_file: Path, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    _out, err, error = run_failing("employees", str(bad_file), "--language", "en")
    assert error.returncode == 1
    assert str(error) == "The file was rejected (2 errors). Nothing was changed."
    assert err.splitlines() == [
        "row 2, column 部署コード: Unknown department code “D999”. "
        "Import the department first or fix the code.",
        "row 3, column メールアドレス: “not-an-address” is not a valid email address.",
    ]
    assert snapshot() == before


@pytest.mark.django_db
def test_messages_default_to_the_site_language(
    org: dict[str, Any], bad_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import translation

    from kizuna.org.importing import service

    seen: list[str | None] = []
    original = service.apply

    def spy(*args: Any, **kwargs: Any) -> dict[str, int]:
        seen.append(translation.get_language())
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "apply", spy)
    with translation.override("en"):
        _out, err, _error = run_failing("employees", str(bad_file))
        run_failing("employees", str(bad_file), "--language", "en")
    assert seen == ["ja", "en"]
    assert "部署コード" in err and "D999" in err


@pytest.mark.django_db
def test_dry_run_reports_and_changes_nothing(
    org: dict[str, Any], good_file: Path, bad_file: Path, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    out, _err = run("employees", str(good_file), "--dry-run", "--language", "en")
    assert out.splitlines() == [
        "Dry run: all 4 rows in people.csv are valid. Nothing was changed.",
        "Created: 1, updated: 0, leavers: 0, unchanged: 3.",
    ]
    _out, err, error = run_failing("employees", str(bad_file), "--dry-run")
    assert error.returncode == 1 and len(err.splitlines()) == 2
    assert snapshot() == before


@pytest.mark.django_db
def test_json_output(org: dict[str, Any], good_file: Path, bad_file: Path) -> None:
    out, _err, _error = run_failing(
        "employees", str(bad_file), "--format", "json", "--language", "en"
    )
    payload = json.loads(out)
    assert payload["ok"] is False
    assert payload["errors"][0] == {
        "row": 2,
        "column": "部署コード",
        "message": "Unknown department code “D999”. Import the department first or fix the code.",
        "code": "unknown_department",
    }
    assert len(payload["errors"]) == 2

    out, _err = run("employees", str(good_file), "--format", "json", "--as-of", "2025-04-01")
    payload = json.loads(out)
    assert payload["ok"] is True and payload["errors"] == []
    assert payload["summary"] == {"created": 1, "updated": 0, "leavers": 0, "unchanged": 3}
    assert (payload["as_of"], payload["dry_run"], payload["kind"]) == (
        "2025-04-01",
        False,
        "employees",
    )


@pytest.mark.django_db
def test_as_of_defaults_to_today_and_dates_history(
    org: dict[str, Any], tmp_path: Path, make_csv: Callable[..., bytes]
) -> None:
    path = tmp_path / "move.csv"
    rows = [employee_row("1002", "中村", "健太", "D200", manager="1001", hire="2020-04-01")]
    path.write_bytes(make_csv(EMPLOYEE_HEADER_JA, rows))
    run("employees", str(path))
    latest = EmployeeHistory.objects.filter(employee__employee_number="1002").latest("valid_from")
    assert latest.valid_from == timezone.localdate()

    rows = [employee_row("1002", "中村", "健太", "D100", manager="1001", hire="2020-04-01")]
    path.write_bytes(make_csv(EMPLOYEE_HEADER_JA, rows))
    future = timezone.localdate() + dt.timedelta(days=30)
    run("employees", str(path), "--as-of", future.isoformat())
    latest = EmployeeHistory.objects.filter(employee__employee_number="1002").latest("valid_from")
    assert (latest.valid_from, latest.department.code) == (future, "D100")


@pytest.mark.django_db
def test_departments_through_the_cli(
    org: dict[str, Any], tmp_path: Path, make_csv: Callable[..., bytes]
) -> None:
    path = tmp_path / "depts.csv"
    path.write_bytes(make_csv(["code", "name", "parent_code"], [["D300", "海外営業部", "HQ"]]))
    out, _err = run("departments", str(path), "--language", "en")
    assert "Created: 1, updated: 0, leavers: 0, unchanged: 0." in out


@pytest.mark.django_db
def test_unusable_arguments(org: dict[str, Any], good_file: Path, tmp_path: Path) -> None:
    _out, _err, error = run_failing("employees", str(tmp_path / "missing.csv"), "--language", "en")
    assert "Cannot read the file" in str(error)
    _out, _err, error = run_failing(
        "employees", str(good_file), "--as-of", "2025/04/01", "--language", "en"
    )
    assert "YYYY-MM-DD" in str(error)
    with pytest.raises(CommandError):
        call_command("import_data", "customers", str(good_file))


def test_the_kizuna_command_exits_with_the_right_status(
    tmp_path: Path, make_csv: Callable[..., bytes]
) -> None:
    """The real entry point, in a fresh data directory: exit 0 for a good file, 1 for a
    bad one (with the messages on stderr), through ``kizuna import``. (The other cases
    use call_command, which is much faster than starting processes.)"""
    # A private SQLite database: never the server the suite's PostgreSQL leg points at.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")},
        "KIZUNA_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "kizuna.settings",
    }
    kizuna = [sys.executable, "-m", "kizuna.cli"]

    def kizuna_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*kizuna, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    assert kizuna_run("migrate", "-v", "0").returncode == 0
    depts = tmp_path / "depts.csv"
    depts.write_bytes(make_csv(["部署コード", "部署名"], [["HQ", "本社"]], "cp932"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(make_csv(EMPLOYEE_HEADER_JA, [employee_row("1", "山田", "花子", "NOPE")]))

    done = kizuna_run("import", "departments", str(depts), "--language", "en")
    assert done.returncode == 0, done.stderr
    assert "Created: 1, updated: 0, leavers: 0, unchanged: 0." in done.stdout
    failed = kizuna_run("import", "employees", str(bad), "--language", "en")
    assert failed.returncode == 1
    assert "row 2, column 部署コード: Unknown department code “NOPE”." in failed.stderr

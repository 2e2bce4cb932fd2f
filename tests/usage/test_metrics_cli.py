"""``kizuna metrics stickiness|adoption|activity-churn``: end to end over a DuckDB event store.

The events (Asia/Tokyo times; the period is 2025-04-01 to 2025-04-08, 7 days):

    user  account  day    what
    u1    A        03-25  track Login                  (before the period)
    u1    A        04-01  track Report Viewed
    u1    A        04-02  track Report Viewed (twice)
    u1    A        04-03  track Report Viewed
    u2    A        04-01  page Dashboard
    u2    A        04-05  track Export
    u3    B        04-02  track Login at 23:59:59       (still 04-02 in Tokyo)
    u3    B        04-08  track Login at 00:00:00       (the --to day: not included)
    u4    B        04-03  identify                      (not a use of the product)
    —     A        04-04  track Login, anonymous        (no user: not counted)
    u5    —        04-06  screen Export                 (no account)
    u6    C        03-20  track Login                   (before the period)

Daily active users: 04-01 {u1,u2}=2, 04-02 {u1,u3}=2, 04-03 {u1}=1, 04-04 0, 04-05 {u2}=1,
04-06 {u5}=1, 04-07 0 → mean DAU 7/7 = 1; active users {u1,u2,u3,u5} = 4;
stickiness 1/4 = 25 %. Account A: days 2,1,1,0,1,0,0 → mean 5/7, 2 users → 5/14;
account B: 1/7 over 1 user → 1/7.

Adoption of "reports" (Report Viewed, Dashboard): users {u1,u2} / 4 = 50 %; accounts {A} /
active accounts {A,B} = 50 %. "export" (Export): users {u2,u5} / 4 = 50 %; accounts {A} /
{A,B} = 50 %.

Activity churn with N = 14: accounts active in [03-18, 04-01) = {A (03-25), C (03-20)};
active in [03-25, 04-08) = {A, B}; churned {C} → 1/2. With N = 30 (the default): before
the start {A, C}, before the end [03-09, 04-08) {A, B, C} → 0/2.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kizuna.customers.models import Account
from kizuna.usage import drain, metrics, store
from kizuna.usage.features import create_feature

pytestmark = pytest.mark.django_db

JST = dt.timezone(dt.timedelta(hours=9))
PERIOD = ("--from", "2025-04-01", "--to", "2025-04-08")


def jst(day: str, time: str = "12:00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"2025-{day}T{time}").replace(tzinfo=JST)


# (type, event, name, user_id, group_id, Tokyo time)
EVENTS: list[tuple[str, str | None, str | None, str | None, str | None, dt.datetime]] = [
    ("track", "Login", None, "u1", "A", jst("03-25")),
    ("track", "Report Viewed", None, "u1", "A", jst("04-01")),
    ("track", "Report Viewed", None, "u1", "A", jst("04-02", "09:00:00")),
    ("track", "Report Viewed", None, "u1", "A", jst("04-02", "18:00:00")),
    ("track", "Report Viewed", None, "u1", "A", jst("04-03")),
    ("page", None, "Dashboard", "u2", "A", jst("04-01")),
    ("track", "Export", None, "u2", "A", jst("04-05")),
    ("track", "Login", None, "u3", "B", jst("04-02", "23:59:59")),
    ("track", "Login", None, "u3", "B", jst("04-08", "00:00:00")),
    ("identify", None, None, "u4", "B", jst("04-03")),
    ("track", "Login", None, None, "A", jst("04-04")),
    ("screen", None, "Export", "u5", None, jst("04-06")),
    ("track", "Login", None, "u6", "C", jst("03-20")),
]


def write_events(rows: list[tuple[Any, ...]] = EVENTS) -> None:
    with store.connect(read_only=False) as con:
        for number, (kind, event, name, user, group, at) in enumerate(rows):
            con.execute(
                "INSERT INTO events (message_id, source_id, type, event, name, user_id, "
                "anonymous_id, group_id, timestamp, received_at) "
                "VALUES (?, 1, ?, ?, ?, ?, 'anon', ?, ?, ?)",
                [f"m{number}", kind, event, name, user, group, at, at],
            )


def run_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("metrics", *args, "--format", "json", "--language", "en", stdout=out)
    payload: dict[str, Any] = json.loads(out.getvalue())
    return payload


def fail(*args: str) -> str:
    with pytest.raises(CommandError) as info:
        call_command("metrics", *args, "--language", "en", stdout=io.StringIO())
    return str(info.value)


@pytest.fixture
def features() -> None:
    create_feature(name="レポート", slug="reports", event_names=["Report Viewed", "Dashboard"])
    create_feature(name="エクスポート", slug="export", event_names=["Export"])


def test_stickiness_of_all_users() -> None:
    write_events()
    payload = run_json("stickiness", *PERIOD)
    assert payload["metric"] == "stickiness"
    assert payload["value"] == pytest.approx(0.25)
    assert payload["numerator"] == pytest.approx(1.0)
    assert payload["denominator"] == 4
    assert payload["details"]["days"] == 7
    assert payload["period"] == {"from": "2025-04-01", "to": "2025-04-08", "to_included": False}


@pytest.mark.parametrize(("account", "mean_dau", "users"), [("A", 5 / 7, 2), ("B", 1 / 7, 1)])
def test_stickiness_of_one_account(account: str, mean_dau: float, users: int) -> None:
    for external_id in "ABC":
        Account.objects.create(external_id=external_id, name=f"株式会社{external_id}")
    write_events()
    payload = run_json("stickiness", *PERIOD, "--account", account)
    assert payload["numerator"] == pytest.approx(mean_dau)
    assert payload["denominator"] == users
    assert payload["value"] == pytest.approx(mean_dau / users)
    assert payload["details"]["account"] == account


def test_stickiness_of_an_account_without_use_is_undefined() -> None:
    Account.objects.create(external_id="C", name="株式会社C")
    write_events()
    payload = run_json("stickiness", *PERIOD, "--account", "C")
    assert (payload["value"], payload["denominator"]) == (None, 0)


def test_stickiness_of_an_unknown_account_is_refused() -> None:
    message = fail("stickiness", *PERIOD, "--account", "ZZZ")
    assert "Unknown account “ZZZ”" in message


@pytest.mark.usefixtures("features")
@pytest.mark.parametrize(
    ("feature", "by", "adopters", "active"),
    [
        ("reports", [], 2, 4),
        ("reports", ["--by", "account"], 1, 2),
        ("export", [], 2, 4),
        ("export", ["--by", "user"], 2, 4),
        ("export", ["--by", "account"], 1, 2),
    ],
)
def test_adoption(feature: str, by: list[str], adopters: int, active: int) -> None:
    write_events()
    payload = run_json("adoption", *PERIOD, "--feature", feature, *by)
    assert (payload["numerator"], payload["denominator"]) == (adopters, active)
    assert payload["value"] == pytest.approx(adopters / active)
    assert payload["details"]["feature"] == feature


@pytest.mark.usefixtures("features")
def test_adoption_of_an_unknown_feature_lists_the_known_ones() -> None:
    message = fail("adoption", *PERIOD, "--feature", "report")
    assert message == "Unknown feature “report”. Known features: export, reports."


def test_adoption_without_any_feature_says_where_to_define_them() -> None:
    assert "no features are defined yet" in fail("adoption", *PERIOD, "--feature", "x")


@pytest.mark.usefixtures("features")
def test_adoption_needs_a_feature_and_a_valid_by() -> None:
    assert "needs the option --feature" in fail("adoption", *PERIOD)
    assert "Invalid value “team” for --by" in fail(
        "adoption", *PERIOD, "--feature", "export", "--by", "team"
    )


@pytest.mark.parametrize(
    ("days", "churned", "before"), [(["--inactive-days", "14"], 1, 2), ([], 0, 2)]
)
def test_activity_churn(days: list[str], churned: int, before: int) -> None:
    write_events()
    payload = run_json("activity-churn", *PERIOD, *days)
    assert (payload["numerator"], payload["denominator"]) == (churned, before)
    assert payload["value"] == pytest.approx(churned / before)
    assert payload["details"]["inactive_days"] == (14 if days else 30)


def test_activity_churn_text_line() -> None:
    write_events()
    out = io.StringIO()
    call_command(
        "metrics",
        "activity-churn",
        *PERIOD,
        "--inactive-days",
        "14",
        "--language",
        "en",
        stdout=out,
    )
    assert out.getvalue().strip() == (
        "Activity churn rate, 2025-04-01 to 2025-04-08 (end date not included): 50.0% "
        "(accounts that went inactive 1 / accounts active before the start 2)"
    )


def test_bad_inactive_days_and_foreign_options_are_refused() -> None:
    assert "Invalid value “0” for --inactive-days" in fail(
        "activity-churn", *PERIOD, "--inactive-days", "0"
    )
    assert "does not apply to the metric stickiness" in fail(
        "stickiness", *PERIOD, "--feature", "export"
    )


def test_empty_store_gives_undefined_values() -> None:
    payload = run_json("activity-churn", *PERIOD)
    assert (payload["value"], payload["numerator"], payload["denominator"]) == (None, 0, 0)
    payload = run_json("stickiness", *PERIOD)
    assert (payload["value"], payload["denominator"]) == (None, 0)


def test_busy_store_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "STORE_TIMEOUT", 0.2)
    write_events()
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store.connect(read_only=False):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        message = fail("stickiness", *PERIOD)
    finally:
        release.set()
        thread.join()
    assert "The event store is busy" in message


def test_unreadable_store_is_a_clear_error(settings: Any, tmp_path: Path) -> None:
    not_a_database = tmp_path / "garbage.duckdb"
    not_a_database.write_bytes(b"this is not a DuckDB file" * 100)
    settings.EVENTS_URL = f"duckdb:///{not_a_database}"
    assert "Cannot open the event store" in fail("activity-churn", *PERIOD)
    settings.EVENTS_URL = "postgres://nowhere"
    assert "The event store is not configured correctly" in fail("activity-churn", *PERIOD)


def test_events_sent_through_the_segment_api(post: Any, write_key: str) -> None:
    """The path a customer's events take: /v1/batch, the drain, then the metric."""
    batch = [
        {
            "type": kind,
            "messageId": f"m{number}",
            "timestamp": at.isoformat(),
            **({"event": event} if event else {}),
            **({"name": name} if name else {}),
            **({"userId": user} if user else {"anonymousId": "anon"}),
            **({"context": {"groupId": group}} if group else {}),
        }
        for number, (kind, event, name, user, group, at) in enumerate(EVENTS)
    ]
    response = post("batch", {"batch": batch}, write_key)
    assert response.status_code == 200, response.content
    assert drain.drain_once().stored == len(EVENTS)
    payload = run_json("stickiness", *PERIOD)
    assert (payload["numerator"], payload["denominator"]) == (pytest.approx(1.0), 4)
    create_feature(name="レポート", slug="reports", event_names=["Report Viewed", "Dashboard"])
    payload = run_json("adoption", *PERIOD, "--feature", "reports", "--by", "account")
    assert (payload["numerator"], payload["denominator"]) == (1, 2)


def test_the_kizuna_command(tmp_path: Path, events_store: Path) -> None:
    """The real entry point in a fresh data directory, JSON on stdout, exit status 1 and
    a message on stderr for an unknown feature. Never the suite's PostgreSQL server."""
    write_events()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")},
        "KIZUNA_DATA_DIR": str(tmp_path / "data"),
        "KIZUNA_EVENTS_URL": f"duckdb:///{events_store}",
        "DJANGO_SETTINGS_MODULE": "kizuna.settings",
    }

    def kizuna(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kizuna.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert kizuna("migrate", "-v", "0").returncode == 0
    done = kizuna("metrics", "stickiness", *PERIOD, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == pytest.approx(0.25)
    done = kizuna("metrics", "activity-churn", *PERIOD, "--inactive-days", "14", "--format", "json")
    assert json.loads(done.stdout)["value"] == pytest.approx(0.5)
    failed = kizuna("metrics", "adoption", *PERIOD, "--feature", "nope", "--language", "en")
    assert failed.returncode == 1
    assert "Unknown feature “nope”" in failed.stderr

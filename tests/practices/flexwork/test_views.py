"""The pages: import preview then apply, side-job application and approval, policy admin,
utilisation scoped to a manager's subtree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kizuna.core.models import User
from kizuna.org.models import ImportStatus
from kizuna.practices.flexwork.models import (
    AttendanceDay,
    AttendanceImport,
    Policy,
    PolicyKind,
    SideJobRequest,
    SideJobStatus,
)
from tests.practices.flexwork.conftest import HEADER_JA


def client_for(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # assertions read English
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_upload_previews_then_applies(
    role_users: dict[str, User], make_csv: Callable[..., bytes]
) -> None:
    client = client_for(role_users["hr"])
    content = make_csv(HEADER_JA, [["E004", "2026-04-01", "出勤", "1", "1", "", "", ""]], "cp932")
    response = client.post(
        reverse("flexwork:import"), {"file": SimpleUploadedFile("勤怠.csv", content)}
    )
    job = AttendanceImport.objects.get()
    assert response.status_code == 302 and job.status == ImportStatus.READY
    # the preview changes nothing
    page = client.get(reverse("flexwork:import_detail", kwargs={"pk": job.pk}))
    assert "import-preview" in page.content.decode() and AttendanceDay.objects.count() == 0
    client.post(reverse("flexwork:import_apply", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.result["created"] == 1
    assert bytes(job.content) == b""  # the uploaded file is not kept once imported
    assert AttendanceDay.objects.get().late is True
    # pressing the button again does nothing more
    client.post(reverse("flexwork:import_apply", kwargs={"pk": job.pk}))
    assert AttendanceDay.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_upload_lists_the_errors_and_cannot_be_applied(
    role_users: dict[str, User], make_csv: Callable[..., bytes]
) -> None:
    client = client_for(role_users["admin"])
    content = make_csv(HEADER_JA, [["E999", "2026-04-01", "出勤", "", "", "", "", ""]])
    client.post(reverse("flexwork:import"), {"file": SimpleUploadedFile("a.csv", content)})
    job = AttendanceImport.objects.get()
    assert job.status == ImportStatus.INVALID
    with translation.override("en"):
        page = client.get(
            reverse("flexwork:import_detail", kwargs={"pk": job.pk}), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert "Unknown employee number “E999”" in page.content.decode()
    client.post(reverse("flexwork:import_apply", kwargs={"pk": job.pk}))
    assert AttendanceDay.objects.count() == 0


@pytest.mark.django_db
def test_side_job_application_and_approval(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    employee = client_for(role_users["employee"])
    # no side-job policy yet: the form explains instead of accepting a request
    assert "not-eligible" in employee.get(reverse("flexwork:side_job_apply")).content.decode()
    Policy.objects.create(kind=PolicyKind.SIDE_JOB, name="副業", min_tenure_months=12)
    form = {
        "employer": "NPO法人さくら",
        "work": "週末のプログラミング講師",
        "hours_per_week": "4",
        "starts_on": "2026-05-01",
        "ends_on": "2026-04-01",  # before the start: refused with an inline error
        "confirm": "on",
    }
    refused = employee.post(reverse("flexwork:side_job_apply"), form)
    assert refused.status_code == 200 and SideJobRequest.objects.count() == 0
    form["ends_on"] = ""
    assert employee.post(reverse("flexwork:side_job_apply"), form).status_code == 302
    request = SideJobRequest.objects.get()
    assert request.status == SideJobStatus.PENDING
    assert request.employee == company["people"]["E004"]
    # the employee cannot decide; HR can, once
    assert (
        employee.post(
            reverse("flexwork:side_job_decide", kwargs={"pk": request.pk}), {"decision": "approve"}
        ).status_code
        == 403
    )
    hr = client_for(role_users["hr"])
    assert "NPO法人さくら" in hr.get(reverse("flexwork:side_jobs")).content.decode()
    hr.post(
        reverse("flexwork:side_job_decide", kwargs={"pk": request.pk}),
        {"decision": "approve", "note": "承認します"},
    )
    request.refresh_from_db()
    assert request.status == SideJobStatus.APPROVED and request.decided_by == role_users["hr"]
    hr.post(reverse("flexwork:side_job_decide", kwargs={"pk": request.pk}), {"decision": "reject"})
    request.refresh_from_db()
    assert request.status == SideJobStatus.APPROVED
    # someone else's request cannot be withdrawn (404), a decided one not at all
    manager = client_for(role_users["manager"])
    response = manager.post(reverse("flexwork:side_job_withdraw", kwargs={"pk": request.pk}))
    assert response.status_code == 404


@pytest.mark.django_db
def test_policy_admin_validates_and_the_policies_page_shows_eligibility(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    hr = client_for(role_users["hr"])
    data = {
        "kind": PolicyKind.FLEX_CORE,
        "name": "フレックスタイム制",
        "description": "",
        "core_start": "",
        "core_end": "",
        "max_days_per_week": "",
        "departments": [company["departments"]["DEV"].pk],
        "min_tenure_months": "0",
        "active": "on",
        "sort_order": "0",
    }
    with translation.override("en"):
        page = hr.post(reverse("flexwork:policy_create"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Enter when core time starts." in page.content.decode()
    data.update(core_start="11:00", core_end="15:00")
    assert hr.post(reverse("flexwork:policy_create"), data).status_code == 302
    policy = Policy.objects.get()
    assert list(policy.departments.all()) == [company["departments"]["DEV"]]
    # 高橋 (営業1課) is not in 開発部: shown, marked not available, with the reason
    employee = client_for(role_users["employee"])
    with translation.override("en"):
        body = employee.get(reverse("flexwork:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "フレックスタイム制" in body and "Not available in your department." in body
    # a login without an employee record sees the policies and an explanation
    csm = client_for(role_users["csm"])
    assert "no-employee" in csm.get(reverse("flexwork:index")).content.decode()


@pytest.mark.django_db
def test_utilisation_page_and_api_are_scoped_for_managers(
    company: dict[str, Any], role_users: dict[str, User]
) -> None:
    Policy.objects.create(kind=PolicyKind.REMOTE, name="在宅勤務")
    people = company["people"]
    for number in ("E004", "E006"):
        AttendanceDay.objects.create(
            employee=people[number], date=dt.date(2026, 4, 1), status="present", remote=True
        )
    manager = client_for(role_users["manager"])  # heads 営業部 (E002, E003, E004)
    page = manager.get(reverse("flexwork:utilisation"), {"period": "m2026-04"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "営業1課" in body and "開発部" not in body
    api = manager.get("/api/flex/utilisation", {"period": "m2026-04"}).json()
    assert api["scope"] == "managed_departments"
    # 営業部 subtree: E002, E003, E004; only E004 used remote work -> 1 / 3
    assert api["policies"][0]["everyone"] == {"numerator": 1, "denominator": 3, "rate": 100 / 3}
    assert {d["code"] for d in api["departments"]} == {"SALES", "SALES1"}
    hr = client_for(role_users["hr"]).get("/api/flex/utilisation", {"period": "q2026-1"}).json()
    # company: 6 people, E004 and E006 used it in 2026年度 Q1 (April–June) -> 2 / 6
    assert hr["start"] == "2026-04-01" and hr["end"] == "2026-06-30"
    assert hr["policies"][0]["everyone"]["numerator"] == 2
    assert hr["policies"][0]["everyone"]["denominator"] == 6
    bad = client_for(role_users["hr"]).get("/api/flex/utilisation", {"period": "2026-04"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "period"]
    mine = client_for(role_users["employee"]).get("/api/flex/me/eligibility").json()
    assert mine["employee_number"] == "E004" and mine["policies"][0]["eligible"] is True


@pytest.mark.django_db
def test_the_default_period_is_the_last_finished_month_with_attendance(
    company: dict[str, Any],
) -> None:
    from django.utils import timezone

    from kizuna.practices.flexwork.views import default_period

    today = timezone.localdate()
    # nothing imported: this month
    assert default_period(4).start == today.replace(day=1)
    # attendance up to today: this month is unfinished, so the month before
    AttendanceDay.objects.create(employee=company["people"]["E004"], date=today, status="present")
    previous = today.replace(day=1) - dt.timedelta(days=1)
    assert default_period(4).start == previous.replace(day=1)
    # attendance that ends in an earlier month: that month
    AttendanceDay.objects.all().delete()
    AttendanceDay.objects.create(
        employee=company["people"]["E004"], date=dt.date(2025, 11, 12), status="present"
    )
    assert default_period(4).key == "m2025-11"

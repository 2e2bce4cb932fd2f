"""State changes of customer data: lifecycle stage with time-in-stage, ending a
subscription, and the admin going through the same door."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from kizuna.core.models import AuditLog, User
from kizuna.customers import services
from kizuna.customers.models import Account, Contact, LifecycleStage, Subscription

D = dt.date


@pytest.mark.django_db
def test_a_stage_change_restarts_the_clock_once(account: Callable[..., Account]) -> None:
    acme = account("A1", stage_changed_on=D(2025, 1, 1))
    assert acme.lifecycle_stage == LifecycleStage.ONBOARDING
    assert acme.days_in_stage(D(2025, 1, 31)) == 30
    assert services.set_lifecycle_stage(acme, "adoption", on=D(2025, 3, 1)) is True
    acme.refresh_from_db()
    assert (acme.lifecycle_stage, acme.stage_changed_on) == ("adoption", D(2025, 3, 1))
    # The same stage again changes nothing (the clock keeps running).
    assert services.set_lifecycle_stage(acme, "adoption", on=D(2025, 4, 1)) is False
    acme.refresh_from_db()
    assert acme.stage_changed_on == D(2025, 3, 1)
    entry = AuditLog.objects.get(action="customers.account.stage")
    assert entry.detail == {"previous": "onboarding", "stage": "adoption", "on": "2025-03-01"}
    with pytest.raises(ValueError):
        services.set_lifecycle_stage(acme, "sleeping")


@pytest.mark.django_db
def test_ending_a_subscription(
    account: Callable[..., Account], subscribe: Callable[..., Subscription]
) -> None:
    acme = account("A1")
    sub = subscribe(acme, 10_000, D(2025, 1, 1))
    services.end_subscription(sub, D(2025, 6, 1))
    assert acme.is_active_on(D(2025, 5, 31)) and not acme.is_active_on(D(2025, 6, 1))
    with pytest.raises(ValueError):
        services.end_subscription(sub, D(2025, 1, 1))


@pytest.mark.django_db
def test_the_database_refuses_impossible_rows(
    account: Callable[..., Account], subscribe: Callable[..., Subscription]
) -> None:
    acme = account("A1")
    with transaction.atomic(), pytest.raises(IntegrityError):
        subscribe(acme, -1, D(2025, 1, 1))
    with transaction.atomic(), pytest.raises(IntegrityError):
        subscribe(acme, 1, D(2025, 1, 1), D(2025, 1, 1))
    Contact.objects.create(account=acme, external_id="K1", name="一", is_primary=True)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Contact.objects.create(account=acme, external_id="K2", name="二", is_primary=True)


@pytest.mark.django_db
def test_the_admin_changes_the_stage_through_the_service(
    client: Client, account: Callable[..., Account], make_user: Callable[..., User]
) -> None:
    admin = make_user("admin@test.example", "admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    acme = account("A1", stage_changed_on=D(2024, 1, 1))
    url = reverse("admin:customers_account_change", args=[acme.pk])
    response = client.post(
        url,
        {
            "external_id": "A1",
            "name": acme.name,
            "lifecycle_stage": "at_risk",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "subscriptions-TOTAL_FORMS": "0",
            "subscriptions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    acme.refresh_from_db()
    assert acme.lifecycle_stage == "at_risk"
    assert acme.stage_changed_on != D(2024, 1, 1)
    assert AuditLog.objects.filter(action="customers.account.stage").count() == 1
    assert Decimal(0) == acme.mrr_on(D(2025, 1, 1))

"""The practices apps' own KPI functions, called through the dashboard's composition.

Runs against whatever the other apps provide; each app's numbers are tested in its own
tests — here: the call succeeds, returns ratios, and the dashboard and API show them."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kizuna.practices.hrkpi import compose
from kizuna.practices.kpi import Ratio

MODULES = {
    "attendance": "kizuna.practices.flexwork.metrics",
    "wish": "kizuna.practices.evaluation.metrics",
    "coverage": "kizuna.practices.oneonones.metrics",
    "reach": "kizuna.practices.recognition.metrics",
    "utilisation": "kizuna.practices.flexwork.metrics",
}


def _installed(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("key", list(MODULES))
def test_each_installed_app_is_composed_without_error(
    key: str, company: Any, role_users: Any
) -> None:
    if not _installed(MODULES[key]):
        pytest.skip(f"{MODULES[key]} is not there yet")
    kpis = {
        k.key: k
        for k in compose.composed(
            dt.date(2025, 4, 1), dt.date(2025, 6, 30), dt.date(2025, 6, 30), None
        )
    }
    kpi = kpis[key]
    assert kpi.available and kpi.error == "", kpi.error
    for figure in kpi.figures:
        assert isinstance(figure.ratio, Ratio)
    for row in kpi.rows:
        assert row["all"] is None or isinstance(row["all"], Ratio)
    client = Client()
    client.force_login(role_users["hr"])
    data = json.loads(client.get(reverse("api:hr_kpis")).content)
    assert {p["key"]: p["available"] for p in data["practices"]}[key] is True

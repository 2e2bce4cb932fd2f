"""CSP with per-request nonces, and no inline script or style anywhere in our pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_csp_has_a_fresh_nonce_per_response_and_scripts_carry_it(role_users, login) -> None:  # type: ignore[no-untyped-def]
    client = login(role_users["admin"])
    first = client.get(reverse("home"))
    second = client.get(reverse("home"))
    policy = first["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)  # type: ignore[union-attr]
    assert nonce not in second["Content-Security-Policy"]
    html = first.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts, "expected script tags"
    for attrs in scripts:
        if 'type="application/json"' in attrs:
            continue  # json_script data is not executed
        assert f'nonce="{nonce}"' in attrs, attrs


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["home", "org:departments", "org:employees", "org:import", "core:me", "core:audit_log"]
)
def test_pages_have_no_inline_handlers_or_style_attributes(name, role_users, login) -> None:  # type: ignore[no-untyped-def]
    html = login(role_users["admin"]).get(reverse(name)).content.decode()
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style attribute (blocked by CSP)"


@pytest.mark.django_db
def test_clickjacking_and_sniffing_headers() -> None:
    response = Client().get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"

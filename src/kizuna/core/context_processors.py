"""Role-based navigation: each entry names the capability that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kizuna.core import access


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    capability: str | None  # None: every signed-in user (the page scopes itself)
    prefixes: tuple[str, ...]  # view names that belong to this entry


NAVIGATION: tuple[NavItem, ...] = (
    NavItem(_("Home"), "home", None, ("home",)),
    NavItem(_("Organisation"), "org:departments", "org.view_directory", ("org:department",)),
    NavItem(_("People"), "org:employees", "org.view_directory", ("org:employee",)),
    NavItem(_("Import"), "org:import", "org.import", ("org:import",)),
    NavItem(_("Surveys"), "surveys:list", "surveys.manage", ("surveys:",)),
    NavItem(_("Survey results"), "engagement:index", "engagement.view_results", ("engagement:",)),
    NavItem(
        _("Action plans"),
        "improvement:plans",
        None,
        ("improvement:plan", "improvement:action", "improvement:check_in", "improvement:review"),
    ),
    NavItem(_("You said, we did"), "improvement:team", None, ("improvement:team",)),
    NavItem(_("1on1s"), "oneonones:index", "practices.use", ("oneonones:",)),
    NavItem(_("Reviews"), "evaluation:index", "practices.use", ("evaluation:",)),
    NavItem(_("Recognition"), "recognition:feed", "practices.use", ("recognition:",)),
    NavItem(_("Flexible work"), "flexwork:index", "practices.use", ("flexwork:",)),
    NavItem(_("HR KPIs"), "hrkpi:dashboard", "hrkpi.view", ("hrkpi:",)),
    NavItem(
        _("Portfolio"), "customers:portfolio", "customers.view_portfolio", ("customers:portfolio",)
    ),
    NavItem(
        _("At-risk accounts"),
        "customers:at_risk",
        "customers.view_portfolio",
        ("customers:at_risk",),
    ),
    NavItem(
        _("Renewals"), "customers:renewals", "customers.view_portfolio", ("customers:renewals",)
    ),
    NavItem(
        _("Accounts"),
        "customers:accounts",
        "customers.view_accounts",
        ("customers:account", "customers:assess"),
    ),
    NavItem(
        _("Health score check"),
        "customers:backtest",
        "customers.view_portfolio",
        ("customers:backtest", "customers:churn_model"),
    ),
    NavItem(_("Features"), "customers:features", "customers.view_usage", ("customers:feature",)),
    NavItem(
        _("Health score settings"),
        "customers:health_settings",
        "customers.configure",
        ("customers:health",),
    ),
    NavItem(
        _("Import customer data"), "customers:import", "customers.import", ("customers:import",)
    ),
    NavItem(_("Audit log"), "core:audit_log", "core.view_audit_log", ("core:audit",)),
    NavItem(_("My profile"), "core:me", None, ("core:me",)),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "active": any(current.startswith(prefix) for prefix in item.prefixes),
        }
        for item in NAVIGATION
        if item.capability is None or access.can(user, item.capability)
    ]
    return {
        "nav_items": items,
        "user_roles": sorted(access.roles_of(user)),
        "show_admin_link": access.can(user, "core.admin_site"),
    }

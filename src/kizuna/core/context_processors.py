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
    capability: str | None  # None: every signed-in user
    section: str


NAVIGATION: tuple[NavItem, ...] = (
    NavItem(_("Home"), "home", None, "home"),
    NavItem(_("Organisation"), "org:departments", "org.view_directory", "org"),
    NavItem(_("People"), "org:employees", "org.view_directory", "people"),
    NavItem(_("Import"), "org:import", "org.import", "import"),
    NavItem(_("Audit log"), "core:audit_log", "core.view_audit_log", "audit"),
    NavItem(_("My profile"), "core:me", None, "me"),
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
            "active": current == item.url_name
            or (
                item.url_name != "home"
                and current.startswith(item.url_name.split(":")[0] + ":")
                and current.split(":")[1].startswith(item.section[:3])
            ),
        }
        for item in NAVIGATION
        if item.capability is None or access.can(user, item.capability)
    ]
    return {
        "nav_items": items,
        "user_roles": sorted(access.roles_of(user)),
        "show_admin_link": access.can(user, "core.admin_site"),
    }

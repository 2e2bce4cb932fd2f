"""The roles a person may hold in Kizuna (several at once)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HR = "hr", _("HR")
    MANAGER = "manager", _("Manager")
    EMPLOYEE = "employee", _("Employee")
    CSM = "csm", _("Customer success manager")
    SUPPORT = "support", _("Support agent")
    MARKETER = "marketer", _("Marketer")
    EXECUTIVE = "executive", _("Executive")


ALL_ROLES: tuple[str, ...] = tuple(Role.values)

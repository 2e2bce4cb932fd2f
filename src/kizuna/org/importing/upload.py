"""The file field of every import form (employees, customers): one set of limits, so an
upload is accepted or refused the same way whatever it will be imported as."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def import_file_field() -> forms.FileField:
    return forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Shift_JIS) or Excel (.xlsx), with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


def check_import_file(upload: Any) -> Any:
    """Refuse a file over ``KIZUNA_IMPORT_MAX_BYTES`` or not named .csv/.xlsx before any
    byte of it is read (the reader then checks what is inside)."""
    if upload.size > settings.KIZUNA_IMPORT_MAX_BYTES:
        raise forms.ValidationError(
            _("The file is too large (at most %(limit)s MB)."),
            params={"limit": settings.KIZUNA_IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    name = upload.name.lower()
    if not (name.endswith(".csv") or name.endswith(".xlsx")):
        raise forms.ValidationError(_("Choose a .csv or .xlsx file."), code="bad_extension")
    return upload

"""Forms shared across the app; error messages are translated and rendered inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordResetForm
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kizuna.core import ratelimit
from kizuna.core.audit import client_ip


class FormRenderer(TemplatesSetting):
    """Every field in one wrapper with its label, input, help and inline error, linked by
    aria-describedby (Django adds it); no label colon, which Japanese forms do not use."""

    field_template_name = "includes/field.html"


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: Any = None
        self.locked = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email, password = data.get("email"), data.get("password")
        if not email or not password:
            return data
        ip = client_ip(self.request)
        if ratelimit.is_locked(email, ip):
            self.locked = True
            raise forms.ValidationError(
                _("Too many failed attempts. Wait 15 minutes, or reset your password."),
                code="locked",
            )
        self.user = authenticate(self.request, username=email.lower(), password=password)
        if self.user is None:
            ratelimit.register_failure(email, ip)
            raise forms.ValidationError(
                _("The email address or password is incorrect."), code="invalid_login"
            )
        return data


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

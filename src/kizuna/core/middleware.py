"""Japanese-first language selection."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class JapaneseFirstLocaleMiddleware:
    """Pick the language from the user's saved choice, then the language cookie, then
    Japanese. The browser's Accept-Language is deliberately ignored: Kizuna's users work
    in Japanese companies and many run English-language browsers; English is one click
    away on every page and remembered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self.language_for(request)
        request.LANGUAGE_CODE = language
        with translation.override(language):  # restores the caller's language afterwards
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary = response.headers.get("Vary", "")
        if "Cookie" not in patch_vary:
            response.headers["Vary"] = f"{patch_vary}, Cookie" if patch_vary else "Cookie"
        return response

    def language_for(self, request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        saved = getattr(user, "language", "") if user is not None else ""
        if saved in self.supported:
            return saved
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if cookie in self.supported:
            return cookie
        return settings.LANGUAGE_CODE

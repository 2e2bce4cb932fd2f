"""The REST API (django-ninja): one ``NinjaAPI`` with routers from the apps, an OpenAPI
schema at ``/api/openapi.json`` and no hosted docs page (it would load from a CDN).

Authentication: a bearer token (``kizuna token create``) for scripts, or the browser
session (CSRF-protected) for the UI's own calls. Authorisation is the same
``kizuna.core.access`` rules the pages use.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import HttpBearer, SessionAuth

from kizuna.core import access, tokens


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = tokens.authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Kizuna API",
    version="1",
    urls_namespace="api",
    docs_url=None,
    auth=[BearerToken(), SessionAuth()],
)


class MeOut(Schema):
    email: str
    roles: list[str]
    language: str


@api.get("/me", response=MeOut, tags=["core"])
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the caller is, with their roles (useful to check a token)."""
    user: Any = request.user
    return {
        "email": user.email,
        "roles": sorted(access.roles_of(user)),
        "language": getattr(user, "language", "") or "ja",
    }


def _install_routers() -> None:
    """Attach each app's router; apps own their endpoints, this module only assembles."""
    from kizuna.engagement.api import router as engagement_router
    from kizuna.surveys.api import router as surveys_router

    api.add_router("/surveys", surveys_router)
    api.add_router("/results", engagement_router)
    from kizuna.practices.evaluation.api import router as evaluation_router
    from kizuna.practices.flexwork.api import router as flexwork_router
    from kizuna.practices.hrkpi.api import router as hrkpi_router
    from kizuna.practices.oneonones.api import router as oneonones_router
    from kizuna.practices.recognition.api import router as recognition_router

    api.add_router("/one-on-ones", oneonones_router)
    api.add_router("/reviews", evaluation_router)
    api.add_router("/recognition", recognition_router)
    api.add_router("/flex", flexwork_router)
    api.add_router("/hr-kpis", hrkpi_router)


_install_routers()

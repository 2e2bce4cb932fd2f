"""The Segment-compatible tracking endpoints: ``POST /v1/track``, ``/v1/batch`` and the
other call types.

Two doors, one set of rules (:func:`receive`: check the size, parse with orjson, find
the write key, validate):

* :func:`collect`, the Django view behind ``/v1/<kind>``. It is what the test client,
  ``runserver`` and any server pointed at ``kizuna.wsgi`` reach.
* :class:`TrackingFastPath`, the WSGI application ``kizuna serve`` runs: the site with a
  front door for the tracking API. A ``POST /v1/<kind>`` that is accepted is answered
  there, without Django's middleware chain; everything else, including every request
  that is refused, goes to the site unchanged and so to :func:`collect`. Sessions,
  login, CSRF, the language choice and the HTML security headers are for people in
  browsers, not for clients holding a write key, and together they cost about as much
  as validating the hundred events of a batch. What still applies to the API is kept:
  the ``Host`` check (``ALLOWED_HOSTS``) and the HTTPS redirect send a request to the
  site, which answers it as it answers any other.

Either way the 200 is sent only after the spool INSERT has committed, so an acknowledged
event survives a crash of the web process. No session, login or CSRF applies (clients
authenticate with the write key), and CORS is open because browser SDKs post from the
customer's own site, as they do to Segment.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kizuna.usage import ingest, sources, spool

logger = logging.getLogger(__name__)

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}
_OK = orjson.dumps({"success": True})
KINDS = ("batch", *ingest.EVENT_TYPES)


@csrf_exempt
def collect(request: HttpRequest, kind: str) -> HttpResponse:
    """Accept one Segment call (``kind`` = track, identify, group, page, screen, alias)
    or a batch of them (``kind`` = batch)."""
    if request.method == "OPTIONS":
        return _respond(HttpResponse(status=204))
    if request.method != "POST":
        error = ingest.IngestError("method_not_allowed", _("Send events with POST."), status=405)
        response = _error(error)
        response["Allow"] = "POST, OPTIONS"
        return response
    try:
        check_length(request.META.get("CONTENT_LENGTH", ""))
        source_id, accepted = receive(
            kind,
            request.body,
            request.headers.get("Content-Encoding", ""),
            request.headers.get("Authorization", ""),
        )
    except ingest.IngestError as error:
        return _error(error)
    if accepted.event_count:
        spool.append(source_id, accepted.payload, accepted.event_count, timezone.now())
    return _respond(HttpResponse(_OK, content_type="application/json"))


def check_length(content_length: str) -> None:
    """Refuse an oversized body before reading it, so it costs nothing to turn away."""
    length = content_length or "0"
    if not length.isdigit() or int(length) > ingest.MAX_REQUEST_BYTES:
        raise ingest.request_too_large()


def receive(
    kind: str, raw: bytes, content_encoding: str, authorization: str
) -> tuple[int, ingest.Accepted]:
    """Everything short of storing: limits, JSON, write key, event rules."""
    body = ingest.read_body(raw, content_encoding)
    header_key = ingest.basic_auth_key(authorization)
    if header_key is not None:
        source_id = _source(header_key)
        document = ingest.parse(body)
    else:
        document = ingest.parse(body)
        source_id = _source(ingest.body_key(document))
    return source_id, ingest.accept(document, kind)


def _source(key: str | None) -> int:
    source_id = sources.source_id_for_key(key or "")
    if source_id is None:
        if key:
            message = _("The write key is not valid, or its source is inactive.")
        else:
            message = _(
                "No write key: send it as the Basic auth user name or as “writeKey” in the body."
            )
        raise ingest.IngestError("invalid_write_key", message, status=401)
    return source_id


def _error(error: ingest.IngestError) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(error.as_dict()), status=error.status, content_type="application/json"
    )
    if error.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="kizuna events"'
    return _respond(response)


def _respond(response: HttpResponse) -> HttpResponse:
    for header, value in _CORS.items():
        response[header] = value
    return response


# --- the fast path --------------------------------------------------------------------

StartResponse = Callable[..., Any]
WSGIApplication = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_FAST_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(_OK))),
    ("X-Content-Type-Options", "nosniff"),
    *_CORS.items(),
]


class TrackingFastPath:
    """The site's WSGI application with accepted tracking calls answered in front of it
    (see the module docstring for what is skipped and why)."""

    def __init__(self, site: WSGIApplication) -> None:
        self.site = site
        self.paths = {reverse(f"usage:{kind}"): kind for kind in KINDS}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        kind = self.paths.get(environ.get("PATH_INFO", ""))
        if kind is None or environ.get("REQUEST_METHOD") != "POST":
            return self.site(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answered = self._answer(environ, kind)
        except Exception:
            logger.exception("Internal error on %s", environ.get("PATH_INFO"))
            signals.got_request_exception.send(sender=self.__class__, request=None)
            answered = _server_error()
        if answered is None:  # not for the fast path: the site answers, as for any request
            return self.site(environ, start_response)
        signals.request_finished.send(sender=self.__class__)
        status, headers, body = answered
        start_response(status, headers)
        return [body]

    def _answer(
        self, environ: dict[str, Any], kind: str
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        request = WSGIRequest(environ)
        try:
            request.get_host()  # ALLOWED_HOSTS, as Django checks it
        except DisallowedHost:
            return None
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None
        try:
            check_length(environ.get("CONTENT_LENGTH", ""))
        except ingest.IngestError:
            return None
        raw = request.body
        try:
            source_id, accepted = receive(
                kind,
                raw,
                environ.get("HTTP_CONTENT_ENCODING", ""),
                environ.get("HTTP_AUTHORIZATION", ""),
            )
        except ingest.IngestError:
            # Refused: let the view say why, in the client's language, from the same body.
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            return None
        if accepted.event_count:
            spool.append(source_id, accepted.payload, accepted.event_count, timezone.now())
        return "200 OK", _FAST_HEADERS, _OK


def _server_error() -> tuple[str, list[tuple[str, str]], bytes]:
    with translation.override(settings.LANGUAGE_CODE):
        message = _("The events could not be stored; send them again later.")
    body = orjson.dumps({"error": {"code": "server_error", "message": message}})
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
        *_CORS.items(),
    ]
    return "500 Internal Server Error", headers, body

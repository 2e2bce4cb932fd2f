"""The Segment-compatible tracking endpoints: ``POST /v1/track``, ``/v1/batch`` and the
other call types.

One plain function view for all of them: check the size, parse with orjson, find the
write key, validate, then one INSERT into the spool. The 200 is sent only after that
insert has committed, so an acknowledged event survives a crash of the web process.
No session, login or CSRF applies (clients authenticate with the write key), and CORS is
open because browser SDKs post from the customer's own site, as they do to Segment.
"""

from __future__ import annotations

import logging

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
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
        source_id, accepted = _accept(request, kind)
    except ingest.IngestError as error:
        return _error(error)
    if accepted.event_count:
        spool.append(source_id, accepted.payload, accepted.event_count, timezone.now())
    return _respond(HttpResponse(_OK, content_type="application/json"))


def _accept(request: HttpRequest, kind: str) -> tuple[int, ingest.Accepted]:
    """Everything short of storing: limits, JSON, write key, event rules."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > ingest.MAX_REQUEST_BYTES:
        # Refused before reading, so an oversized body costs nothing to turn away.
        raise ingest.request_too_large()
    body = ingest.read_body(request.body, request.headers.get("Content-Encoding", ""))
    header_key = ingest.basic_auth_key(request.headers.get("Authorization", ""))
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

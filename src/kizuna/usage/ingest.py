"""Parsing and validating Segment HTTP Tracking API requests (no HTTP, no database).

The rules follow Segment's documentation, so existing SDKs and integrations work
unchanged:

* a request body is at most 500 KB, a batch at most 2,500 events, one event at most
  32 KB (measured as the event is stored: compact JSON, after batch-level ``context``
  and ``integrations`` are merged into it);
* every event needs ``userId`` or ``anonymousId``; ``track`` needs ``event``,
  ``group`` needs ``groupId``, ``alias`` needs ``userId`` and ``previousId``;
* the write key comes from HTTP Basic auth (the key as user name, empty password) or
  from ``writeKey`` in the body.

A request is accepted whole or refused whole: the first problem found is reported with
a machine-readable code, a translated message, the event's index and a field path, and
nothing is stored. Accepted events are normalised just enough that the drain never
meets a surprise: ids become strings, timestamps in any ISO 8601 form other than the
SDKs' are rewritten in UTC, a missing ``messageId`` is generated (as Segment does), the
request's ``sentAt`` is copied onto its events, and the write key is dropped so it never
reaches the spool.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from django.utils.translation import gettext as _

KB = 1024
MAX_EVENT_BYTES = 32 * KB
MAX_REQUEST_BYTES = 500 * KB
MAX_BATCH_EVENTS = 2500

EVENT_TYPES = ("track", "identify", "group", "page", "screen", "alias")
"""Call types accepted inside a batch; each also has its own endpoint."""

_OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
_TIME_FIELDS = ("timestamp", "sentAt", "originalTimestamp")


class IngestError(Exception):
    """Why a request is refused. ``code`` is stable for programs; ``message`` is for
    people and translated; ``index`` is the event's position in ``batch``."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        index: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.index = index
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.index is not None:
            error["index"] = self.index
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


@dataclass(frozen=True)
class Accepted:
    """A valid request: its events as one JSON array (what the spool stores)."""

    payload: bytes
    event_count: int


def read_body(raw: bytes, content_encoding: str = "") -> bytes:
    """The request body, gunzipped when the client compressed it (Segment's SDKs can).

    The 500 KB limit applies to the uncompressed body, and decompression stops one byte
    past it, so a small compressed body cannot expand into a large allocation.
    """
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        body = raw
    elif encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(raw, MAX_REQUEST_BYTES + 1)
        except zlib.error as exc:
            raise IngestError(
                "invalid_gzip", _("The request body is not valid gzip data.")
            ) from exc
    else:
        raise IngestError(
            "unsupported_encoding",
            _("Content-Encoding %(encoding)s is not supported; send gzip or nothing.")
            % {"encoding": content_encoding},
            status=415,
        )
    if len(body) > MAX_REQUEST_BYTES:
        raise request_too_large()
    return body


def request_too_large() -> IngestError:
    return IngestError(
        "request_too_large",
        _("The request body is larger than %(limit)s KB.") % {"limit": MAX_REQUEST_BYTES // KB},
        status=400,
    )


def parse(body: bytes) -> dict[str, Any]:
    """Decode the JSON body; it must be one object."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise IngestError(
            "invalid_json",
            _("The request body is not valid JSON (%(detail)s).") % {"detail": exc.msg},
        ) from exc
    if not isinstance(document, dict):
        raise IngestError("invalid_json", _("The request body must be a JSON object."))
    return document


def basic_auth_key(header: str) -> str | None:
    """The write key from ``Authorization: Basic base64(key:)``, or None.

    Like Segment, a header encoded without the trailing colon is accepted too.
    """
    scheme, _sep, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic" or not credentials:
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def body_key(document: dict[str, Any]) -> str | None:
    key = document.get("writeKey")
    return key if isinstance(key, str) and key else None


def accept(document: dict[str, Any], kind: str) -> Accepted:
    """Validate a parsed request to ``/v1/<kind>`` and return what to spool.

    ``kind`` is ``batch`` or one of :data:`EVENT_TYPES`; for the single-event
    endpoints the body is the event and its type is the endpoint's.
    """
    if kind == "batch":
        return _accept_batch(document)
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown endpoint kind {kind!r}")
    event = dict(document)
    event.pop("writeKey", None)
    event["type"] = kind
    encoded = _normalise(event, None, {}, {}, None)
    return Accepted(b"[" + encoded + b"]", 1)


def _accept_batch(document: dict[str, Any]) -> Accepted:
    batch = document.get("batch")
    if not isinstance(batch, list):
        raise IngestError(
            "invalid_batch",
            _("The request needs a “batch” array of events."),
            field="batch",
        )
    if len(batch) > MAX_BATCH_EVENTS:
        raise IngestError(
            "too_many_events",
            _("A batch holds at most %(limit)s events; this one has %(count)s.")
            % {"limit": f"{MAX_BATCH_EVENTS:,}", "count": f"{len(batch):,}"},
            field="batch",
        )
    shared_context = _optional_object(document, "context", None)
    shared_integrations = _optional_object(document, "integrations", None)
    sent_at = _optional_time(document, "sentAt", None)
    parts = []
    for index, event in enumerate(batch):
        if type(event) is not dict:
            raise IngestError(
                "invalid_event",
                _("Event %(index)s is not a JSON object.") % {"index": index},
                index=index,
                field=_path(index, "")[:-1],
            )
        if event.get("type") not in EVENT_TYPES:
            raise IngestError(
                "invalid_type",
                _("Event %(index)s has no valid “type” (one of %(types)s).")
                % {"index": index, "types": ", ".join(EVENT_TYPES)},
                index=index,
                field=_path(index, "type"),
            )
        event.pop("writeKey", None)
        parts.append(_normalise(event, index, shared_context, shared_integrations, sent_at))
    return Accepted(b"[" + b",".join(parts) + b"]", len(parts))


def _normalise(
    event: dict[str, Any],
    index: int | None,
    shared_context: dict[str, Any],
    shared_integrations: dict[str, Any],
    sent_at: str | None,
) -> bytes:
    """Check one event, fix up its representation in place, and return it encoded.

    This runs for every event at tens of thousands per second, so the common case
    (strings where strings belong, objects where objects belong, timestamps in the form
    SDKs send) is checked inline and anything else goes to the slower helpers.
    """
    for name in _OBJECT_FIELDS:
        if name in event and type(event[name]) is not dict:
            _optional_object(event, name, index)
    if shared_context:
        event["context"] = {**shared_context, **event.get("context", {})}
    if shared_integrations:
        event["integrations"] = {**shared_integrations, **event.get("integrations", {})}
    for name in _TIME_FIELDS:
        if name in event:
            value = event[name]
            if not _sdk_time(value):
                _optional_time(event, name, index)
    if sent_at and "sentAt" not in event:
        event["sentAt"] = sent_at

    user_id = event.get("userId")
    if type(user_id) is not str or not user_id:
        user_id = _optional_id(event, "userId", index)
    anonymous_id = event.get("anonymousId")
    if anonymous_id is not None and (type(anonymous_id) is not str or not anonymous_id):
        anonymous_id = _optional_id(event, "anonymousId", index)
    if user_id is None and anonymous_id is None:
        raise IngestError(
            "no_user_anon_id",
            _event_message(index, _("The event needs a userId or an anonymousId.")),
            index=index,
            field=_path(index, "userId"),
        )
    kind = event["type"]
    if kind == "track":
        event_name = event.get("event")
        if type(event_name) is not str or not event_name.strip():
            raise _missing(index, "event")
    elif kind == "group":
        if _optional_id(event, "groupId", index) is None:
            raise _missing(index, "groupId")
    elif kind == "alias":
        if user_id is None:
            raise _missing(index, "userId")
        if _optional_id(event, "previousId", index) is None:
            raise _missing(index, "previousId")
    elif kind in ("page", "screen"):
        for name in ("name", "category"):
            value = event.get(name)
            if value is not None and type(value) is not str:
                raise _invalid(index, name, _("a string"))

    message_id = event.get("messageId")
    if (type(message_id) is not str or not message_id) and _optional_id(
        event, "messageId", index
    ) is None:
        event["messageId"] = f"api-{uuid.uuid4()}"
    encoded = orjson.dumps(event)
    if len(encoded) > MAX_EVENT_BYTES:
        raise IngestError(
            "event_too_large",
            _event_message(
                index,
                _("The event is %(size)s bytes; the limit is %(limit)s bytes (32 KB).")
                % {"size": f"{len(encoded):,}", "limit": f"{MAX_EVENT_BYTES:,}"},
            ),
            index=index,
            field=_path(index, "")[:-1] or None,
        )
    return encoded


def _path(index: int | None, name: str) -> str:
    """The field path in an error: ``batch[3].userId``, or ``userId`` for a single call."""
    return name if index is None else f"batch[{index}].{name}"


def _event_message(index: int | None, message: str) -> str:
    if index is None:
        return message
    return _("Event %(index)s: %(message)s") % {"index": index, "message": message}


def _missing(index: int | None, name: str) -> IngestError:
    return IngestError(
        "missing_field",
        _event_message(index, _("The field “%(field)s” is required.") % {"field": name}),
        index=index,
        field=_path(index, name),
    )


def _invalid(index: int | None, name: str, expected: str) -> IngestError:
    return IngestError(
        "invalid_field",
        _event_message(
            index,
            _("The field “%(field)s” must be %(expected)s.")
            % {"field": name, "expected": expected},
        ),
        index=index,
        field=_path(index, name),
    )


def _optional_id(event: dict[str, Any], name: str, index: int | None) -> str | None:
    """A non-empty identifier as a string (numbers are accepted and converted, as Segment
    does); missing, null and empty strings count as absent."""
    value = event.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(index, name, _("a string"))
    text = value if isinstance(value, str) else str(value)
    if not text:
        del event[name]
        return None
    event[name] = text
    return text


def _optional_object(event: dict[str, Any], name: str, index: int | None) -> dict[str, Any]:
    value = event.get(name)
    if value is None:
        event.pop(name, None)
        return {}
    if not isinstance(value, dict):
        raise _invalid(index, name, _("a JSON object"))
    return value


def _sdk_time(value: Any) -> bool:
    """True for a valid date-time with an offset in ISO 8601 extended form
    (``2026-11-26T10:00:00.123Z``, ``…+09:00``): what SDKs send, and what DuckDB reads
    exactly as Python does, so it is stored as sent. Anything else is rewritten by
    :func:`_optional_time` (checking this way is several times cheaper than rewriting)."""
    if (
        type(value) is not str
        or len(value) < 20
        or value[10] != "T"
        or value[13] != ":"
        or value[16] != ":"
        or "," in value
    ):
        return False
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _optional_time(event: dict[str, Any], name: str, index: int | None) -> str | None:
    """A valid ISO 8601 date or date-time, kept as sent when :func:`_sdk_time` accepts
    it and otherwise rewritten as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``. A time without
    an offset is taken as UTC (Segment's libraries always send one)."""
    value = event.get(name)
    if value is None:
        event.pop(name, None)
        return None
    if _sdk_time(value):
        return str(value)
    parsed = None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise _invalid(index, name, _("an ISO 8601 date and time"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    text = parsed.astimezone(dt.UTC).isoformat(timespec="microseconds")
    event[name] = text
    return text

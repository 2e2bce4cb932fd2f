"""Features (named sets of event names): the one door for creating, changing and
deleting them, used by the UI and anything else that edits features.

Validation happens here rather than in a form so every caller gets the same rules and
the same translated messages; a bad definition raises ``ValidationError`` with a message
per field (``name``, ``slug``, ``event_names``) and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kizuna.usage.models import Feature

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Lower case so that ``--feature reports`` and ``Reports`` cannot be two features."""
NAME_MAX = Feature._meta.get_field("name").max_length or 100
SLUG_MAX = Feature._meta.get_field("slug").max_length or 50
EVENT_NAME_MAX = 200


def create_feature(
    *,
    name: str,
    slug: str,
    event_names: str | Sequence[str],
    description: str = "",
    is_key: bool = False,
) -> Feature:
    """A new feature. ``event_names`` is a list, or text with one name per line."""
    feature = Feature()
    _apply(feature, name, slug, event_names, description, is_key)
    return feature


def update_feature(
    feature: Feature,
    *,
    name: str | None = None,
    slug: str | None = None,
    event_names: str | Sequence[str] | None = None,
    description: str | None = None,
    is_key: bool | None = None,
) -> Feature:
    """Change the given fields of ``feature`` (None = unchanged), all or nothing."""
    current = Feature.objects.get(pk=feature.pk)
    _apply(
        feature,
        current.name if name is None else name,
        current.slug if slug is None else slug,
        list(current.event_names) if event_names is None else event_names,
        current.description if description is None else description,
        current.is_key if is_key is None else is_key,
    )
    return feature


def delete_feature(feature: Feature) -> None:
    """Remove a feature. Past events are untouched: only the definition goes."""
    Feature.objects.filter(pk=feature.pk).delete()


def definitions(features: Iterable[Feature] | None = None) -> list[tuple[str, list[str]]]:
    """(slug, event names) of the given features (default: all), as the metrics take
    them (``kizuna.usage.metrics.FeatureSpec``)."""
    chosen = Feature.objects.order_by("slug") if features is None else features
    return [(feature.slug, list(feature.event_names)) for feature in chosen]


def _apply(
    feature: Feature,
    name: str,
    slug: str,
    event_names: str | Sequence[str],
    description: str,
    is_key: bool,
) -> None:
    name = (name or "").strip()
    slug = (slug or "").strip()
    names = _event_names(event_names)
    errors: dict[str, list[str]] = {}

    if not name:
        errors.setdefault("name", []).append(_("Enter a name for the feature."))
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(
            _("The name is too long: at most %(max)d characters.") % {"max": NAME_MAX}
        )
    elif Feature.objects.filter(name=name).exclude(pk=feature.pk).exists():
        errors.setdefault("name", []).append(
            _("A feature named “%(name)s” already exists.") % {"name": name}
        )

    if not slug:
        errors.setdefault("slug", []).append(_("Enter a short name."))
    elif len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
        errors.setdefault("slug", []).append(
            _(
                "“%(slug)s” is not a valid short name: use lowercase letters a–z, digits "
                "and single hyphens between them (at most %(max)d characters), for "
                "example report-export."
            )
            % {"slug": slug, "max": SLUG_MAX}
        )
    elif Feature.objects.filter(slug=slug).exclude(pk=feature.pk).exists():
        errors.setdefault("slug", []).append(
            _("The short name “%(slug)s” is already used by another feature.") % {"slug": slug}
        )

    if not names:
        errors.setdefault("event_names", []).append(
            _("Enter at least one event name (a track event or a page name).")
        )
    seen: set[str] = set()
    for event_name in names:
        if len(event_name) > EVENT_NAME_MAX:
            errors.setdefault("event_names", []).append(
                _("The event name “%(event)s…” is too long: at most %(max)d characters.")
                % {"event": event_name[:20], "max": EVENT_NAME_MAX}
            )
        elif event_name in seen:
            errors.setdefault("event_names", []).append(
                _("The event name “%(event)s” is listed twice.") % {"event": event_name}
            )
        seen.add(event_name)

    if errors:
        raise ValidationError(errors)
    feature.name = name
    feature.slug = slug
    feature.event_names = names
    feature.description = (description or "").strip()
    feature.is_key = bool(is_key)
    with transaction.atomic():
        feature.save()


def _event_names(value: str | Sequence[str]) -> list[str]:
    """Names as given, trimmed, blank lines dropped; duplicates are kept so that the
    validation can point at them."""
    items = value.splitlines() if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]

"""Sources (write keys) and the ingestion spool, both in the OLTP database.

Events themselves do not live here: they are spooled as whole requests (one row per
accepted request, so the answer to the client waits for a single insert) and moved in
large batches into the event store (DuckDB by default, see ``kizuna.usage.store``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    """Something that sends events (a web app, a backend, a mobile app) with its write key.

    Only a SHA-256 digest of the key is stored; the key is printed once when the source
    is created. ``key_prefix`` (the key's first characters) lets people tell keys apart
    in lists without revealing them.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_prefix = models.CharField(_("key prefix"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Requests with the key of an inactive source are refused."),
    )

    class Meta:
        verbose_name = _("event source")
        verbose_name_plural = _("event sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class SpoolBatch(models.Model):
    """One accepted request's events, validated and serialised as a JSON array.

    A row exists before the client is told 200, and is deleted once its events are in
    the event store. The id doubles as the drain order.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    event_count = models.PositiveIntegerField()
    payload = models.BinaryField()

    class Meta:
        verbose_name = _("spooled request")
        verbose_name_plural = _("spooled requests")

    def __str__(self) -> str:
        return f"#{self.pk} ({self.event_count})"


class Feature(models.Model):
    """A product feature as customer success thinks of it: a named set of event names.

    Adoption metrics and the health score count a user (or account) as using the
    feature when it sent any of ``event_names`` (Segment ``track`` event names, or
    ``page`` names). Features are defined in the UI because the event names are the
    customer's own vocabulary, not ours. ``slug`` is what ``kizuna metrics adoption
    --feature`` takes.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("short name"),
        max_length=50,
        unique=True,
        help_text=_("Letters, digits and hyphens; used on the command line and in exports."),
    )
    description = models.TextField(_("description"), blank=True)
    event_names = models.JSONField(
        _("event names"),
        default=list,
        help_text=_("Using any of these events counts as using the feature."),
    )
    is_key = models.BooleanField(
        _("key feature"),
        default=False,
        help_text=_("Key features weigh in the health score's adoption breadth."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("feature")
        verbose_name_plural = _("features")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

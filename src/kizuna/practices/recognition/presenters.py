"""Words and numbers for the recognition pages (shared by the pages and the API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse

from kizuna.org.models import Department, Employee
from kizuna.practices.recognition.models import Clap, CompanyValue, Thanks, ThanksRecipient


def feed_queryset(
    me: Employee | None,
    *,
    value: CompanyValue | None = None,
    department: Department | None = None,
    recipient: Employee | None = None,
) -> QuerySet[Thanks]:
    """Posts newest first, with what a card shows. ``department`` keeps posts whose sender
    or a recipient is in the department's subtree (now)."""
    posts = Thanks.objects.select_related("sender", "sender__department").prefetch_related(
        Prefetch(
            "recipient_rows",
            queryset=ThanksRecipient.objects.select_related(
                "employee", "employee__department"
            ).order_by("pk"),
        ),
        "values",
    )
    if value is not None:
        posts = posts.filter(values=value)
    if department is not None:
        inside = ThanksRecipient.objects.filter(
            thanks=OuterRef("pk"), employee__department__path__startswith=department.path
        )
        posts = posts.filter(
            Q(sender__department__path__startswith=department.path) | Exists(inside)
        )
    if recipient is not None:
        posts = posts.filter(recipient_rows__employee=recipient)
    posts = posts.annotate(clap_count=Count("claps", distinct=True))
    if me is not None:
        posts = posts.annotate(
            clapped=Exists(Clap.objects.filter(thanks=OuterRef("pk"), employee=me))
        )
    return posts.order_by("-created_at", "-pk")


def card(post: Thanks, me: Employee | None, language: str) -> dict[str, Any]:
    rows = list(post.recipient_rows.all())
    return {
        "post": post,
        "pk": post.pk,
        "url": reverse("recognition:thanks", args=[post.pk]),
        "sender": post.sender,
        "recipients": [r.employee for r in rows],
        "values": [v.display_name(language) for v in post.values.all()],
        "points": post.points,
        "total": post.points * len(rows),
        "claps": getattr(post, "clap_count", 0),
        "clapped": bool(getattr(post, "clapped", False)),
        "can_clap": me is not None and post.sender_id != me.pk,
        "created_at": post.created_at,
    }


def api_item(post: Thanks, me: Employee | None, language: str) -> dict[str, Any]:
    item = card(post, me, language)
    return {
        "id": post.pk,
        "sender": {"id": post.sender_id, "name": post.sender.full_name},
        "recipients": [{"id": e.pk, "name": e.full_name} for e in item["recipients"]],
        "values": item["values"],
        "message": post.message,
        "points": post.points,
        "claps": item["claps"],
        "clapped": item["clapped"],
        "posted_on": post.posted_on,
        "created_at": post.created_at,
    }


def value_counts(start: dt.date, end: dt.date, language: str) -> list[dict[str, Any]]:
    """For each value: posts tagged with it and people recognised for it, ``start`` …
    ``end`` inclusive, most used first."""
    window = Q(thanks__posted_on__gte=start, thanks__posted_on__lte=end)
    values = CompanyValue.objects.annotate(
        posts=Count("thanks", filter=window, distinct=True),
        people=Count("thanks__recipient_rows__employee", filter=window, distinct=True),
    )
    total = Thanks.objects.filter(posted_on__gte=start, posted_on__lte=end).count()
    rows: list[dict[str, Any]] = [
        {
            "value": v,
            "name": v.display_name(language),
            "description": v.display_description(language),
            "posts": v.posts,
            "people": v.people,
            "share": (100.0 * v.posts / total) if total else None,
            "active": v.active,
        }
        for v in values
    ]
    rows.sort(key=lambda r: (-r["posts"], r["value"].order, r["value"].pk))
    return rows

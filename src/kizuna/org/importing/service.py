"""Import jobs: the one door for imports from the UI, the CLI and tasks."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from kizuna.core import audit
from kizuna.org.importing import engine
from kizuna.org.importing.types import ImportRejected, ValidationResult
from kizuna.org.models import ImportJob, ImportStatus

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def validate(kind: str, content: bytes, filename: str, as_of: dt.date) -> ValidationResult:
    """Parse and check a file without changing anything (``--dry-run`` and the preview)."""
    return engine.validate(kind, content, filename, as_of)


def apply(
    kind: str,
    content: bytes,
    filename: str,
    as_of: dt.date,
    *,
    actor: Any = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Validate again and apply in one transaction; raises ``ImportRejected`` with every
    error and leaves the data untouched when any row is bad."""
    with transaction.atomic():
        counts = engine.apply(kind, content, filename, as_of, progress=progress)
        audit.record(
            actor,
            f"org.import.{kind}",
            target_type="import",
            filename=filename,
            as_of=as_of.isoformat(),
            counts=counts,
        )
    return counts


def create_job(kind: str, content: bytes, filename: str, as_of: dt.date, actor: Any) -> ImportJob:
    result = validate(kind, content, filename, as_of)
    return ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        content=content,
        status=ImportStatus.READY if result.ok else ImportStatus.INVALID,
        as_of=as_of,
        encoding=result.encoding,
        total_rows=result.total_rows,
        errors=[e.as_dict() for e in result.errors],
        summary={"counts": result.summary, "preview": result.preview},
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def queue_job(job: ImportJob) -> bool:
    """Move a validated job to the queue once (a double click queues it once)."""
    from kizuna.org import tasks

    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.QUEUED
    )
    if updated:
        tasks.run_import.enqueue(job.pk)
    return bool(updated)


def run_job(job_id: int, progress: Progress | None = None) -> ImportJob:
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.READY):
        return job
    job.status = ImportStatus.RUNNING
    job.save(update_fields=["status"])
    try:
        counts = apply(
            job.kind,
            bytes(job.content),
            job.filename,
            job.as_of,
            actor=job.created_by,
            progress=progress,
        )
    except ImportRejected as rejected:
        job.status = ImportStatus.INVALID
        job.errors = [e.as_dict() for e in rejected.errors]
    except Exception:
        log.exception("import %s failed", job_id)
        job.status = ImportStatus.FAILED
    else:
        job.status = ImportStatus.DONE
        job.summary = {**(job.summary or {}), "result": counts}
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "summary", "finished_at"])
    return job

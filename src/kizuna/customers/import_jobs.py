"""Customer import jobs for the UI: a file is checked on upload, previewed, then applied
by a background task whose progress the page polls — the employee import's flow.

The import itself is ``kizuna.customers.importing`` (all-or-nothing, audited). What this
module keeps is the *job*: the uploaded bytes and what the pages show about them. Jobs
live as small files under the data directory (``imports/customers/<id>/``), beside the
event store, because the employee import's ``org.ImportJob`` table only knows employee
kinds and its pages would list (and fail on) customer jobs. Writes are atomic
(``os.replace``) and a job is queued once even when the button is pressed twice
(``O_EXCL`` marker), so a page never reads half a job and an import never runs twice.
The ``id`` is a random 128-bit hex string; the views still check the capability.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

from kizuna.customers import importing
from kizuna.org.importing.types import ImportRejected, RowError
from kizuna.org.models import ImportStatus

log = logging.getLogger(__name__)

_ID = re.compile(r"^[0-9a-f]{32}$")
KEEP_DAYS = 30  # uploaded files are personal data (contacts): not kept longer than needed
CONTENT, STATE, QUEUED_MARKER = "content", "job.json", "queued"


@dataclass
class CustomerImportJob:
    id: str
    kind: str
    filename: str
    as_of: dt.date
    status: str
    created_at: dt.datetime
    created_by: int | None = None
    encoding: str = ""
    total_rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    preview: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, int] = field(default_factory=dict)
    finished_at: dt.datetime | None = None

    @property
    def in_progress(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    def get_status_display(self) -> str:
        return str(ImportStatus(self.status).label)

    def row_errors(self) -> list[RowError]:
        return [RowError.from_dict(item) for item in self.errors]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["created_at"] = self.created_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CustomerImportJob:
        data = dict(data)
        data["as_of"] = dt.date.fromisoformat(data["as_of"])
        data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
        finished = data.get("finished_at")
        data["finished_at"] = dt.datetime.fromisoformat(finished) if finished else None
        return cls(**data)


def root() -> Path:
    return Path(settings.DATA_DIR) / "imports" / "customers"


def _folder(job_id: str) -> Path:
    if not _ID.match(job_id):
        raise KeyError(job_id)
    return root() / job_id


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save(job: CustomerImportJob) -> None:
    _write_atomic(_folder(job.id) / STATE, json.dumps(job.as_json(), ensure_ascii=False).encode())


def get(job_id: str) -> CustomerImportJob | None:
    """The job, or None when there is no such job (or the id is malformed)."""
    try:
        path = _folder(job_id) / STATE
        return CustomerImportJob.from_json(json.loads(path.read_bytes()))
    except (KeyError, FileNotFoundError):
        return None


def content_of(job: CustomerImportJob) -> bytes:
    return (_folder(job.id) / CONTENT).read_bytes()


def recent(limit: int = 10) -> list[CustomerImportJob]:
    """The latest jobs, newest first."""
    folder = root()
    if not folder.exists():
        return []
    states = sorted(
        (entry for entry in folder.iterdir() if _ID.match(entry.name)),
        key=lambda entry: entry.stat().st_mtime,
        reverse=True,
    )
    jobs = [job for job in (get(entry.name) for entry in states[: limit * 2]) if job is not None]
    return sorted(jobs, key=lambda job: job.created_at, reverse=True)[:limit]


def prune(now: float | None = None) -> int:
    """Delete jobs (and their uploaded files) finished or abandoned more than
    ``KEEP_DAYS`` ago; return how many. Queued or running jobs are kept."""
    folder = root()
    if not folder.exists():
        return 0
    cutoff = (now if now is not None else time.time()) - KEEP_DAYS * 86_400
    removed = 0
    for entry in folder.iterdir():
        if not _ID.match(entry.name) or entry.stat().st_mtime >= cutoff:
            continue
        job = get(entry.name)
        if job is not None and job.in_progress:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    return removed


def create(
    kind: str, content: bytes, filename: str, as_of: dt.date, actor: Any
) -> CustomerImportJob:
    """Check the file (nothing is written to customer data) and keep it for the preview."""
    result = importing.validate(kind, content, filename, as_of)
    job = CustomerImportJob(
        id=secrets.token_hex(16),
        kind=kind,
        filename=filename[:255],
        as_of=as_of,
        status=ImportStatus.READY if result.ok else ImportStatus.INVALID,
        created_at=timezone.now(),
        created_by=actor.pk if getattr(actor, "is_authenticated", False) else None,
        encoding=result.encoding,
        total_rows=result.total_rows,
        errors=[error.as_dict() for error in result.errors],
        counts=dict(result.summary),
        preview=result.preview,
    )
    _write_atomic(_folder(job.id) / CONTENT, content)
    save(job)
    prune()
    return job


def progress_key(job_id: str) -> str:
    return f"customer-import-progress:{job_id}"


def progress(job: CustomerImportJob) -> dict[str, int]:
    done, total = cache.get(progress_key(job.id)) or (0, job.total_rows)
    return {"done": done, "total": total, "percent": int(100 * done / total) if total else 0}


def queue(job: CustomerImportJob) -> bool:
    """Queue a checked job once; a second press (or a rejected job) queues nothing."""
    if job.status != ImportStatus.READY:
        return False
    try:
        marker = os.open(_folder(job.id) / QUEUED_MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(marker)
    job.status = ImportStatus.QUEUED
    save(job)
    run_import.enqueue(job.id)
    return True


def run(job_id: str) -> CustomerImportJob | None:
    """Apply a queued job, all or nothing, publishing progress through the cache (the
    import's transaction hides its rows from other connections until it commits)."""
    job = get(job_id)
    if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.READY):
        return job
    job.status = ImportStatus.RUNNING
    save(job)

    def report(done: int, total: int) -> None:
        cache.set(progress_key(job_id), (done, total), timeout=3600)

    from kizuna.core.models import User

    actor = User.objects.filter(pk=job.created_by).first() if job.created_by else None
    try:
        job.result = importing.apply(
            job.kind, content_of(job), job.filename, job.as_of, actor=actor, progress=report
        )
    except ImportRejected as rejected:  # the data changed between the check and now
        job.status = ImportStatus.INVALID
        job.errors = [error.as_dict() for error in rejected.errors]
    except Exception:
        log.exception("customer import %s failed", job_id)
        job.status = ImportStatus.FAILED
    else:
        job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    save(job)
    return job


@task
def run_import(job_id: str) -> str:
    job = run(job_id)
    return str(job.status) if job else "missing"

"""Background work of the org app."""

from __future__ import annotations

from django.core.cache import cache
from django.tasks import task

from kizuna.org.importing import service


def progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


@task
def run_import(job_id: int) -> str:
    """Apply a queued import, publishing progress through the shared cache (the import's
    own transaction hides its rows from other connections until it commits)."""

    def progress(done: int, total: int) -> None:
        cache.set(progress_key(job_id), (done, total), timeout=3600)

    job = service.run_job(job_id, progress)
    return str(job.status)

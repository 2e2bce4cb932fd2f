"""Customer imports in the UI: upload, preview (nothing changes yet), import in the
background with a progress bar, result. The same flow and words as the employee import;
the file rules are ``kizuna.customers.importing``'s, the job is ``import_jobs``'."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kizuna.core import access
from kizuna.customers import import_jobs, importing
from kizuna.customers.forms import IMPORT_KINDS, CustomerImportForm
from kizuna.customers.import_jobs import CustomerImportJob
from kizuna.customers.importing import columns

MAX_ERRORS_SHOWN = 500


@access.require("customers.import")
def import_upload(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "accounts")
    form = CustomerImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"as_of": timezone.localdate(), "kind": kind},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_jobs.create(
            form.cleaned_data["kind"],
            upload.read(),
            upload.name,
            form.cleaned_data["as_of"],
            request.user,
        )
        return redirect("customers:import_detail", job_id=job.id)
    return render(
        request,
        "customers/import_upload.html",
        {"form": form, "recent": import_jobs.recent(), "kinds": IMPORT_KINDS},
    )


def _job(job_id: str) -> CustomerImportJob:
    job = import_jobs.get(job_id)
    if job is None:
        raise Http404
    return job


@access.require("customers.import")
def import_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _job(job_id)
    errors = [
        {"row": error.row, "column": error.column, "message": importing.message(error)}
        for error in job.row_errors()
    ]
    return render(
        request,
        "customers/import_detail.html",
        {
            "job": job,
            "kind_label": dict(IMPORT_KINDS).get(job.kind, job.kind),
            "errors": errors[:MAX_ERRORS_SHOWN],
            "error_count": len(errors),
            "preview_columns": columns.preview_columns(job.kind),
            "progress": import_jobs.progress(job),
        },
    )


@require_POST
@access.require("customers.import")
def import_apply(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _job(job_id)
    import_jobs.queue(job)
    return redirect("customers:import_detail", job_id=job.id)


@access.require("customers.import")
def import_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _job(job_id)
    response = render(
        request,
        "customers/import_detail.html#progress",
        {"job": job, "progress": import_jobs.progress(job)},
    )
    if not job.in_progress:
        response["HX-Refresh"] = "true"
    return response


@access.require("customers.import")
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in importing.KINDS:
        raise Http404
    body = columns.template_csv(kind, request.LANGUAGE_CODE)
    response = HttpResponse(
        ("\ufeff" + body).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="kizuna-{kind}-template.csv"'
    return response

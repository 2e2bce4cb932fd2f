"""1on1 pages. Who may see what comes from ``services`` (participants only, else 404);
every change goes through ``services``; cadence statistics come from ``stats``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kizuna.core import access, audit
from kizuna.org.models import Employee
from kizuna.practices.oneonones import forms, ics, importing, metrics, services, stats
from kizuna.practices.oneonones.models import (
    ActionItem,
    Meeting,
    MeetingStatus,
    Pair,
    SupportWanted,
)


def _me(request: HttpRequest) -> Employee:
    """The signed-in person's employee record; 404 for logins without one."""
    employee = access.own_employee(request.user)
    if employee is None:
        raise Http404
    return employee


def _pair_row(pair: Pair, last: dict[int, Any], upcoming: dict[int, Meeting]) -> dict[str, Any]:
    today = timezone.localdate()
    last_day = last.get(pair.pk)
    days = None if last_day is None else (today - last_day).days
    return {
        "pair": pair,
        "last": last_day,
        "days": days,
        "next": upcoming.get(pair.pk),
        "overdue": days is None or days > pair.interval,
    }


@access.require("practices.use")
def index(request: HttpRequest) -> HttpResponse:
    """My 1on1s: as a manager my members, as a member my manager."""
    employee = access.own_employee(request.user)
    context: dict[str, Any] = {
        "employee": employee,
        "can_view_cadence": access.can(request.user, "oneonones.view_cadence"),
    }
    if employee is not None:
        pairs = list(services.pairs_of(employee).filter(active=True))
        today = timezone.localdate()
        last = metrics.last_meetings(pairs, today)
        upcoming = services.next_meetings(pairs)
        rows = [_pair_row(p, last, upcoming) for p in pairs]
        context["as_manager"] = sorted(
            (r for r in rows if r["pair"].manager_id == employee.pk),
            key=lambda r: (-(r["days"] if r["days"] is not None else 10**6), r["pair"].member_id),
        )
        context["as_member"] = [r for r in rows if r["pair"].member_id == employee.pk]
        context["ended"] = list(services.pairs_of(employee).filter(active=False))
    return render(request, "oneonones/index.html", context)


@access.require("practices.use")
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = services.pair_for(request.user, pk)
    return _pair_page(request, pair, forms.ScheduleForm(initial=_schedule_initial(pair)))


def _schedule_initial(pair: Pair) -> dict[str, Any]:
    suggested = timezone.localtime(services.suggest_next(pair))
    return {
        "scheduled_at": suggested.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": pair.duration_minutes,
    }


def _pair_page(
    request: HttpRequest, pair: Pair, schedule_form: forms.ScheduleForm, status: int = 200
) -> HttpResponse:
    employee = _me(request)
    meetings = list(pair.meetings.order_by("-scheduled_at")[:50])
    now = timezone.now()
    today = timezone.localdate()
    return render(
        request,
        "oneonones/pair.html",
        {
            "pair": pair,
            "is_manager": employee.pk == pair.manager_id,
            "other": pair.member if employee.pk == pair.manager_id else pair.manager,
            "upcoming": [m for m in meetings if m.status == "scheduled" and m.scheduled_at >= now],
            "past": [
                m for m in meetings if not (m.status == "scheduled" and m.scheduled_at >= now)
            ],
            "days": metrics.days_since_last_meeting(pair, today),
            "schedule_form": schedule_form,
            "can_change_cadence": services.can_change_cadence(request.user, pair),
        },
        status=status,
    )


@require_POST
@access.require("practices.use")
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    pair = services.pair_for(request.user, pk)
    form = forms.ScheduleForm(request.POST)
    if form.is_valid():
        try:
            meeting = services.schedule_meeting(
                pair, form.cleaned_data["scheduled_at"], form.cleaned_data["duration_minutes"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The 1on1 was scheduled."))
            return redirect("oneonones:meeting", pk=meeting.pk)
    return _pair_page(request, pair, form, status=400)


@access.require("practices.use")
def pair_cadence(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a pair's cadence: its manager, HR and admins; 404 for everyone else."""
    pair = get_object_or_404(Pair.objects.select_related("manager", "member"), pk=pk)
    if not services.can_change_cadence(request.user, pair):
        raise Http404
    initial = {
        "cadence": pair.cadence,
        "interval_days": pair.interval_days,
        "weekday": pair.weekday,
        "time": pair.time,
        "duration_minutes": pair.duration_minutes,
    }
    form = forms.CadenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.set_cadence(
                pair,
                data["cadence"],
                interval_days=data["interval_days"],
                weekday=data["weekday"],
                time=data["time"],
                duration_minutes=data["duration_minutes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit.record(
                request.user,
                "oneonones.cadence_changed",
                pair,
                request=request,
                cadence=pair.cadence,
                interval_days=pair.interval,
            )
            messages.success(request, _("The cadence was saved."))
            if services.is_participant(access.own_employee(request.user), pair):
                return redirect("oneonones:pair", pk=pair.pk)
            return redirect("oneonones:cadence")
    return render(
        request,
        "oneonones/cadence_form.html",
        {"pair": pair, "form": form},
        status=400 if form.errors else 200,
    )


# --- the meeting page ---------------------------------------------------------------------


def _meeting(request: HttpRequest, pk: int) -> tuple[Meeting, Employee]:
    return services.meeting_for(request.user, pk), _me(request)


def _meeting_page(
    request: HttpRequest,
    meeting: Meeting,
    employee: Employee,
    status: int = 200,
    **bound: Any,
) -> HttpResponse:
    pair = meeting.pair
    is_member = employee.pk == pair.member_id
    here, carried = services.action_items_for(meeting)
    note = services.private_note_for(meeting, employee)
    can_rate = is_member and meeting.status == MeetingStatus.HELD
    siblings = pair.meetings.exclude(pk=meeting.pk)
    previous = siblings.filter(scheduled_at__lt=meeting.scheduled_at).order_by("-scheduled_at")
    following = siblings.filter(scheduled_at__gt=meeting.scheduled_at).order_by("scheduled_at")
    context = {
        "meeting": meeting,
        "pair": pair,
        "is_member": is_member,
        "other": pair.manager if is_member else pair.member,
        "agenda": list(meeting.agenda_items.select_related("author")),
        "shared_notes": list(meeting.shared_notes.select_related("author")),
        "actions_here": here,
        "actions_carried": carried,
        "private_note": note,
        "agenda_form": bound.get("agenda_form")
        or (
            forms.AgendaForm(initial={"support": SupportWanted.LISTEN}) if meeting.is_open else None
        ),
        "note_form": bound.get("note_form") or forms.SharedNoteForm(),
        "private_form": bound.get("private_form")
        or forms.PrivateNoteForm(initial={"text": note.text if note else ""}),
        "action_form": bound.get("action_form")
        or (
            forms.ActionForm(meeting=meeting) if meeting.status != MeetingStatus.CANCELLED else None
        ),
        "rating_form": bound.get("rating_form")
        or (forms.RatingForm(initial={"rating": meeting.rating}) if can_rate else None),
        "previous": previous.first(),
        "following": following.first(),
        "today": timezone.localdate(),
        "is_past": meeting.scheduled_at < timezone.now(),
    }
    return render(request, "oneonones/meeting.html", context, status=status)


@access.require("practices.use")
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, employee = _meeting(request, pk)
    return _meeting_page(request, meeting, employee)


def _back(meeting: Meeting, anchor: str) -> HttpResponse:
    return redirect(reverse("oneonones:meeting", args=[meeting.pk]) + f"#{anchor}")


def _submit(
    request: HttpRequest,
    meeting: Meeting,
    employee: Employee,
    form: Form,
    save: Callable[[dict[str, Any]], str],
    *,
    anchor: str,
    form_name: str,
) -> HttpResponse:
    """One POST to a meeting's section: a valid form goes to ``save`` (a service call that
    returns the success message) and back to the section; a refused one re-renders the
    meeting page with the form's errors in place (400)."""
    if form.is_valid():
        try:
            message = save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, message)
            return _back(meeting, anchor)
    return _meeting_page(request, meeting, employee, status=400, **{form_name: form})


@require_POST
@access.require("practices.use")
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, employee = _meeting(request, pk)

    def save(data: dict[str, Any]) -> str:
        services.add_agenda_item(meeting, employee, **data)
        return _("The topic was added to the agenda.")

    form = forms.AgendaForm(request.POST)
    return _submit(request, meeting, employee, form, save, anchor="agenda", form_name="agenda_form")


@require_POST
@access.require("practices.use")
def shared_note_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, employee = _meeting(request, pk)

    def save(data: dict[str, Any]) -> str:
        services.add_shared_note(meeting, employee, data["text"])
        return _("The shared note was saved.")

    form = forms.SharedNoteForm(request.POST)
    return _submit(
        request, meeting, employee, form, save, anchor="shared-notes", form_name="note_form"
    )


@require_POST
@access.require("practices.use")
def private_note_save(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, employee = _meeting(request, pk)

    def save(data: dict[str, Any]) -> str:
        if services.save_private_note(meeting, employee, data["text"]):
            return _("Your private note was saved.")
        return _("Your private note was deleted.")

    form = forms.PrivateNoteForm(request.POST)
    return _submit(
        request, meeting, employee, form, save, anchor="private-note", form_name="private_form"
    )


@require_POST
@access.require("practices.use")
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, employee = _meeting(request, pk)

    def save(data: dict[str, Any]) -> str:
        services.add_action_item(meeting, employee, data["owner"], data["text"])
        return _("The action was added.")

    form = forms.ActionForm(request.POST, meeting=meeting)
    return _submit(
        request, meeting, employee, form, save, anchor="actions", form_name="action_form"
    )


@require_POST
@access.require("practices.use")
def action_toggle(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting, employee = _meeting(request, pk)
    item = get_object_or_404(ActionItem, pk=item_pk, pair=meeting.pair)
    services.toggle_action(item, employee)
    return _back(meeting, "actions")


@require_POST
@access.require("practices.use")
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, employee = _meeting(request, pk)
    if employee.pk != meeting.pair.member_id:
        raise PermissionDenied

    def save(data: dict[str, Any]) -> str:
        services.rate(meeting, employee, data["rating"])
        return _("Thank you. Your rating was saved.")

    form = forms.RatingForm(request.POST)
    return _submit(request, meeting, employee, form, save, anchor="rating", form_name="rating_form")


@require_POST
@access.require("practices.use")
def meeting_status(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _employee = _meeting(request, pk)
    form = forms.StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose held or cancelled."))
        return _back(meeting, "status")
    try:
        if form.cleaned_data["status"] == MeetingStatus.HELD:
            services.mark_held(meeting)
            messages.success(request, _("The 1on1 was marked as held."))
        else:
            services.cancel(meeting)
            messages.success(request, _("The 1on1 was cancelled."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return _back(meeting, "status")


@access.require("practices.use")
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """An iCalendar invite (RFC 5545) with the time, the two participants and a link."""
    meeting, _employee = _meeting(request, pk)
    body = ics.meeting_invite(meeting, request.build_absolute_uri(meeting_url(meeting)))
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="1on1-{meeting.pk}.ics"'
    return response


def meeting_url(meeting: Meeting) -> str:
    return reverse("oneonones:meeting", args=[meeting.pk])


# --- cadence statistics -------------------------------------------------------------------


@access.require("oneonones.view_cadence")
def cadence(request: HttpRequest) -> HttpResponse:
    """Coverage per department and days since the last meeting per pair — never agenda,
    notes or individual ratings. HR and admins: everyone; managers: their subtree."""
    today = timezone.localdate()
    report = stats.cadence_report(request.user, today, request.LANGUAGE_CODE)
    audit.record(request.user, "oneonones.cadence_viewed", request=request, scope=report.scope)
    department = request.GET.get("department", "")
    state = request.GET.get("state", "")
    shown = report.pairs
    if department.isdigit():
        shown = [r for r in shown if r.status.pair.member.department_id == int(department)]
    if state in ("behind", "on_track"):
        shown = [r for r in shown if r.status.met == (state == "on_track")]
    return render(
        request,
        "oneonones/cadence.html",
        {
            "report": report,
            "pairs": shown,
            "department": department,
            "state": state,
            "today": today,
            "help": metrics.COVERAGE_HELP,
            "can_sync": access.has_role(request.user, access.ADMIN, access.HR),
        },
    )


@require_POST
@access.require("oneonones.view_cadence")
def sync(request: HttpRequest) -> HttpResponse:
    if not access.has_role(request.user, access.ADMIN, access.HR):
        raise PermissionDenied
    result = services.sync_pairs(timezone.localdate())
    audit.record(
        request.user,
        "oneonones.pairs_synced",
        request=request,
        created=result.created,
        reactivated=result.reactivated,
        deactivated=result.deactivated,
    )
    messages.success(
        request,
        _(
            "Pairs updated from the org chart: %(created)s new, %(reactivated)s restarted, "
            "%(deactivated)s ended."
        )
        % {
            "created": result.created,
            "reactivated": result.reactivated,
            "deactivated": result.deactivated,
        },
    )
    return redirect("oneonones:cadence")


def _require_hr(request: HttpRequest) -> None:
    if not access.has_role(request.user, access.ADMIN, access.HR):
        raise PermissionDenied


@access.require("oneonones.view_cadence")
def import_meetings(request: HttpRequest) -> HttpResponse:
    """Upload past 1on1s (上長社員番号, 社員番号, 実施日): HR and admins; all or nothing."""
    _require_hr(request)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = importing.import_meetings(upload.read(), upload.name, timezone.localdate())
        audit.record(
            request.user,
            "oneonones.meetings_imported" if result.ok else "oneonones.import_rejected",
            request=request,
            filename=upload.name,
            rows=result.total_rows,
            created=result.meetings_created,
            errors=len(result.errors),
        )
        if result.ok:
            messages.success(
                request,
                _("Imported %(created)s 1on1s (%(skipped)s already recorded, %(pairs)s new pairs).")
                % {
                    "created": result.meetings_created,
                    "skipped": result.skipped,
                    "pairs": result.pairs_created,
                },
            )
            return redirect("oneonones:cadence")
    status = 400 if form.errors or (result is not None and not result.ok) else 200
    return render(request, "oneonones/import.html", {"form": form, "result": result}, status=status)


@access.require("oneonones.view_cadence")
def import_template(request: HttpRequest) -> HttpResponse:
    _require_hr(request)
    response = HttpResponse(
        ("\ufeff" + importing.template_csv()).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="1on1-import-template.csv"'
    return response

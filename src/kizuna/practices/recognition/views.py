"""Recognition pages. Thin: rules in ``services``, numbers in ``presenters``/``metrics``.

Everyone signed in reads the company feed, people's received thanks and the value
leaderboard (recognition is public inside the company). Posting, clapping, nominating
and voting need an employee record; users without one get a page that says so.
Values, settings, award rounds and the points export need ``recognition.manage``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kizuna.core import access, charts
from kizuna.org.models import Employee
from kizuna.practices.recognition import forms, metrics, presenters, services
from kizuna.practices.recognition.models import (
    AwardRound,
    AwardStatus,
    CompanyValue,
    RecognitionSettings,
    Thanks,
    ThanksRecipient,
)

PAGE_SIZE = 20
PERIODS = (30, 90, 365)


def _me(request: HttpRequest) -> Employee | None:
    return access.own_employee(request.user)


def _no_employee(request: HttpRequest) -> HttpResponse:
    return render(request, "recognition/no_employee.html", status=403)


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(
                None if field == "__all__" or field not in form.fields else field, problems
            )
    else:
        form.add_error(None, error.messages)


def _feed_context(request: HttpRequest, form: forms.ThanksForm | None) -> dict[str, Any]:
    me = _me(request)
    language = request.LANGUAGE_CODE
    filters = forms.FeedFilterForm(request.GET or None)
    value = department = None
    if filters.is_valid():
        value = filters.cleaned_data["value"]
        department = filters.cleaned_data["department"]
    posts = presenters.feed_queryset(me, value=value, department=department)
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    budget = services.budget_for(me) if me is not None else None
    if me is not None and form is None:
        form = forms.ThanksForm(sender=me, language=language)
    return {
        "me": me,
        "form": form,
        "filters": filters,
        "filtered": bool(value or department),
        "page": page,
        "cards": [presenters.card(p, me, language) for p in page.object_list],
        "budget": budget,
        "has_values": CompanyValue.objects.filter(active=True).exists(),
        "can_manage": access.can(request.user, "recognition.manage"),
    }


@access.require("practices.use")
def feed(request: HttpRequest) -> HttpResponse:
    return render(request, "recognition/feed.html", _feed_context(request, None))


@require_POST
@access.require("practices.use")
def post(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    if me is None:
        return _no_employee(request)
    form = forms.ThanksForm(request.POST, sender=me, language=request.LANGUAGE_CODE)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.post_thanks(
                me, data["recipients"], data["values"], data["message"], data["points"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your thanks was posted."))
            return redirect("recognition:feed")
    return render(request, "recognition/feed.html", _feed_context(request, form), status=422)


@access.require("practices.use")
def thanks(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    found = presenters.feed_queryset(me).filter(pk=pk).first()
    if found is None:
        raise Http404
    return render(
        request,
        "recognition/thanks.html",
        {"card": presenters.card(found, me, request.LANGUAGE_CODE), "me": me},
    )


@require_POST
@access.require("practices.use")
def clap(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    if me is None:
        return _no_employee(request)
    post = get_object_or_404(Thanks, pk=pk)
    try:
        now = services.toggle_clap(post, me)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if request.headers.get("HX-Request"):
            found = presenters.feed_queryset(me).get(pk=pk)
            return render(
                request,
                "recognition/_clap.html",
                {"card": presenters.card(found, me, request.LANGUAGE_CODE)},
            )
        messages.success(request, _("You clapped.") if now else _("Your clap was taken back."))
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect("recognition:thanks", pk=pk)


@access.require("practices.use")
def person(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_object_or_404(Employee.objects.select_related("department"), pk=pk)
    me = _me(request)
    language = request.LANGUAGE_CODE
    posts = presenters.feed_queryset(me, recipient=employee)
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    by_value = (
        CompanyValue.objects.filter(thanks__recipient_rows__employee=employee)
        .annotate(n=Count("thanks", distinct=True))
        .order_by("-n", "order")
    )
    see_points = (me is not None and me.pk == employee.pk) or access.can(
        request.user, "recognition.manage"
    )
    return render(
        request,
        "recognition/person.html",
        {
            "employee": employee,
            "page": page,
            "cards": [presenters.card(p, me, language) for p in page.object_list],
            "received": posts.count(),
            "sent": Thanks.objects.filter(sender=employee).count(),
            "by_value": [(v.display_name(language), v.n) for v in by_value],
            "see_points": see_points,
            "points": ThanksRecipient.objects.filter(employee=employee).aggregate(
                total=Sum("points")
            )["total"]
            or 0
            if see_points
            else None,
            "me": me,
        },
    )


@access.require("practices.use")
def leaderboard(request: HttpRequest) -> HttpResponse:
    language = request.LANGUAGE_CODE
    try:
        days = int(request.GET.get("days", "90"))
    except ValueError:
        days = 90
    if days not in PERIODS:
        days = 90
    end = services.tokyo_date()
    start = end - dt.timedelta(days=days - 1)
    rows = presenters.value_counts(start, end, language)
    spec = charts.bar_chart(
        [r["name"] for r in rows],
        [{"label": _("Thanks"), "data": [r["posts"] for r in rows], "backgroundColor": "#0072B2"}],
        horizontal=True,
        y_title=_("Thanks"),
    )
    context: dict[str, Any] = {
        "rows": rows,
        "days": days,
        "periods": PERIODS,
        "start": start,
        "end": end,
        "total": Thanks.objects.filter(posted_on__gte=start, posted_on__lte=end).count(),
        "spec": spec,
        "table_headers": [_("Company value"), _("Thanks"), _("People recognised")],
        "table_rows": [(r["name"], r["posts"], r["people"]) for r in rows],
        "can_manage": access.can(request.user, "recognition.manage"),
    }
    if context["can_manage"]:
        context["reach"] = metrics.reach(end)
        context["concentration"] = [
            {
                "name": share.department.display_name(language),
                "received": share.received,
                "headcount": share.headcount,
                "ratio": share.ratio,
            }
            for share in metrics.concentration(start, end)
        ]
    return render(request, "recognition/leaderboard.html", context)


# --- management ----------------------------------------------------------------------


@access.require("recognition.manage")
def values(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "recognition/values.html",
        {
            "values": CompanyValue.objects.annotate(n=Count("thanks")),
            "language": request.LANGUAGE_CODE,
        },
    )


@access.require("recognition.manage")
def value_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    value = get_object_or_404(CompanyValue, pk=pk) if pk else CompanyValue()
    form = forms.ValueForm(request.POST or None, instance=value)
    if request.method == "POST" and form.is_valid():
        services.save_value(form.save(commit=False), request.user)
        messages.success(request, _("The value was saved."))
        return redirect("recognition:values")
    return render(request, "recognition/value_form.html", {"form": form, "value": value})


@access.require("recognition.manage")
def settings_edit(request: HttpRequest) -> HttpResponse:
    row = RecognitionSettings.current()
    form = forms.SettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        services.save_settings(form.save(commit=False), request.user)
        messages.success(request, _("The settings were saved."))
        return redirect("recognition:settings")
    return render(request, "recognition/settings.html", {"form": form})


@access.require("recognition.manage")
def export(request: HttpRequest) -> HttpResponse:
    today = services.tokyo_date()
    last = today.replace(day=1) - dt.timedelta(days=1)
    form = forms.ExportForm(
        request.GET if "first_month" in request.GET else None,
        initial={"first_month": last.replace(day=1), "last_month": last, "format": "csv"},
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        content, kind, name = services.export_points(
            request.user,
            data["first_month"],
            data["last_month"],
            data["format"],
            request=request,
        )
        response = HttpResponse(content, content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "recognition/export.html", {"form": form})


# --- awards --------------------------------------------------------------------------


@access.require("practices.use")
def awards(request: HttpRequest) -> HttpResponse:
    rounds = AwardRound.objects.annotate(n_nominees=Count("nominations__nominee", distinct=True))
    return render(
        request,
        "recognition/awards.html",
        {"rounds": rounds, "can_manage": access.can(request.user, "recognition.manage")},
    )


@access.require("recognition.manage")
def award_create(request: HttpRequest) -> HttpResponse:
    today = services.tokyo_date()
    form = forms.AwardRoundForm(
        request.POST or None,
        initial={"period_start": today.replace(day=1), "period": "monthly"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        award = services.create_round(
            data["title"],
            data["period"],
            data["period_start"],
            description=data["description"],
            by=request.user,
        )
        messages.success(request, _("The award round was created. Nominations are open."))
        return redirect("recognition:award", pk=award.pk)
    return render(request, "recognition/award_form.html", {"form": form})


def _award_context(
    request: HttpRequest,
    award: AwardRound,
    nomination_form: forms.NominationForm | None = None,
    vote_form: forms.VoteForm | None = None,
) -> dict[str, Any]:
    me = _me(request)
    nominations = award.nominations.select_related("nominee", "nominee__department").order_by(
        "nominee__employee_number", "pk"
    )
    grouped: dict[int, dict[str, Any]] = {}
    for n in nominations:
        entry = grouped.setdefault(n.nominee_id, {"employee": n.nominee, "reasons": []})
        entry["reasons"].append(n.reason)
    voted = me is not None and services.has_voted(award, me)
    if award.status == AwardStatus.NOMINATION and me is not None and nomination_form is None:
        nomination_form = forms.NominationForm(nominator=me)
    if award.status == AwardStatus.VOTING and me is not None and not voted and vote_form is None:
        vote_form = forms.VoteForm(award=award, voter=me)
    return {
        "award": award,
        "me": me,
        "nominees": list(grouped.values()),
        "nomination_form": nomination_form if award.status == AwardStatus.NOMINATION else None,
        "vote_form": vote_form if award.status == AwardStatus.VOTING and not voted else None,
        "voted": voted,
        "voters": award.receipts.count(),
        "results": services.results(award) if award.status == AwardStatus.CLOSED else None,
        "can_manage": access.can(request.user, "recognition.manage"),
        "my_nominations": award.nominations.filter(nominated_by=me).select_related("nominee")
        if me is not None
        else [],
    }


@access.require("practices.use")
def award(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(AwardRound, pk=pk)
    return render(request, "recognition/award.html", _award_context(request, found))


@require_POST
@access.require("practices.use")
def nominate(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(AwardRound, pk=pk)
    me = _me(request)
    if me is None:
        return _no_employee(request)
    form = forms.NominationForm(request.POST, nominator=me)
    if form.is_valid():
        try:
            services.nominate(found, me, form.cleaned_data["nominee"], form.cleaned_data["reason"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your nomination was saved."))
            return redirect("recognition:award", pk=found.pk)
    return render(
        request,
        "recognition/award.html",
        _award_context(request, found, nomination_form=form),
        status=422,
    )


@require_POST
@access.require("practices.use")
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(AwardRound, pk=pk)
    me = _me(request)
    if me is None:
        return _no_employee(request)
    form = forms.VoteForm(request.POST, award=found, voter=me)
    if form.is_valid():
        try:
            services.vote(found, me, form.cleaned_data["nominee"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your vote was cast. Thank you."))
            return redirect("recognition:award", pk=found.pk)
    if services.has_voted(found, me):
        messages.error(request, _("You have already voted in this round."))
        return redirect("recognition:award", pk=found.pk)
    return render(
        request,
        "recognition/award.html",
        _award_context(request, found, vote_form=form),
        status=422,
    )


@require_POST
@access.require("recognition.manage")
def award_advance(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(AwardRound, pk=pk)
    try:
        found = services.advance(found, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if found.status == AwardStatus.VOTING:
            messages.success(request, _("Voting is open."))
        else:
            messages.success(request, _("The round is closed and the results are published."))
    return redirect("recognition:award", pk=found.pk)

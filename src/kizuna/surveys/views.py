"""HR survey pages and the public answer page. Thin: rules live in ``services``,
visibility of counts in ``visibility`` (the anonymity guard)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kizuna.core import access, charts
from kizuna.org.models import Department, Employee, EmploymentType, Gender
from kizuna.surveys import answers as answer_rules
from kizuna.surveys import catalog, services, tasks, visibility
from kizuna.surveys.forms import SurveyForm, answers_from_post
from kizuna.surveys.models import (
    Invitation,
    Question,
    QuestionKind,
    Questionnaire,
    Survey,
    SurveyKind,
    SurveyStatus,
)

AGREEMENT_LABELS = (
    (1, gettext_lazy("Strongly disagree")),
    (2, gettext_lazy("Disagree")),
    (3, gettext_lazy("Neither agree nor disagree")),
    (4, gettext_lazy("Agree")),
    (5, gettext_lazy("Strongly agree")),
)
BY_CHOICES = (
    ("department", gettext_lazy("Department")),
    ("location", gettext_lazy("Location")),
    ("job_level", gettext_lazy("Job level")),
    ("employment_type", gettext_lazy("Employment type")),
    ("tenure_band", gettext_lazy("Tenure")),
    ("age_band", gettext_lazy("Age band")),
)


# --- HR pages -----------------------------------------------------------------------------


@access.require("surveys.manage")
def survey_list(request: HttpRequest) -> HttpResponse:
    surveys = list(services.with_counts(Survey.objects.select_related("questionnaire")))
    rows = [
        {"survey": s, **visibility.guard_total(s, s.invited, s.responded)}  # type: ignore[attr-defined]
        for s in surveys
    ]
    return render(request, "surveys/list.html", {"rows": rows})


@access.require("surveys.manage")
def survey_create(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    template = request.GET.get("template", catalog.PULSE)
    form = SurveyForm(
        request.POST or None,
        initial={
            "questionnaire": template,
            "opens_on": today,
            "closes_on": today + dt.timedelta(days=14),
        },
    )
    if request.method == "POST" and form.is_valid():
        audience = form.audience()
        if audience:
            code = form.cleaned_data["questionnaire"]
            opens_on, closes_on = form.dates()
            try:
                survey = services.create_survey(
                    form.cleaned_data["name"],
                    catalog.SURVEY_KIND_FOR_QUESTIONNAIRE.get(code, SurveyKind.ADHOC),
                    code,
                    audience=audience,
                    opens_on=opens_on,
                    closes_on=closes_on,
                    k=form.cleaned_data["min_group_size"],
                    comment_k=form.cleaned_data["comment_min_group_size"],
                    series=form.cleaned_data["series"] or "",
                    created_by=request.user,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The survey was created. Check it, then launch it."))
                return redirect("surveys:detail", pk=survey.pk)
    language = translation.get_language() or "ja"
    templates = [
        {"code": q.code, "name": q.name(language), "description": _describe(q, language)}
        for q in Questionnaire.objects.annotate(n=Count("questions")).order_by("-is_builtin", "pk")
    ]
    return render(request, "surveys/create.html", {"form": form, "templates": templates})


def _describe(questionnaire: Questionnaire, language: str) -> str:
    return questionnaire.description_en if language == "en" else questionnaire.description_ja


def _group_labels(by: str, values: list[str], language: str) -> dict[str, str]:
    not_set = _("Not set")
    labels: dict[str, str] = {"": not_set}
    ids = [int(v) for v in values if v.isdigit()]
    if by == "department":
        for dept in Department.objects.filter(pk__in=ids):
            labels[str(dept.pk)] = dept.display_name(language)
    elif by == "manager":
        for person in Employee.objects.filter(pk__in=ids):
            labels[str(person.pk)] = person.full_name
    elif by == "employment_type":
        labels.update({value: str(label) for value, label in EmploymentType.choices})
    elif by == "gender":
        labels.update({value: str(label) for value, label in Gender.choices})
    return labels


@access.require("surveys.manage")
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("questionnaire", "created_by"), pk=pk)
    language = translation.get_language() or "ja"
    counts = Invitation.objects.filter(survey=survey).aggregate(
        invited=Count("pk"),
        responded=Count("pk", filter=Q(completed=True)),
        sent=Count("pk", filter=Q(invited_on__isnull=False)),
    )
    total = visibility.guard_total(survey, counts["invited"], counts["responded"])
    by = request.GET.get("by", "department")
    if by not in dict(BY_CHOICES):
        by = "department"
    groups: list[dict[str, Any]] = []
    chart: dict[str, Any] | None = None
    if survey.status != SurveyStatus.DRAFT:
        raw = services.response_rates(survey, by)
        labels = _group_labels(by, [r["value"] for r in raw], language)
        groups = [
            {**row, "label": labels.get(row["value"], row["value"])}
            for row in visibility.guard_groups(survey, raw, services.RATE_ATTRIBUTES[by])
        ]
        chart = charts.bar_chart(
            [g["label"] if g["visible"] else f"{g['label']} —" for g in groups],
            [
                {
                    "label": _("Response rate (%)"),
                    "data": [
                        round(g["percent"], 1) if g["percent"] is not None else None for g in groups
                    ],
                }
            ],
            horizontal=True,
            y_title=_("Response rate (%)"),
        )
        chart["options"]["scales"]["x"]["max"] = 100
    table_rows = [
        (
            g["label"],
            f"{g['invited']:,}",
            f"{g['responded']:,}" if g["visible"] else "—",
            f"{g['percent']:.1f}%" if g["percent"] is not None else f"— {g['reason']}",
        )
        for g in groups
    ]
    questions = services.survey_questions(survey)
    return render(
        request,
        "surveys/detail.html",
        {
            "survey": survey,
            "template_name": survey.questionnaire.name(language),
            "counts": counts,
            "total": total,
            "groups": groups,
            "hidden_count": sum(1 for g in groups if not g["visible"]),
            "chart": chart,
            "table_rows": table_rows,
            "table_headers": [
                dict(BY_CHOICES)[by],
                _("Invited"),
                _("Responded"),
                _("Response rate"),
            ],
            "by": by,
            "by_choices": BY_CHOICES,
            "by_label": dict(BY_CHOICES)[by],
            "item_count": len(questions),
            "minutes": answer_rules.expected_minutes(q.kind for q in questions),
            "audience": _audience_text(survey.audience),
        },
    )


def _audience_text(audience: dict[str, Any]) -> str:
    if not audience or audience.get("all"):
        return _("Whole company")
    if "lifecycle" in audience:
        return str(SurveyKind(audience["lifecycle"]).label)
    parts = []
    for key, values in audience.items():
        shown = ", ".join(str(v) for v in (values if isinstance(values, list) else [values]))
        parts.append(f"{key}={shown}")
    return " / ".join(parts)


def _survey_or_404(pk: int) -> Survey:
    return get_object_or_404(Survey, pk=pk)


@require_POST
@access.require("surveys.manage")
def survey_launch(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_or_404(pk)
    try:
        result = services.launch(survey, by_user=request.user, send=False)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("surveys:detail", pk=pk)
    # Sending thousands of messages belongs to the worker; the page shows progress.
    tasks.send_invitations.enqueue(survey.pk)
    messages.success(
        request,
        _("The survey is open. Invitations to %(count)s people are being sent.")
        % {"count": f"{result.invited:,}"},
    )
    return redirect("surveys:detail", pk=pk)


@require_POST
@access.require("surveys.manage")
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_or_404(pk)
    if survey.status == SurveyStatus.OPEN:
        services.close_survey(survey, by_user=request.user)
        messages.success(request, _("The survey is closed. No more answers are accepted."))
    return redirect("surveys:detail", pk=pk)


@require_POST
@access.require("surveys.manage")
def survey_remind(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_or_404(pk)
    try:
        report = services.send_reminders(survey, by_user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Reminders were sent to %(count)s people who have not answered yet.")
            % {"count": f"{len(report.delivered):,}"},
        )
    return redirect("surveys:detail", pk=pk)


# --- the answer page (public: the token in the link is the credential) --------------------


def _language(request: HttpRequest, invitation: Invitation) -> str:
    """``?lang=`` (the page's switch) > the language cookie (the header switch) > the
    invitation's language (the person's account language at launch)."""
    supported = {code for code, _name in settings.LANGUAGES}
    for candidate in (
        request.GET.get("lang", ""),
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
    ):
        if candidate in supported:
            return candidate
    return invitation.language if invitation.language in supported else settings.LANGUAGE_CODE


def _unavailable(request: HttpRequest, reason: str) -> HttpResponse:
    status = 410 if reason == "closed" else 404
    response = render(request, "surveys/answer_unavailable.html", {"reason": reason}, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _items(
    questions: list[Question],
    values: dict[str, Any],
    errors: dict[str, Any],
    language: str,
) -> list[dict[str, Any]]:
    items = []
    for number, question in enumerate(questions, start=1):
        value = values.get(question.code)
        if question.kind == QuestionKind.MULTIPLE:
            chosen = {str(v) for v in (value or [])}
        else:
            chosen = {"" if value is None else str(value)}
        options: list[tuple[str, Any]]
        if question.kind == QuestionKind.AGREEMENT:
            options = [(str(v), label) for v, label in AGREEMENT_LABELS]
        elif question.kind == QuestionKind.SCALE:
            options = [(str(v), str(v)) for v in range(11)]
        else:
            options = [
                (str(i), option.get(language) or option.get("ja") or option.get("value", ""))
                for i, option in enumerate(question.options or [])
            ]
        items.append(
            {
                "number": number,
                "code": question.code,
                "name": f"q-{question.code}",
                "kind": question.kind,
                "text": question.text(language),
                "options": [(v, label, v in chosen) for v, label in options],
                "value": "" if value is None else value,
                "error": errors.get(question.code),
            }
        )
    return items


def _answered(values: dict[str, Any]) -> int:
    return sum(1 for value in values.values() if not answer_rules.is_blank(value))


def _render_answer(
    request: HttpRequest,
    invitation: Invitation,
    token: str,
    language: str,
    values: dict[str, Any],
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    survey = invitation.survey
    questions = services.survey_questions(survey)
    context = {
        "survey": survey,
        "token": token,
        "language": language,
        "items": _items(questions, values, errors or {}, language),
        "answered": _answered(values),
        "total": len(questions),
        "minutes": answer_rules.expected_minutes(q.kind for q in questions),
        "errors": errors or {},
        "max_text": answer_rules.MAX_TEXT_LENGTH,
        "switch": [
            (code, "日本語" if code == "ja" else "English")
            for code, _name in settings.LANGUAGES
            if code != language
        ],
    }
    return render(request, "surveys/answer.html", context, status=status)


def _finish(request: HttpRequest, response: HttpResponse, language: str) -> HttpResponse:
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    if request.GET.get("lang") == language:
        # the page's own switch: remember it like the header switch does
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.HTTPS,
            httponly=True,
        )
    return response


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationUnavailable as error:
        return _unavailable(request, error.reason)
    language = _language(request, invitation)
    if not invitation.completed and language != invitation.language:
        Invitation.objects.filter(pk=invitation.pk, completed=False).update(language=language)
        invitation.language = language
    with translation.override(language):
        if invitation.completed:
            return _finish(
                request,
                render(request, "surveys/answer_thanks.html", {"survey": invitation.survey}),
                language,
            )
        if request.method != "POST":
            return _finish(
                request,
                _render_answer(request, invitation, token, language, invitation.draft or {}),
                language,
            )
        questions = services.survey_questions(invitation.survey)
        submitted = answers_from_post(questions, request.POST)
        # without an explicit "submit" the answers are only saved: never submit by accident
        action = "submit" if request.POST.get("action") == "submit" else "save"
        try:
            if action == "save":
                services.save_draft(invitation, submitted)
            else:
                services.submit(invitation, submitted)
        except services.AnswerErrors as error:
            response = _render_answer(
                request, invitation, token, language, submitted, error.errors, status=400
            )
            return _finish(request, response, language)
        except services.InvitationUnavailable as error:
            return _unavailable(request, error.reason)
        if action == "save":
            messages.success(
                request,
                _("Your answers are saved. Open the same link to continue at any time."),
            )
        return redirect("surveys:answer", token=token)


@require_POST
@never_cache
def answer_save(request: HttpRequest, token: str) -> HttpResponse:
    """Autosave (htmx, on every change): keeps the draft and returns the progress bar."""
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationUnavailable as error:
        return _unavailable(request, error.reason)
    language = _language(request, invitation)
    with translation.override(language):
        questions = services.survey_questions(invitation.survey)
        submitted = answers_from_post(questions, request.POST)
        status = "saved"
        try:
            if invitation.completed or not services.save_draft(invitation, submitted):
                status = "completed"
        except services.AnswerErrors:
            status = "invalid"
        except services.InvitationUnavailable:
            status = "closed"
        if not request.headers.get("HX-Request"):
            return redirect(reverse("surveys:answer", kwargs={"token": token}))
        context = {
            "answered": _answered(submitted),
            "total": len(questions),
            "save_status": status,
        }
        return _finish(request, render(request, "surveys/_answer_progress.html", context), language)

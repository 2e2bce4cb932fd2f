"""The survey engine shared by employee surveys (and, later, customer NPS/CSAT).

Anonymity is a property of the schema, not of the code that reads it:
- ``Response`` rows have a random UUID key, no foreign key or token leading to an
  ``Invitation`` or an employee, and only a date (never a time).
- ``Invitation`` records *that* someone completed (a boolean, no date and no time), so
  completion order cannot be joined to response order.
- The demographic attributes a response carries were snapshotted when the survey was
  launched; every number derived from them passes ``kizuna.engagement.guard``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FactorKind(models.TextChoices):
    ENGAGEMENT = "engagement", _("Engagement")
    SATISFACTION = "satisfaction", _("Satisfaction")
    DRIVER = "driver", _("Driver")
    ENPS = "enps", _("eNPS")
    OTHER = "other", _("Other")


class Factor(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=FactorKind.choices)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ja = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("factor")
        verbose_name_plural = _("factors")

    def __str__(self) -> str:
        return self.name_ja

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_ja


class QuestionKind(models.TextChoices):
    AGREEMENT = "agreement", _("5-point agreement")
    SCALE = "scale", _("0–10 scale")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class Question(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    factor = models.ForeignKey(
        Factor, null=True, blank=True, on_delete=models.PROTECT, related_name="questions"
    )
    text_ja = models.TextField(_("question (Japanese)"))
    text_en = models.TextField(_("question (English)"))
    # single/multiple choice: [{"value": "remote", "ja": "リモート", "en": "Remote"}, …]
    options = models.JSONField(default=list, blank=True)
    is_builtin = models.BooleanField(default=False)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.code

    def text(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_ja


class Questionnaire(models.Model):
    """A template: the ordered questions a survey of this kind asks."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ja = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    questions = models.ManyToManyField(Question, through="QuestionnaireItem")
    is_builtin = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.name_ja

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_ja


class QuestionnaireItem(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE)
    question = models.ForeignKey(Question, on_delete=models.PROTECT)
    order = models.IntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "question"], name="unique_questionnaire_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id}:{self.question_id}"


class SurveyKind(models.TextChoices):
    PULSE = "pulse", _("Pulse")
    ANNUAL = "annual", _("Annual (census)")
    ONBOARDING = "onboarding", _("Onboarding")
    EXIT = "exit", _("Exit")
    ADHOC = "adhoc", _("Ad hoc")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SurveyKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT)
    # Waves of one programme (monthly pulses) share a series; ``wave`` counts from 1.
    series = models.SlugField(_("series"), max_length=50, blank=True, db_index=True)
    wave = models.PositiveIntegerField(_("wave"), default=1)
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    # Anonymity thresholds: never below 3 (enforced here and in the guard).
    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size"), default=5, validators=[MinValueValidator(3)]
    )
    comment_min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size for comments"), default=10, validators=[MinValueValidator(3)]
    )
    # Who is invited: {"all": true} or {"department": "CODE", "location": "…", …}
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    # Pulse answers to an item stay valid this many days when a wave does not ask it.
    answer_validity_days = models.PositiveSmallIntegerField(default=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_group_size__gte=3) & models.Q(comment_min_group_size__gte=3),
                name="survey_threshold_at_least_3",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SurveyItem(models.Model):
    """The questions this survey (wave) actually asks, in order (a pulse asks a subset)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT)
    order = models.IntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "question"], name="unique_survey_question")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.question_id}"


class Invitation(models.Model):
    """One invited person. Holds the demographic snapshot taken at launch and the draft
    while answering; after submission only ``completed`` remains (no date, no time)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    employee = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="ja")
    # Snapshot at launch: department_id, department_path, manager_id, tenure_band, job_level,
    # location, employment_type, gender, age_band, performance_band, custom. Copied to the
    # response on submit.
    demographics = models.JSONField(default=dict)
    invited_on = models.DateField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    draft = models.JSONField(null=True, blank=True)
    completed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "employee"], name="unique_invitation")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.employee_id}"


class Response(models.Model):
    """An anonymous submission: no link to the invitation or person, a date only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    submitted_on = models.DateField()
    language = models.CharField(max_length=8, default="ja")
    # demographic snapshot (group attributes only; the guard decides what may be shown)
    department_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    department_path = models.CharField(max_length=1000, blank=True, db_index=True)
    manager_id = models.BigIntegerField(null=True, blank=True)
    tenure_band = models.CharField(max_length=20, blank=True)
    job_level = models.CharField(max_length=50, blank=True)
    location = models.CharField(max_length=100, blank=True)
    employment_type = models.CharField(max_length=20, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    age_band = models.CharField(max_length=20, blank=True)
    # the latest finalised annual performance band (S/A/B/C/D) at launch, "" when none
    performance_band = models.CharField(max_length=1, blank=True, default="")
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [models.Index(fields=["survey", "department_path"])]

    def __str__(self) -> str:
        return str(self.id)


class Answer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    # agreement 1–5, scale 0–10, single choice: index into options; NULL for text/multiple
    value = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["question"])]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="unique_answer")
        ]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"

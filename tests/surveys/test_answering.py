"""The public answer page and the submission rules: languages, drafts, skipping,
idempotent submission, validation, closed surveys, and anonymity by construction."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import models
from django.test import Client

from kizuna.core.models import AuditLog, User
from kizuna.org.models import Employee
from kizuna.surveys import services, tokens
from kizuna.surveys.answers import AnswerErrors, clean_answers
from kizuna.surveys.models import (
    Answer,
    Invitation,
    Question,
    QuestionKind,
    Response,
    Survey,
)
from tests.surveys.conftest import path_of, today, token_of

pytestmark = pytest.mark.django_db

Launched = tuple[Survey, services.LaunchResult]


def _link(launched: Launched, company: dict[str, Any], number: str = "E004") -> str:
    return path_of(launched[1].links[company["people"][number].pk])


def _invitation(launched: Launched, company: dict[str, Any], number: str = "E004") -> Invitation:
    return Invitation.objects.get(survey=launched[0], employee=company["people"][number])


FULL_ANSWERS = {
    "q-understanding_1": "4",
    "q-belonging_1": "5",
    "q-willingness_2": "2",
    "q-enps": "9",
    "q-fair_evaluation_1": "",  # "no answer"
    "q-text_improve": "1on1の時間をもう少し増やしてほしいです。",
}


# --- the page -------------------------------------------------------------------------------


def test_the_answer_page_is_japanese_by_default(
    launched: Launched, company: dict[str, Any]
) -> None:
    page = Client().get(_link(launched, company))
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "ja"
    assert '<html lang="ja">' in html
    assert "回答は匿名です。" in html
    assert "個人が特定される形で表示されることはありません。" in html
    assert "結果は回答者が5人以上のグループについてのみ表示されます" in html
    # 33 items: 31 closed items × 7 s + 2 texts × 40 s = 297 s → about 5 minutes
    assert "約5分" in html and "全33問" in html
    assert "33問中 0問回答済み" in html
    assert "全くそう思わない" in html and "とてもそう思う" in html
    assert "この会社を働く場所として親しい友人や知人にどの程度勧めたいと思いますか。" in html
    # 0–10: eleven radio buttons, plus "no answer"
    assert len(re.findall(r'name="q-enps" value="\d+"', html)) == 11
    assert 'maxlength="5000"' in html
    assert page["X-Robots-Tag"] == "noindex"
    assert html.index("surveys/answer.css") < html.index("</head>")
    assert "Cache-Control" in page and "no-cache" in page["Cache-Control"]


def test_the_page_follows_the_persons_language_and_switches(
    launched: Launched, company: dict[str, Any]
) -> None:
    Invitation.objects.filter(pk=_invitation(launched, company).pk).update(language="en")
    client = Client()
    html = client.get(_link(launched, company)).content.decode()
    assert '<html lang="en">' in html
    assert "Your answers are anonymous." in html
    assert "I understand the company&#x27;s vision and where it is heading." in html
    assert "Strongly disagree" in html and "About 5 minutes" in html
    # the page's own switch, remembered for the next visit
    switched = client.get(_link(launched, company) + "?lang=ja")
    assert "会社のビジョンや目指している方向を理解している。" in switched.content.decode()
    assert _invitation(launched, company).language == "ja"
    assert '<html lang="ja">' in client.get(_link(launched, company)).content.decode()


def test_an_unknown_link_is_refused_with_a_clear_page(launched: Launched) -> None:
    for token in ("x" * 43, "short", tokens.new_token()):
        page = Client().get(f"/surveys/answer/{token}/")
        assert page.status_code == 404
        assert "このリンクは無効です" in page.content.decode()


def test_a_closed_survey_refuses_its_links(
    launched: Launched, company: dict[str, Any], hr: User
) -> None:
    survey, _result = launched
    services.close_survey(survey, by_user=hr)
    page = Client().get(_link(launched, company))
    assert page.status_code == 410 and "このサーベイは終了しました" in page.content.decode()
    response = Client().post(_link(launched, company), {**FULL_ANSWERS, "action": "submit"})
    assert response.status_code == 410
    assert not Response.objects.exists()


def test_a_survey_past_its_closing_date_refuses_answers(
    launched: Launched, company: dict[str, Any]
) -> None:
    survey, result = launched
    invitation = _invitation(launched, company)
    assert survey.closes_on is not None
    after = survey.closes_on + dt.timedelta(days=1)
    with pytest.raises(services.InvitationUnavailable) as info:
        services.invitation_for_token(token_of(result.links[invitation.employee_id]), today=after)
    assert info.value.reason == "closed"
    with pytest.raises(services.InvitationUnavailable):
        services.submit(invitation, {"belonging_1": 3}, today=after)
    assert not Response.objects.exists()


# --- drafts ---------------------------------------------------------------------------------


def test_save_and_resume(launched: Launched, company: dict[str, Any]) -> None:
    client = Client()
    link = _link(launched, company)
    response = client.post(link, {**FULL_ANSWERS, "action": "save"})
    assert response.status_code == 302 and response["Location"] == link
    invitation = _invitation(launched, company)
    assert invitation.draft == {
        "understanding_1": 4,
        "belonging_1": 5,
        "willingness_2": 2,
        "enps": 9,
        "text_improve": "1on1の時間をもう少し増やしてほしいです。",
    }
    assert not invitation.completed and not Response.objects.exists()
    # another device, later: the page comes back filled in
    html = Client().get(link).content.decode()
    assert 'name="q-belonging_1" value="5" checked' in html
    assert 'name="q-enps" value="9" checked' in html
    assert "1on1の時間をもう少し増やしてほしいです。</textarea>" in html
    assert "33問中 5問回答済み" in html
    assert not re.search(r'name="q-fair_evaluation_1" value="\d" checked', html)


def test_autosave_returns_the_progress(launched: Launched, company: dict[str, Any]) -> None:
    link = _link(launched, company)
    response = Client().post(
        link + "save/", {"q-belonging_1": "3", "q-enps": "10"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        'id="answer-progress"' in html and "33問中 2問回答済み" in html and "保存しました" in html
    )
    assert _invitation(launched, company).draft == {"belonging_1": 3, "enps": 10}
    invalid = Client().post(link + "save/", {"q-belonging_1": "9"}, HTTP_HX_REQUEST="true")
    assert "保存できませんでした" in invalid.content.decode()
    assert _invitation(launched, company).draft == {"belonging_1": 3, "enps": 10}


# --- submitting -----------------------------------------------------------------------------


def test_submit_stores_an_anonymous_response_and_thanks(
    launched: Launched, company: dict[str, Any]
) -> None:
    client = Client()
    link = _link(launched, company)
    client.post(link, {"q-belonging_1": "1", "action": "save"})
    response = client.post(link, {**FULL_ANSWERS, "action": "submit"})
    assert response.status_code == 302
    thanks = client.get(link)
    assert thanks.status_code == 200
    assert "ご回答ありがとうございました" in thanks.content.decode()
    stored = Response.objects.get()
    invitation = _invitation(launched, company)
    assert invitation.completed and invitation.draft is None
    assert stored.submitted_on == today() and stored.language == "ja"
    assert stored.department_id == company["departments"]["SALES1"].pk
    assert stored.department_path == invitation.demographics["department_path"]
    assert stored.manager_id == company["people"]["E003"].pk
    answers = {a.question.code: a for a in stored.answers.select_related("question")}
    # the skipped item ("no answer") and every untouched item store nothing
    assert set(answers) == {
        "understanding_1",
        "belonging_1",
        "willingness_2",
        "enps",
        "text_improve",
    }
    assert answers["belonging_1"].value == 5 and answers["enps"].value == 9
    assert answers["text_improve"].text == "1on1の時間をもう少し増やしてほしいです。"
    assert answers["text_improve"].value is None


def test_an_empty_submission_is_allowed(launched: Launched, company: dict[str, Any]) -> None:
    response = Client().post(_link(launched, company), {"action": "submit"})
    assert response.status_code == 302
    assert Response.objects.count() == 1 and not Answer.objects.exists()


def test_double_submit_stores_one_response_and_thanks_again(
    launched: Launched, company: dict[str, Any]
) -> None:
    client = Client()
    link = _link(launched, company)
    first = client.post(link, {**FULL_ANSWERS, "action": "submit"})
    second = client.post(link, {"q-belonging_1": "1", "action": "submit"})
    # the retry gets the same thank-you page straight away
    assert first.status_code == 302 and second.status_code == 200
    assert "ご回答ありがとうございました" in second.content.decode()
    assert "ご回答ありがとうございました" in client.get(link).content.decode()
    assert Response.objects.count() == 1
    assert Answer.objects.get(question__code="belonging_1").value == 5
    invitation = _invitation(launched, company)
    # the service says so too
    assert services.submit(invitation, {"belonging_1": 2}) is False
    assert Response.objects.count() == 1


def test_a_stale_invitation_object_cannot_submit_twice(
    launched: Launched, company: dict[str, Any]
) -> None:
    # two requests that both loaded the invitation before either submitted
    first = _invitation(launched, company)
    second = _invitation(launched, company)
    assert services.submit(first, {"enps": 3}) is True
    assert services.submit(second, {"enps": 10}) is False
    assert list(Answer.objects.values_list("value", flat=True)) == [3]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("q-belonging_1", "6"),
        ("q-belonging_1", "0"),
        ("q-belonging_1", "abc"),
        ("q-enps", "11"),
        ("q-enps", "-1"),
        ("q-text_improve", "あ" * 5001),
    ],
)
def test_invalid_answers_are_refused_with_translated_errors_and_nothing_is_stored(
    launched: Launched, company: dict[str, Any], field: str, value: str
) -> None:
    link = _link(launched, company)
    client = Client()
    client.post(link, {"q-belonging_1": "2", "action": "save"})
    response = client.post(link, {"q-enps": "7", field: value, "action": "submit"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "受け付けられない回答があったため、保存していません" in html
    code = field[2:]
    assert f'id="err-{code}"' in html
    expected = {
        "belonging_1": "5つの選択肢から1つ選んでください。",
        "enps": "0〜10の数字から選んでください。",
        "text_improve": "5,000文字以内で入力してください（現在 5,001文字）。",
    }[code]
    assert expected in html
    assert not Response.objects.exists() and not Answer.objects.exists()
    invitation = _invitation(launched, company)
    assert not invitation.completed and invitation.draft == {"belonging_1": 2}


def test_answer_rules_for_every_kind() -> None:
    single = Question(code="s", kind=QuestionKind.SINGLE, options=[{"value": "a"}, {"value": "b"}])
    multiple = Question(
        code="m",
        kind=QuestionKind.MULTIPLE,
        options=[{"value": "a"}, {"value": "b"}, {"value": "c"}],
    )
    agreement = Question(code="a", kind=QuestionKind.AGREEMENT)
    text = Question(code="t", kind=QuestionKind.TEXT)
    questions = [single, multiple, agreement, text]
    assert clean_answers(questions, {"s": "1", "m": ["2", "0", "2"], "a": 3, "t": "  ok "}) == {
        "s": 1,
        "m": [0, 2],
        "a": 3,
        "t": "ok",
    }
    assert clean_answers(questions, {"s": "", "m": [], "a": None, "t": "   "}) == {}
    for bad in ({"s": "2"}, {"m": ["0", "3"]}, {"a": True}, {"t": 5}, {"zzz": "1"}):
        with pytest.raises(AnswerErrors):
            clean_answers(questions, bad)


# --- anonymity by construction --------------------------------------------------------------


def test_responses_have_no_link_to_invitations_or_people_and_no_times() -> None:
    from django.contrib.auth import get_user_model

    forbidden = {Invitation, Employee, get_user_model()}
    for model in (Response, Answer):
        for field in model._meta.get_fields():
            if field.is_relation:
                assert field.related_model not in forbidden, f"{model.__name__}.{field.name}"
            assert not isinstance(field, models.DateTimeField), f"{model.__name__}.{field.name}"
            assert not isinstance(field, models.TimeField)
        assert isinstance(model._meta.pk, models.UUIDField)
    relations = {f.name: f.related_model for f in Response._meta.get_fields() if f.is_relation}
    assert relations == {"survey": Survey, "answers": Answer}
    # and the invitation records completion without any time
    assert not [f for f in Invitation._meta.get_fields() if isinstance(f, models.DateTimeField)]


def test_after_submit_nothing_leads_from_the_response_back(
    launched: Launched, company: dict[str, Any]
) -> None:
    _survey, result = launched
    e004 = company["people"]["E004"]
    token = token_of(result.links[e004.pk])
    invitation = services.invitation_for_token(token)
    services.save_draft(invitation, {"belonging_1": 1, "text_works_well": "チームの雰囲気"})
    invited_on_before = _invitation(launched, company).invited_on
    audit_before = AuditLog.objects.count()

    assert services.submit(
        invitation, {"belonging_1": 4, "text_works_well": "チームの雰囲気", "enps": 8}
    )

    after = _invitation(launched, company)
    assert after.completed is True and after.draft is None
    assert after.invited_on == invited_on_before  # no date written at submission
    response = Response.objects.get()
    secrets_ = {token, tokens.hash_token(token), e004.employee_number, e004.email}
    values = [str(getattr(response, f.attname)) for f in Response._meta.concrete_fields]
    for answer in response.answers.all():
        values += [str(getattr(answer, f.attname)) for f in Answer._meta.concrete_fields]
    for secret in secrets_:
        assert not any(secret == value for value in values), secret
        assert not any(len(secret) > 8 and secret in value for value in values), secret
    # nothing about the individual submission is written to the audit log
    assert AuditLog.objects.count() == audit_before


def test_closing_discards_drafts(launched: Launched, company: dict[str, Any], hr: User) -> None:
    survey, result = launched
    invitation = services.invitation_for_token(token_of(result.links[company["people"]["E004"].pk]))
    services.save_draft(invitation, {"belonging_1": 1})
    services.close_survey(survey, by_user=hr)
    assert not Invitation.objects.filter(draft__isnull=False).exists()
    assert AuditLog.objects.filter(action="surveys.close").exists()


def test_a_logged_in_respondent_sees_the_same_page(
    launched: Launched, company: dict[str, Any], role_users: dict[str, User]
) -> None:
    client = Client()
    client.force_login(role_users["employee"])
    page = client.get(_link(launched, company))
    assert page.status_code == 200 and "回答は匿名です。" in page.content.decode()

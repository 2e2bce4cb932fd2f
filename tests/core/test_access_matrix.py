"""Every URL pattern answers each role as expected; a new URL without an entry fails.

Expected statuses: 200 page, 302 redirect (to login for anonymous), 403 role not allowed,
404 object outside the user's scope, 405 method not allowed (GET on POST-only views).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kizuna.core.models import User
from kizuna.core.roles import ALL_ROLES

ANON = "anonymous"
STAFF_ROLES = {"admin", "hr", "manager", "executive"}
CS_PORTFOLIO = {"admin", "csm", "executive"}
CS_ACCOUNTS = CS_PORTFOLIO | {"support", "marketer"}


def statuses(default: int, anonymous: int = 302, **per_role: int) -> dict[str, int]:
    table = {role: default for role in ALL_ROLES}
    table.update(per_role)
    table[ANON] = anonymous
    return table


def only(roles: set[str], ok: int = 200, other: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {**{r: (ok if r in roles else other) for r in ALL_ROLES}, ANON: anonymous}


# name -> (kwargs factory from fixtures, expected statuses)
Kwargs = Callable[[dict[str, Any]], dict[str, Any]]
MATRIX: dict[str, tuple[Kwargs | None, dict[str, int]]] = {
    "home": (None, statuses(200)),
    "healthz": (None, statuses(200, anonymous=200)),
    "favicon": (None, statuses(302, anonymous=302)),
    "login": (None, statuses(302, anonymous=200)),
    "logout": (None, statuses(405, anonymous=405)),
    "password_reset": (None, statuses(200, anonymous=200)),
    "password_reset_done": (None, statuses(200, anonymous=200)),
    "password_reset_confirm": (
        lambda f: {"uidb64": "MQ", "token": "bad-token"},
        statuses(200, anonymous=200),
    ),
    "password_reset_complete": (None, statuses(200, anonymous=200)),
    "set_language": (None, statuses(405, anonymous=405)),
    "core:me": (None, statuses(200)),
    "core:audit_log": (None, only({"admin"})),
    "org:departments": (None, only(STAFF_ROLES)),
    # 営業1課 is inside the manager's subtree (営業部)
    "org:department_detail": (
        lambda f: {"pk": f["company"]["departments"]["SALES1"].pk},
        only(STAFF_ROLES),
    ),
    "org:employees": (None, only(STAFF_ROLES)),
    # 伊藤 in 開発部 is outside the manager's subtree: 404 for the manager
    "org:employee_detail": (
        lambda f: {"pk": f["company"]["people"]["E006"].pk},
        {**only(STAFF_ROLES), "manager": 404},
    ),
    "org:import": (None, only({"admin", "hr"})),
    "org:import_detail": (lambda f: {"pk": f["job"].pk}, only({"admin", "hr"})),
    "org:import_apply": (
        lambda f: {"pk": f["job"].pk},
        only({"admin", "hr"}, ok=405, other=405, anonymous=405),
    ),
    "org:import_progress": (lambda f: {"pk": f["job"].pk}, only({"admin", "hr"})),
    "org:import_template": (lambda f: {"kind": "employees"}, only({"admin", "hr"})),
    # surveys: HR pages for admin and HR; the answer page is public (the token is the key)
    "surveys:list": (None, only({"admin", "hr"})),
    "surveys:create": (None, only({"admin", "hr"})),
    "surveys:detail": (lambda f: {"pk": f["survey"].pk}, only({"admin", "hr"})),
    "surveys:launch": (
        lambda f: {"pk": f["survey"].pk},
        only({"admin", "hr"}, ok=405, other=405, anonymous=405),
    ),
    "surveys:close": (
        lambda f: {"pk": f["survey"].pk},
        only({"admin", "hr"}, ok=405, other=405, anonymous=405),
    ),
    "surveys:remind": (
        lambda f: {"pk": f["survey"].pk},
        only({"admin", "hr"}, ok=405, other=405, anonymous=405),
    ),
    "surveys:answer": (lambda f: {"token": f["answer_token"]}, statuses(200, anonymous=200)),
    "surveys:answer_save": (
        lambda f: {"token": f["answer_token"]},
        statuses(405, anonymous=405),
    ),
    # action plans: the list and "you said, we did" show each user what they may see
    # results: a closed survey (no answers) — pages for results viewers, 403 for others
    "engagement:index": (None, only(STAFF_ROLES, ok=302)),
    "engagement:results": (lambda f: {"survey_id": f["closed_survey"].pk}, only(STAFF_ROLES)),
    # exports: the manager's subtree has no answers in the fixture, so the guard refuses
    # it (403, like any scope under k); executives may not break results down
    "engagement:export": (
        lambda f: {"survey_id": f["closed_survey"].pk, "fmt": "csv"},
        only({"admin", "hr"}),
    ),
    # the REST API: token or session; the schema is public, like the write-key endpoints
    "api:openapi-json": (None, statuses(200, anonymous=200)),
    "api:api-root": (None, statuses(404, anonymous=404)),
    "api:me": (None, statuses(200, anonymous=401)),
    "api:list_surveys": (None, {**only({"admin", "hr"}), ANON: 401}),
    "api:create": (None, {**only({"admin", "hr"}), ANON: 401}),
    "api:launch": (lambda f: {"survey_id": f["survey"].pk}, statuses(405, anonymous=405)),
    "api:submit": (lambda f: {"token": f["answer_token"]}, statuses(405, anonymous=405)),
    "api:results": (
        lambda f: {"survey_id": f["closed_survey"].pk},
        {**only({"admin", "hr", "executive"}), ANON: 401},
    ),
    # Segment-compatible ingestion: POST only, authenticated by write key, never by session
    **{
        f"usage:{kind}": (None, statuses(405, anonymous=405))
        for kind in ("batch", "track", "identify", "group", "page", "screen", "alias")
    },
    # customer success: revenue and health for admin/CSM/executive; account basics also
    # for support and marketing; settings, features and imports for admins
    **{
        f"customers:{name}": (None, only(CS_PORTFOLIO))
        for name in ("portfolio", "at_risk", "renewals", "backtest", "churn_model")
    },
    "customers:accounts": (None, only(CS_ACCOUNTS)),
    "customers:account": (lambda f: {"pk": f["account"].pk}, only(CS_ACCOUNTS)),
    "customers:features": (None, only(CS_PORTFOLIO | {"marketer"})),
    "customers:feature_create": (None, only({"admin"})),
    "customers:feature_edit": (lambda f: {"pk": f["feature"].pk}, only({"admin"})),
    "customers:health_settings": (None, only({"admin"})),
    "customers:health_profile_create": (None, only({"admin"})),
    "customers:health_profile_edit": (lambda f: {"pk": f["health_profile"].pk}, only({"admin"})),
    "customers:import": (None, only({"admin"})),
    "customers:import_detail": (lambda f: {"job_id": f["customer_job"]}, only({"admin"})),
    "customers:import_progress": (lambda f: {"job_id": f["customer_job"]}, only({"admin"})),
    "customers:import_template": (lambda f: {"kind": "accounts"}, only({"admin"})),
    # state changes: POST only, whoever asks
    **{
        f"customers:{name}": (kwargs, statuses(405, anonymous=405))
        for name, kwargs in (
            ("assess", lambda f: {"pk": f["account"].pk}),
            ("health_profile_delete", lambda f: {"pk": f["health_profile"].pk}),
            ("churn_model_train", None),
            ("feature_delete", lambda f: {"pk": f["feature"].pk}),
            ("import_apply", lambda f: {"job_id": f["customer_job"]}),
        )
    },
    "improvement:plans": (None, statuses(200)),
    "improvement:team": (None, statuses(200)),
    "improvement:plan_create": (None, only({"admin", "hr", "manager"})),
    # a plan for 開発部, outside the manager's subtree: 404 for the manager and non-owners
    "improvement:plan_detail": (
        lambda f: {"pk": f["plans"]["DEV"].pk},
        {**statuses(404), "admin": 200, "hr": 200, "executive": 200},
    ),
    # a plan for 営業1課, inside the manager's subtree; executives see it but cannot edit
    "improvement:plan_edit": (
        lambda f: {"pk": f["plans"]["SALES1"].pk},
        {**statuses(404), "admin": 200, "hr": 200, "manager": 200, "executive": 403},
    ),
    "improvement:review": (
        lambda f: {"pk": f["plans"]["SALES1"].pk},
        {**statuses(404), "admin": 200, "hr": 200, "manager": 200, "executive": 403},
    ),
    "improvement:plan_status": (
        lambda f: {"pk": f["plans"]["SALES1"].pk},
        statuses(405, anonymous=405),
    ),
    "improvement:action_add": (
        lambda f: {"pk": f["plans"]["SALES1"].pk},
        statuses(405, anonymous=405),
    ),
    "improvement:action_toggle": (
        lambda f: {"pk": f["plans"]["SALES1"].pk, "action_pk": f["plan_action"].pk},
        statuses(405, anonymous=405),
    ),
    "improvement:check_in_add": (
        lambda f: {"pk": f["plans"]["SALES1"].pk},
        statuses(405, anonymous=405),
    ),
    "improvement:review_measure": (
        lambda f: {"pk": f["plans"]["SALES1"].pk},
        statuses(405, anonymous=405),
    ),
}
# Each practices app keeps its own entries (tests/practices/<app>/matrix.py): ``MATRIX``
# like the one above, and ``build(fixtures)`` returning the objects its kwargs need.
PRACTICE_APPS = ("oneonones", "evaluation", "recognition", "flexwork", "hrkpi")
_practice_matrices = [
    importlib.import_module(f"tests.practices.{app}.matrix") for app in PRACTICE_APPS
]
for _module in _practice_matrices:
    _clash = set(MATRIX) & set(_module.MATRIX)
    assert not _clash, f"duplicate access-matrix entries: {_clash}"
    MATRIX.update(_module.MATRIX)

# Django admin: every page of it is for the admin role only; others go to its login.
ADMIN_NAMESPACE_EXPECTED = only({"admin"}, ok=200, other=302)
ADMIN_SAMPLE = [
    "admin:index",
    "admin:core_user_changelist",
    "admin:org_employee_changelist",
    "admin:core_auditlog_changelist",
]


def iter_patterns(
    resolvers: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from iter_patterns(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            full = f"{namespace}:{name}" if namespace and name else name
            yield full, prefix + str(entry.pattern)


def test_every_url_has_an_entry() -> None:
    missing = []
    for name, route in iter_patterns(get_resolver().url_patterns):
        if name.startswith("admin:") or route.startswith("admin/"):
            continue
        if name.startswith("djdt") or route.startswith("static/"):
            continue
        if name not in MATRIX:
            missing.append(f"{name or '(unnamed)'} -> {route}")
    assert not missing, "URL patterns without an access-matrix entry:\n" + "\n".join(missing)
    stale = set(MATRIX) - {n for n, _ in iter_patterns(get_resolver().url_patterns)}
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


@pytest.fixture
def fixtures(company: dict[str, Any], role_users: dict[str, User]) -> dict[str, Any]:
    import datetime as dt

    from kizuna.org.models import ImportJob, ImportStatus

    job = ImportJob.objects.create(
        kind="employees",
        filename="x.csv",
        content=b"",
        status=ImportStatus.INVALID,
        as_of=dt.date(2026, 4, 1),
    )
    from kizuna.improvement.models import Action, Plan

    plans = {
        code: Plan.objects.create(
            title=f"plan {code}",
            owner=role_users["hr"],
            scope=company["departments"][code],
            target_metric="eNPS",
            target_value=10,
            due_on=dt.date(2026, 6, 30),
            review_on=dt.date(2026, 9, 30),
        )
        for code in ("SALES1", "DEV")
    }
    plan_action = Action.objects.create(plan=plans["SALES1"], text="1on1 every week")
    from django.utils import timezone

    from kizuna.surveys import services as surveys
    from kizuna.surveys.catalog import install_catalog

    install_catalog()
    survey = surveys.create_survey(
        "access matrix survey",
        "annual",
        "kizuna-annual",
        audience={"all": True},
        opens_on=timezone.localdate(),
        closes_on=timezone.localdate() + dt.timedelta(days=14),
        created_by=role_users["hr"],
    )
    launched = surveys.launch(survey, by_user=role_users["hr"], send=False)
    answer_link = next(iter(launched.links.values()))
    closed_survey = surveys.create_survey(
        "closed survey",
        "annual",
        "kizuna-annual",
        audience={"all": True},
        opens_on=timezone.localdate() - dt.timedelta(days=30),
        closes_on=timezone.localdate() - dt.timedelta(days=16),
        created_by=role_users["hr"],
    )
    surveys.launch(closed_survey, by_user=role_users["hr"], send=False)
    surveys.close_survey(closed_survey, by_user=role_users["hr"])
    from kizuna.customers import health, import_jobs
    from kizuna.customers.models import Account
    from kizuna.usage.models import Feature

    customer_job = import_jobs.create(
        "accounts",
        "取引先ID,取引先名\nA1,株式会社テスト\n".encode(),
        "a.csv",
        dt.date(2026, 4, 1),
        None,
    )
    built: dict[str, Any] = {
        "company": company,
        "users": role_users,
        "job": job,
        "account": Account.objects.create(external_id="A1", name="株式会社アクセス"),
        "feature": Feature.objects.create(name="検索", slug="search", event_names=["searched"]),
        "health_profile": health.default_profile(),
        "customer_job": customer_job.id,
        "survey": survey,
        "closed_survey": closed_survey,
        "answer_token": answer_link.rstrip("/").rsplit("/", 1)[-1],
        "plans": plans,
        "plan_action": plan_action,
    }
    for module in _practice_matrices:
        built.update(module.build(built))
    return built


@pytest.mark.django_db
@pytest.mark.parametrize("who", [*ALL_ROLES, ANON])
def test_each_url_answers_each_role_as_expected(who: str, fixtures: dict[str, Any]) -> None:
    client = Client()
    if who != ANON:
        client.force_login(fixtures["users"][who])
    wrong = []
    for name, (make_kwargs, expected) in MATRIX.items():
        url = reverse(name, kwargs=make_kwargs(fixtures) if make_kwargs else None)
        status = client.get(url).status_code
        if status != expected[who]:
            wrong.append(f"{name} ({url}): expected {expected[who]}, got {status}")
    for name in ADMIN_SAMPLE:
        status = client.get(reverse(name)).status_code
        if status != ADMIN_NAMESPACE_EXPECTED[who]:
            wrong.append(f"{name}: expected {ADMIN_NAMESPACE_EXPECTED[who]}, got {status}")
    assert not wrong, f"as {who}:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_with_next(fixtures: dict[str, Any]) -> None:
    response = Client().get(reverse("org:employees"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=" + reverse("org:employees")

"""Who a survey invites, and the demographic snapshot each invitation carries.

An audience is a JSON object: ``{"all": true}``, or attribute filters that must all hold
(a list of values means any of them)::

    {"department": "SALES"}                 the department and everything below it
    {"location": "大阪", "employment_type": ["full_time", "contract"]}
    {"custom:職種": "エンジニア", "tenure_band": "1-3y"}

Filterable attributes: ``department`` (code, subtree), ``location``, ``job_level``,
``employment_type``, ``gender``, ``tenure_band``, ``age_band`` and ``custom:NAME``.

The snapshot is taken from the organisation *as it stood on the opening date*
(``org_as_of``), so a later transfer, promotion or department move never changes which
group an answer counts in. Bands (documented in docs and the UI help):

- tenure, in completed years of service on that date: ``<1y``, ``1-3y``, ``3-5y``,
  ``5-10y``, ``10y+``;
- age, from the birth year only (year of the date minus birth year): ``<20``, ``20s``,
  ``30s``, ``40s``, ``50s``, ``60+``;
- performance band: the band (S/A/B/C/D) of the person's latest annual review finalised
  on or before that date (``kizuna.practices.evaluation.services.performance_band_on``),
  "" when there is none. It is a sensitive attribute: only HR and admins may filter or
  break results down by it, and the anonymity guard applies as to any attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kizuna.org.models import Department, Employee, EmployeeHistory
from kizuna.org.services import departments_as_of, org_as_of

PLAIN_ATTRIBUTES = ("location", "job_level", "employment_type", "gender", "tenure_band", "age_band")
ATTRIBUTES = ("department", *PLAIN_ATTRIBUTES)
CUSTOM_PREFIX = "custom:"

TENURE_BANDS: tuple[tuple[int | None, str], ...] = (
    (1, "<1y"),
    (3, "1-3y"),
    (5, "3-5y"),
    (10, "5-10y"),
    (None, "10y+"),
)
AGE_BANDS: tuple[tuple[int | None, str], ...] = (
    (20, "<20"),
    (30, "20s"),
    (40, "30s"),
    (50, "40s"),
    (60, "50s"),
    (None, "60+"),
)
SNAPSHOT_KEYS = (
    "department_id",
    "department_path",
    "manager_id",
    "tenure_band",
    "age_band",
    "job_level",
    "location",
    "employment_type",
    "gender",
    "performance_band",
    "custom",
)


def completed_years(start: dt.date, day: dt.date) -> int:
    """Whole years from ``start`` to ``day`` (an anniversary counts on its date)."""
    years = day.year - start.year
    if (day.month, day.day) < (start.month, start.day):
        years -= 1
    return max(years, 0)


def tenure_band(hire_date: dt.date, day: dt.date) -> str:
    years = completed_years(hire_date, day)
    return _band(years, TENURE_BANDS)


def age_band(birth_year: int | None, day: dt.date) -> str:
    if not birth_year:
        return ""
    return _band(day.year - birth_year, AGE_BANDS)


def _band(value: int, bands: tuple[tuple[int | None, str], ...]) -> str:
    for upper, label in bands:
        if upper is None or value < upper:
            return label
    raise AssertionError("the last band is open-ended")


def parse(audience: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check an audience and return it normalised (values as lists of strings).

    Raises a ``ValidationError`` with a translated message naming what is wrong.
    """
    if not audience:
        raise ValidationError(_("Choose who is invited: everyone, or an attribute and a value."))
    if audience.get("all") is True:
        if len(audience) > 1:
            raise ValidationError(_("“Everyone” cannot be combined with other conditions."))
        return {"all": True}
    normalised: dict[str, Any] = {}
    for key, value in audience.items():
        if key not in ATTRIBUTES and not (key.startswith(CUSTOM_PREFIX) and key[7:].strip()):
            raise ValidationError(
                _(
                    "Unknown audience attribute “%(name)s”. Use department, location, job_level, "
                    "employment_type, gender, tenure_band, age_band or custom:NAME."
                ),
                params={"name": key},
                code="unknown_attribute",
            )
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            raise ValidationError(
                _("Give a value for “%(name)s”."), params={"name": key}, code="empty"
            )
        normalised[key] = values
    if "department" in normalised:
        known = set(
            Department.objects.filter(code__in=normalised["department"]).values_list(
                "code", flat=True
            )
        )
        unknown = [code for code in normalised["department"] if code not in known]
        if unknown:
            raise ValidationError(
                _("Unknown department code “%(code)s”."),
                params={"code": unknown[0]},
                code="unknown_department",
            )
    return normalised


def parse_cli(terms: Iterable[str]) -> dict[str, Any]:
    """``all`` or ``ATTR=VALUE`` terms (from the command line) as an audience object."""
    audience: dict[str, Any] = {}
    for term in terms:
        if term.strip().lower() == "all":
            audience["all"] = True
            continue
        name, sep, value = term.partition("=")
        if not sep:
            raise ValidationError(
                _("Write the audience as all or ATTRIBUTE=VALUE (for example location=大阪)."),
                code="syntax",
            )
        audience.setdefault(name.strip(), []).append(value.strip())
    return parse(audience)


@dataclass(frozen=True)
class Person:
    """One person in the audience and their snapshot on the opening date."""

    employee: Employee
    demographics: dict[str, Any]
    language: str


def department_paths_as_of(day: dt.date) -> dict[int, str]:
    """Materialised paths (``/1/4/9/``) of the tree as it stood on ``day``.

    Departments without history for that day keep their current path, so a snapshot is
    never missing its department.
    """
    paths = dict(Department.objects.values_list("pk", "path"))
    parents = dict(departments_as_of(day).values_list("department_id", "parent_id"))
    for dept_id in list(parents):
        chain: list[int] = []
        node: int | None = dept_id
        while node is not None and node not in chain:
            chain.append(node)
            node = parents.get(node)
        if node is None:
            paths[dept_id] = "/" + "/".join(str(i) for i in reversed(chain)) + "/"
    return paths


def snapshot(
    row: EmployeeHistory,
    day: dt.date,
    paths: Mapping[int, str],
    bands: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """One person's demographics on ``day``; ``bands`` maps employee ids to their
    performance band on that day (``performance_bands``)."""
    employee = row.employee
    return {
        "department_id": row.department_id,
        "department_path": paths.get(row.department_id, ""),
        "manager_id": row.manager_id,
        "tenure_band": tenure_band(employee.hire_date, day),
        "age_band": age_band(employee.birth_year, day),
        "job_level": row.job_level or "",
        "location": row.location or "",
        "employment_type": row.employment_type or "",
        "gender": employee.gender or "",
        "performance_band": (bands or {}).get(row.employee_id, ""),
        "custom": {str(k): v for k, v in (row.custom or {}).items()},
    }


def performance_bands(employee_ids: Iterable[int], day: dt.date) -> dict[int, str]:
    """Each person's latest finalised annual performance band on ``day`` (evaluation app)."""
    from kizuna.practices.evaluation.services import performance_band_on

    return performance_band_on(employee_ids, day)


def matches(
    demographics: Mapping[str, Any], audience: Mapping[str, Any], paths: Mapping[str, str]
) -> bool:
    """Whether one snapshot satisfies every condition; ``paths`` maps department codes to
    their path on the day."""
    if audience.get("all"):
        return True
    for key, values in audience.items():
        if key == "department":
            path = demographics.get("department_path", "")
            if not any(paths.get(code) and path.startswith(paths[code]) for code in values):
                return False
        elif key.startswith(CUSTOM_PREFIX):
            value = (demographics.get("custom") or {}).get(key[len(CUSTOM_PREFIX) :])
            if value is None or str(value) not in values:
                return False
        elif str(demographics.get(key, "")) not in values:
            return False
    return True


def resolve(audience: Mapping[str, Any], day: dt.date) -> list[Person]:
    """Everyone employed on ``day`` who matches ``audience``, with their snapshot."""
    normalised = parse(audience)
    paths = department_paths_as_of(day)
    code_paths = {
        code: paths[pk] for code, pk in Department.objects.values_list("code", "pk") if pk in paths
    }
    rows = org_as_of(day).select_related("employee__user").order_by("employee_id")
    return people(rows, day, normalised, code_paths, paths)


def person_on(employee: Employee, day: dt.date) -> Person | None:
    """One employee's snapshot on ``day`` (None when not employed that day)."""
    row = org_as_of(day).select_related("employee__user").filter(employee=employee).first()
    if row is None:
        return None
    found = people([row], day, {"all": True}, {})
    return found[0] if found else None


def people(
    rows: Iterable[EmployeeHistory],
    day: dt.date,
    audience: Mapping[str, Any],
    code_paths: Mapping[str, str],
    paths: Mapping[int, str] | None = None,
) -> list[Person]:
    if paths is None:
        paths = department_paths_as_of(day)
    rows = list(rows)
    bands = performance_bands([row.employee_id for row in rows], day)
    chosen: list[Person] = []
    for row in rows:
        demographics = snapshot(row, day, paths, bands)
        if matches(demographics, audience, code_paths):
            chosen.append(Person(row.employee, demographics, language_of(row.employee)))
    return chosen


def language_of(employee: Employee) -> str:
    """The invitation's language: the person's account language, else the site's."""
    supported = {code for code, _name in settings.LANGUAGES}
    user = employee.user if employee.user_id else None
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return language if language in supported else settings.LANGUAGE_CODE

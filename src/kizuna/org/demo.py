"""The demo company 株式会社サンプル: a believable organisation with two years of history.

``kizuna demo`` and the browser tests need a company that looks real at a glance (a
department tree with 本部, 部 and 課, a head in every department, Japanese names with their
kana, hires, leavers, transfers and promotions) and that makes every screen meaningful:
turnover trends need leavers in the past, survey anonymity needs a few teams below the
reporting threshold, the org-as-of views need transfers whose history is correct.

Everything is planned in memory first with one seeded ``random.Random`` (same seed and
``today`` → same company), then written with a handful of ``bulk_create`` calls inside
one transaction. Going through ``services.record_employee_change`` per person would be
simpler but costs several queries per employee, which is minutes at 10,000 people; the
history rows built here follow the same rules (rows are [valid_from, valid_to), the first
starts on the hire date, a change on day *d* closes the previous row at *d*, the current
row stays open, also for leavers).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kizuna.core import access
from kizuna.core.models import User
from kizuna.core.roles import Role
from kizuna.org import services
from kizuna.org.demo_names import FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES
from kizuna.org.models import (
    Department,
    DepartmentHistory,
    Employee,
    EmployeeHistory,
    EmploymentType,
    Gender,
    LeaveReason,
    Organization,
)

DEMO_PASSWORD = "kizuna-demo"  # noqa: S105 - printed for everyone on purpose: it is a demo
DEMO_DOMAIN = "sample.example"
COMPANY_NAME = "株式会社サンプル"
COMPANY_NAME_EN = "Sample Co., Ltd."
FOUNDED = dt.date(2005, 4, 1)
MIN_EMPLOYEES = 50
MAX_EMPLOYEES = 20_000

# Shape of the organisation. A team (課/チーム) is split in two once it would pass about
# 13 people, so teams stay at 5-15 at any company size; a 部 holds about 80 people (its
# template's ``unit``); past MAX_SIBLINGS 部 of one kind, 統括部 go in between; a top-level
# 部 becomes a 本部 with real 部 below it once it passes PROMOTE_AT people.
TEAM_TARGET = 9
LEAF_MAX = 15
MIN_TEAM = 3
PROMOTE_AT = 100
MAX_SIBLINGS = 6

# The people side: annual growth and turnover (leavers / average headcount), the share of
# leavers who had joined within the window ("early churn"), and yearly rates of the
# internal moves that give the history something to show.
GROWTH = 0.05
TURNOVER = 0.11
EARLY_CHURN = 0.2
TRANSFER_RATE = 0.05
PROMOTION_RATE = 0.04
CONVERSION_RATE = 0.01
HISTORY_DAYS = 730
# The declining department's voluntary turnover during its falling engagement waves, as a
# multiple of the company's (the turnover story, see ``_Planner._turnover_story``).
STORY_FACTOR = 3.0

DEMO_ROLES: tuple[str, ...] = (
    Role.ADMIN,
    Role.HR,
    Role.MANAGER,
    Role.EMPLOYEE,
    Role.CSM,
    Role.SUPPORT,
    Role.MARKETER,
    Role.EXECUTIVE,
)

FULL_TIME = EmploymentType.FULL_TIME.value
EXECUTIVE_LEVEL = "役員"
# Non-manager grades, lowest first (a promotion moves one step up).
MEMBER_LEVELS = ("一般", "主任", "係長")

# Location profiles: cumulative probabilities over the company's four sites. Each person
# draws one uniform number once, so they move site only when a transfer takes them to a
# department with a different profile.
SITES = ("東京本社", "大阪支社", "福岡オフィス", "リモート")
PLACES: dict[str, tuple[float, ...]] = {
    "default": (0.72, 0.84, 0.90, 1.0),
    "tokyo": (0.84, 0.90, 0.92, 1.0),
    "eng": (0.58, 0.64, 0.75, 1.0),
    "west": (0.04, 0.82, 0.98, 1.0),
    "kyushu": (0.05, 0.15, 0.97, 1.0),
    "support": (0.30, 0.38, 0.88, 1.0),
}


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    name: str


@dataclass
class DemoResult:
    created: bool
    logins: list[DemoLogin] = field(default_factory=list)


class DemoError(Exception):
    """The demo cannot be built here (e.g. the database already holds real people)."""


# --- The organisation template ------------------------------------------------------------


@dataclass(frozen=True)
class _Team:
    """A family of leaf departments (課, チーム, 室), repeated as the headcount grows."""

    name: str
    name_en: str
    many: str
    many_en: str
    weight: float = 1.0
    fixed: int = 0  # exact headcount at every company size (the small teams)
    job: str = ""
    new: bool = False  # opened within the history window


@dataclass(frozen=True)
class _Group:
    """A 部: a real department while its unit is a 本部, otherwise only a weighting that
    hangs its teams directly off the unit."""

    name: str
    name_en: str
    many: str
    many_en: str
    weight: float
    teams: tuple[_Team, ...]
    unit: int = 80
    min_count: int = 1
    job: str = ""
    places: tuple[str, ...] = ()
    cluster: str = ""  # 統括部 pattern, for when one 本部 needs many of these 部
    cluster_en: str = ""


@dataclass(frozen=True)
class _Unit:
    """A department directly under the company."""

    name: str
    name_en: str
    weight: float
    job: str
    opened: dt.date
    female: float
    place: str = "default"
    groups: tuple[_Group, ...] = ()
    fixed_teams: tuple[_Team, ...] = ()
    large_name: str = ""
    large_name_en: str = ""
    always_grouped: bool = False
    fixed: int = 0


def _section(ja: str, en: str, weight: float = 1.0, **options: Any) -> _Team:
    return _Team(
        f"{ja}課", f"{en} Section", f"{ja}{{n}}課", f"{en} Section {{n}}", weight, **options
    )


def _team(ja: str, en: str, weight: float = 1.0, **options: Any) -> _Team:
    return _Team(
        f"{ja}チーム", f"{en} Team", f"{ja}第{{n}}チーム", f"{en} Team {{n}}", weight, **options
    )


def _dept(ja: str, en: str, weight: float, teams: tuple[_Team, ...], **options: Any) -> _Group:
    return _Group(
        f"{ja}部",
        f"{en} Dept.",
        f"{ja}{{n}}部",
        f"{en} Dept. {{n}}",
        weight,
        teams,
        cluster=f"第{{n}}{ja}統括部",
        cluster_en=f"{en} Group {{n}}",
        **options,
    )


UNITS: tuple[_Unit, ...] = (
    _Unit(
        "経営企画部",
        "Corporate Planning Dept.",
        2.5,
        job="経営企画",
        opened=FOUNDED,
        female=0.4,
        place="tokyo",
        large_name="経営企画本部",
        large_name_en="Corporate Planning Division",
        groups=(
            _dept(
                "経営企画", "Corporate Planning", 3, (_section("経営企画", "Corporate Planning"),)
            ),
            _dept(
                "事業開発",
                "Business Development",
                2,
                (_section("事業開発", "Business Development"),),
                job="事業開発",
            ),
            _dept("広報・IR", "PR & IR", 1.5, (_section("広報・IR", "PR & IR"),), job="広報"),
        ),
    ),
    _Unit(
        "内部監査室",
        "Internal Audit Office",
        0,
        job="内部監査",
        opened=dt.date(2016, 4, 1),
        female=0.35,
        place="tokyo",
        fixed=3,
    ),
    _Unit(
        "営業本部",
        "Sales Division",
        25,
        job="営業",
        opened=FOUNDED,
        female=0.3,
        always_grouped=True,
        fixed_teams=(_section("営業企画", "Sales Planning", fixed=4, job="営業企画"),),
        groups=(
            _dept(
                "営業",
                "Sales",
                1,
                (_section("営業", "Sales"),),
                min_count=2,
                places=("tokyo", "west", "tokyo", "kyushu", "tokyo", "west"),
            ),
        ),
    ),
    _Unit(
        "カスタマーサクセス部",
        "Customer Success Dept.",
        11,
        job="カスタマーサクセス",
        opened=dt.date(2009, 10, 1),
        female=0.55,
        large_name="カスタマーサクセス本部",
        large_name_en="Customer Success Division",
        groups=(
            _dept(
                "オンボーディング", "Onboarding", 2, (_section("オンボーディング", "Onboarding"),)
            ),
            _dept(
                "カスタマーサクセス",
                "Customer Success",
                4,
                (_section("カスタマーサクセス", "Customer Success"),),
            ),
            _dept(
                "カスタマーサポート",
                "Customer Support",
                4,
                (_section("カスタマーサポート", "Customer Support"),),
                job="カスタマーサポート",
                places=("support",),
            ),
        ),
    ),
    _Unit(
        "開発本部",
        "Engineering Division",
        30,
        job="エンジニア",
        opened=FOUNDED,
        female=0.2,
        place="eng",
        always_grouped=True,
        groups=(
            _dept(
                "プロダクト開発",
                "Product Development",
                5,
                (
                    _team("Webアプリ", "Web App", 3),
                    _team("モバイル", "Mobile", 2),
                    _team("UXデザイン", "UX Design", 1, job="デザイナー"),
                    _team("AIプロダクト", "AI Product", fixed=5, new=True),
                ),
            ),
            _dept(
                "プラットフォーム",
                "Platform Engineering",
                3,
                (
                    _team("プラットフォーム", "Platform", 2),
                    _team("SRE", "SRE", 1.5),
                    _team("データ基盤", "Data Platform", 1.5),
                    _team("セキュリティ", "Security", 0.7),
                ),
            ),
            _dept(
                "品質保証",
                "Quality Assurance",
                1.2,
                (_team("QA", "QA"),),
                job="QAエンジニア",
            ),
        ),
    ),
    _Unit(
        "マーケティング部",
        "Marketing Dept.",
        5.5,
        job="マーケティング",
        opened=dt.date(2008, 4, 1),
        female=0.5,
        large_name="マーケティング本部",
        large_name_en="Marketing Division",
        groups=(
            _dept(
                "デジタルマーケティング",
                "Digital Marketing",
                3,
                (_section("デジタルマーケティング", "Digital Marketing"),),
            ),
            _dept(
                "インサイドセールス",
                "Inside Sales",
                3,
                (_section("インサイドセールス", "Inside Sales"),),
                job="インサイドセールス",
            ),
            _dept(
                "ブランドマーケティング",
                "Brand Marketing",
                1.5,
                (_section("ブランドマーケティング", "Brand Marketing"),),
            ),
        ),
    ),
    _Unit(
        "人事部",
        "Human Resources Dept.",
        3,
        job="人事",
        opened=dt.date(2007, 4, 1),
        female=0.6,
        place="tokyo",
        large_name="人事本部",
        large_name_en="Human Resources Division",
        groups=(
            _dept("人事企画", "HR Planning", 1, (_section("人事企画", "HR Planning"),)),
            _dept("採用", "Recruiting", 1.5, (_section("採用", "Recruiting"),)),
            _dept("労務", "Labor Relations", 1, (_section("労務", "Labor Relations"),)),
            _dept(
                "人材開発",
                "Learning & Development",
                0.8,
                (_section("人材開発", "Learning & Development"),),
            ),
        ),
    ),
    _Unit(
        "コーポレート本部",
        "Corporate Division",
        5.5,
        job="管理部門",
        opened=FOUNDED,
        female=0.5,
        place="tokyo",
        fixed_teams=(_section("法務", "Legal", fixed=4, job="法務"),),
        groups=(
            _dept("経理", "Accounting", 2, (_section("経理", "Accounting"),), job="経理"),
            _dept(
                "総務", "General Affairs", 1.5, (_section("総務", "General Affairs"),), job="総務"
            ),
            _dept("情報システム", "IT", 1.5, (_section("情報システム", "IT"),), job="情報システム"),
        ),
    ),
)


def _unit_position(name: str) -> int:
    return next(i for i, unit in enumerate(UNITS, start=1) if unit.name == name)


SALES_UNIT = _unit_position("営業本部")
ENGINEERING_UNIT = _unit_position("開発本部")
HR_UNIT = _unit_position("人事部")


# --- The plan (pure Python) ----------------------------------------------------------------


@dataclass(eq=False)
class _Dept:
    name: str
    name_en: str
    parent: _Dept | None
    unit: int  # position of the top-level unit in UNITS, 0 for the company itself
    job: str
    place: str
    female: float
    size: int = 0  # people whose department this is, the head included
    fixed: bool = False
    new: bool = False
    family: Hashable = None  # the template it was stamped from, for numbering and dates
    seq: int = 0
    patterns: tuple[str, str, str, str] = ("", "", "", "")  # name, name_en, many, many_en
    children: list[_Dept] = field(default_factory=list)
    code: str = ""
    sort_order: int = 0
    opened: dt.date = FOUNDED
    head: _Person | None = None
    pk: int | None = None

    def __post_init__(self) -> None:
        if self.parent is not None:
            self.parent.children.append(self)

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def head_level(self) -> str:
        if self.parent is None:
            return EXECUTIVE_LEVEL
        if self.name.endswith("本部"):
            return "本部長"
        if self.name.endswith("統括部"):
            return "統括部長"
        return "部長" if self.name.endswith("部") else "課長"

    def walk(self) -> list[_Dept]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass
class _Segment:
    """One history row: from ``start`` until the next segment's start."""

    start: dt.date
    dept: _Dept
    level: str
    kind: str


@dataclass(eq=False)
class _Person:
    dept: _Dept
    order: int
    head_of: _Dept | None = None
    gender: str = ""
    birth_year: int = 1990
    show_birth_year: bool = True
    hire: dt.date = FOUNDED
    entry: str = "中途"
    level: str = "一般"
    kind: str = FULL_TIME
    loc_u: float = 0.0
    leave: dt.date | None = None
    reason: str = ""
    title: str = ""
    recent: bool = False
    frozen: bool = False  # login people and transferees: no further random events
    moved_from: _Dept | None = None
    earlier: list[_Segment] = field(default_factory=list)
    changed_on: dt.date | None = None
    names: tuple[str, str, str, str, str, str] = ("", "", "", "", "", "")
    number: str = ""
    email: str = ""
    login: str = ""
    pk: int | None = None

    def segments(self) -> list[_Segment]:
        current = _Segment(self.changed_on or self.hire, self.dept, self.level, self.kind)
        return [*self.earlier, current]

    def manager_in(self, dept: _Dept) -> _Person | None:
        """Reports to the department's head; a head reports to the parent's head."""
        if self.head_of is dept:
            return dept.parent.head if dept.parent is not None else None
        return dept.head

    def custom_in(self, dept: _Dept) -> dict[str, str]:
        custom = {"職種": dept.job, "入社区分": self.entry}
        if self.title:
            custom["役職"] = self.title
        return custom


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment: whole shares proportional to ``weights`` that add
    up to exactly ``total``, so the headcount lands on the requested number."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    raw = [total * w / weight_sum for w in weights]
    shares = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _split_min(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Like ``_split`` but drops the lightest parts until each remaining one gets at least
    ``minimum`` people (a one-person 課 is not a team)."""
    alive = list(range(len(weights)))
    while True:
        shares = _split(total, [weights[i] for i in alive])
        small = [i for i, share in zip(alive, shares, strict=True) if share < minimum]
        if not small:
            break
        if len(alive) == 1:
            return [0] * len(weights)  # too few for any team: the caller keeps them
        alive.remove(min(small, key=lambda i: (weights[i], -i)))
    out = [0] * len(weights)
    for i, share in zip(alive, shares, strict=True):
        out[i] = share
    return out


def _add_days(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def _month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


class _Planner:
    """Builds the whole company in memory; ``build_demo`` then writes it."""

    def __init__(self, employees: int, seed: int, today: dt.date) -> None:
        self.n = employees
        self.rng = random.Random(seed)
        # the turnover story draws from its own stream, so the rest of the company is the
        # same with or without it
        self.story_rng = random.Random(seed * 31 + 7)
        self.today = today
        self.window_start = _add_days(today, -HISTORY_DAYS)
        self.latest_opening = _add_days(self.window_start, -365)
        self.people: list[_Person] = []
        self.leavers: list[_Person] = []
        self.root = _Dept(COMPANY_NAME, COMPANY_NAME_EN, None, 0, "経営", "tokyo", 0.2)
        self.counters: dict[Hashable, int] = {}
        # Personnel changes in Japan cluster on 1 April and 1 October (定期異動).
        self.change_days = [
            day
            for year in range(self.window_start.year, today.year + 1)
            for day in (dt.date(year, 4, 1), dt.date(year, 10, 1))
            if self.window_start < day <= today
        ]
        self.intake_days = [d for d in self.change_days if d.month == 4]

    # -- departments ------------------------------------------------------------------

    def plan_departments(self) -> list[_Dept]:
        directors = 2 + self.n // 3000
        self.root.size = 1 + directors
        fixed = sum(unit.fixed for unit in UNITS)
        shares = _split(self.n - self.root.size - fixed, [u.weight for u in UNITS])
        for index, (unit, share) in enumerate(zip(UNITS, shares, strict=True), start=1):
            self._plan_unit(unit, index, unit.fixed or share)
        departments = self.root.walk()
        width = 2 * max(d.depth for d in departments)
        self.root.code = "0" * width
        self._name_and_code(self.root, "", width)
        self._open(self.root)
        return departments

    def _plan_unit(self, unit: _Unit, index: int, size: int) -> None:
        grouped = unit.always_grouped or (size > PROMOTE_AT and bool(unit.groups))
        name = unit.large_name if grouped and unit.large_name else unit.name
        name_en = unit.large_name_en if grouped and unit.large_name_en else unit.name_en
        node = _Dept(name, name_en, self.root, index, unit.job, unit.place, unit.female)
        fixed_total = sum(team.fixed for team in unit.fixed_teams)
        if unit.fixed or (not grouped and not unit.fixed_teams and size <= LEAF_MAX):
            node.size, node.fixed = size, bool(unit.fixed)
            return
        node.size = 1
        rest = size - 1
        if rest >= fixed_total:
            for team in unit.fixed_teams:
                self._leaf(node, team, team.fixed, team.job or unit.job, unit.place)
            rest -= fixed_total
        if grouped:
            shares = _split_min(rest, [g.weight for g in unit.groups], MIN_TEAM)
            for group, share in zip(unit.groups, shares, strict=True):
                if share:
                    self._plan_group(node, group, share)
        else:
            families = [(t, g) for g in unit.groups for t in g.teams if not t.fixed]
            weights = [
                g.weight * t.weight / sum(x.weight for x in g.teams if not x.fixed)
                for t, g in families
            ]
            shares = _split_min(rest, weights, MIN_TEAM)
            for (team, group), share in zip(families, shares, strict=True):
                if share:
                    place = group.places[0] if group.places else unit.place
                    self._teams(node, team, share, team.job or group.job or unit.job, place)
        node.size += size - sum(d.size for d in node.walk())

    def _plan_group(self, unit_node: _Dept, group: _Group, share: int) -> None:
        """One or more 部 for ``share`` people; past MAX_SIBLINGS of them, 統括部 of about
        five 部 each go in between so no 本部 lists dozens of 部."""
        count = max(group.min_count, int(share / group.unit + 0.5))
        count = max(1, min(count, share // MIN_TEAM))
        if count <= MAX_SIBLINGS:
            self._group_instances(unit_node, group, share, count, first=True)
            return
        per_cluster = _split(count, [1] * -(-count // 5))
        for k, (instances, size) in enumerate(
            zip(per_cluster, _split(share, per_cluster), strict=True)
        ):
            place = group.places[0] if group.places else unit_node.place
            job = group.job or unit_node.job
            node = _Dept("", "", unit_node, unit_node.unit, job, place, unit_node.female, size=1)
            node.family = ("cluster", id(group))
            node.patterns = (group.cluster, group.cluster_en, group.cluster, group.cluster_en)
            node.seq = self._next(node.family)
            self._group_instances(node, group, size - 1, instances, first=k == 0)

    def _group_instances(
        self, parent: _Dept, group: _Group, share: int, count: int, *, first: bool
    ) -> None:
        fixed_total = sum(team.fixed for team in group.teams)
        job = group.job or parent.job
        for k, size in enumerate(_split(share, [1] * count)):
            node = _Dept("", "", parent, parent.unit, job, parent.place, parent.female)
            node.family, node.seq = id(group), self._next(id(group))
            node.patterns = (group.name, group.name_en, group.many, group.many_en)
            if group.places:
                node.place = group.places[(node.seq - 1) % len(group.places)]
            with_fixed = first and k == 0 and size - 1 - fixed_total >= MIN_TEAM
            if size <= LEAF_MAX and not with_fixed:
                node.size = size
                continue
            node.size = 1
            rest = size - 1
            if with_fixed:
                for team in group.teams:
                    if team.fixed:
                        self._leaf(node, team, team.fixed, team.job or job, node.place)
                rest -= fixed_total
            families = [t for t in group.teams if not t.fixed]
            shares = _split_min(rest, [t.weight for t in families], MIN_TEAM)
            for team, team_share in zip(families, shares, strict=True):
                if team_share:
                    self._teams(node, team, team_share, team.job or job, node.place)
            node.size += rest - sum(shares)

    def _teams(self, parent: _Dept, team: _Team, share: int, job: str, place: str) -> None:
        count = max(1, int(share / TEAM_TARGET + 0.5))
        for size in _split(share, [1] * count):
            self._leaf(parent, team, size, job, place)

    def _leaf(self, parent: _Dept, team: _Team, size: int, job: str, place: str) -> None:
        node = _Dept("", "", parent, parent.unit, job, place, parent.female, size=size)
        node.family, node.seq = id(team), self._next(id(team))
        node.patterns = (team.name, team.name_en, team.many, team.many_en)
        node.fixed, node.new = bool(team.fixed), team.new

    def _next(self, family: Hashable) -> int:
        self.counters[family] = self.counters.get(family, 0) + 1
        return self.counters[family]

    def _name_and_code(self, node: _Dept, code: str, width: int) -> None:
        """Name numbered families once their count is known (営業課 alone, 営業1課… when
        several; numbers run across the whole unit so names stay unique), and give codes
        by position, two digits per level (営業本部 300000, its 営業1部 300200, …)."""
        for position, child in enumerate(node.children, start=1):
            if child.family is not None:
                single = self.counters[child.family] == 1
                one, one_en, many, many_en = child.patterns
                child.name = one if single else many.format(n=child.seq)
                child.name_en = one_en if single else many_en.format(n=child.seq)
            pair = position * 10 if node.parent is None else position
            child_code = code + f"{pair:02d}"
            child.code = child_code.ljust(width, "0")
            child.sort_order = position * 10
            self._name_and_code(child, child_code, width)

    def _open(self, node: _Dept) -> None:
        """Opening dates, top down: a department opens on or after its parent, numbered
        siblings in number order, all at least a year before the history window (except
        the one team founded inside it)."""
        if node.parent is None:
            node.opened = FOUNDED
        by_family: dict[Hashable, list[_Dept]] = {}
        for child in node.children:
            by_family.setdefault(child.family, []).append(child)
        for family_children in by_family.values():
            dates = sorted(self._opening(node.opened) for _ in family_children)
            for child, opened in zip(family_children, dates, strict=True):
                child.opened = opened
        for child in node.children:
            if node.parent is None:
                child.opened = UNITS[child.unit - 1].opened
            if child.new:
                child.opened = self.new_team_day()
            self._open(child)

    def _opening(self, after: dt.date) -> dt.date:
        if after >= self.latest_opening:
            return after
        span = (self.latest_opening - after).days
        day = _add_days(after, self.rng.randint(0, span))
        first = day.replace(day=1)
        return first if first >= after else after

    def new_team_day(self) -> dt.date:
        """The latest 1 April or 1 October at least 45 days ago: a team founded this year."""
        limit = _add_days(self.today, -45)
        candidates = [
            dt.date(year, month, 1)
            for year in (limit.year - 1, limit.year)
            for month in (4, 10)
            if dt.date(year, month, 1) <= limit
        ]
        return max(candidates)

    # -- people -----------------------------------------------------------------------

    def plan_people(self, departments: list[_Dept]) -> None:
        for dept in departments:
            for i in range(dept.size):
                person = _Person(dept=dept, order=len(self.people))
                if i == 0:
                    person.head_of, dept.head = dept, person
                self.people.append(person)
        self._choose_logins(departments)
        self._new_team(departments)
        self._recent_hires()
        for person in self.people:
            if not person.recent and person.moved_from is None:
                self._tenured(person)
        for person in self.people:
            self._profile(person)
            if person.moved_from is not None:
                # the new team's head was a 係長 before being made its 課長
                before = MEMBER_LEVELS[2] if person.head_of else person.level
                segment = _Segment(person.hire, person.moved_from, before, person.kind)
                person.earlier = [segment]
        self._leavers(departments)
        self._turnover_story(departments)
        self._moves(departments)
        self._names()

    def _choose_logins(self, departments: list[_Dept]) -> None:
        """The people behind the hr/manager/employee/executive logins: tenured, unmoved,
        so the demo script reads the same on every date."""
        _head(self.root).login = Role.EXECUTIVE
        engineering = next(d for d in self.root.children if d.unit == ENGINEERING_UNIT)
        _head(engineering).login = Role.MANAGER
        hr_members = [p for p in self.people if p.dept.unit == HR_UNIT and p.head_of is None] or [
            p for p in self.people if p.head_of is None
        ]
        self.rng.choice(hr_members).login = Role.HR
        small = [
            d
            for d in departments
            if d.fixed and d.unit == SALES_UNIT and not d.children and d.size > 1
        ] or [d for d in departments if not d.children and 1 < d.size <= 4]
        members = [p for p in self.people if p.dept in small and p.head_of is None and not p.login]
        members = members or [p for p in self.people if p.head_of is None and not p.login]
        self.rng.choice(members).login = Role.EMPLOYEE
        for person in self.people:
            if person.login:
                person.frozen = True

    def _new_team(self, departments: list[_Dept]) -> None:
        """The AI team opened this year: its head and two members moved in from other
        engineering teams on the opening day, the rest were hired after it."""
        for team in (d for d in departments if d.new):
            sources = [
                d
                for d in departments
                if d.unit == team.unit and not d.children and not d.new and d is not team
            ] or [team.parent or team]
            members = [p for p in self.people if p.dept is team]
            for i, person in enumerate(members):
                person.frozen = True
                if i < 3:
                    person.moved_from = self.rng.choice(sources)
                    self._tenured(person, home=person.moved_from)
                    person.changed_on = team.opened
                else:
                    person.recent = True
                    day = self._date_between(_add_days(team.opened, 1), self.today)
                    person.hire = min(self._joining_day(day), self.today)

    def _recent_hires(self) -> None:
        """Pick who joined inside the window so that, with the leavers, the headcount two
        years ago comes out at n / (1 + growth)²."""
        then = self.n / (1 + GROWTH) ** 2
        leavers = round(TURNOVER * HISTORY_DAYS / 365 * (then + self.n) / 2)
        early = round(leavers * EARLY_CHURN)
        self.leaver_count, self.early_churn = leavers, early
        target = round(self.n - then + (leavers - early))
        already = sum(1 for p in self.people if p.recent)
        pool = [
            p for p in self.people if p.head_of is None and not p.frozen and p.dept is not self.root
        ]
        chosen = self.rng.sample(pool, min(len(pool), max(0, target - already)))
        chosen.sort(key=lambda p: p.order)
        slots = len(chosen)
        for i, person in enumerate(chosen):
            person.recent = True
            if self.intake_days and self.rng.random() < 0.4:
                person.entry = "新卒"
                person.hire = self.rng.choice(self.intake_days)
            else:
                # stratified over the window so both years get their share of hires
                offset = int((i + self.rng.random()) * HISTORY_DAYS / slots)
                day = self._joining_day(_add_days(self.window_start, max(1, offset)))
                person.hire = min(day, self.today)

    def _joining_day(self, day: dt.date) -> dt.date:
        """Mid-career joiners mostly start on the 1st or the 16th, else on a weekday."""
        r = self.rng.random()
        if r < 0.75 and day.day != 1:
            return _month_end(day) + dt.timedelta(days=1)
        if r < 0.9:
            return day.replace(day=16) if day.day <= 16 else _month_end(day) + dt.timedelta(1)
        return _add_days(day, max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)

    def _tenured(self, person: _Person, home: _Dept | None = None) -> None:
        """Hired before the window: heads on the day their department opened (so every
        manager in the history was on the payroll), others any time after that."""
        dept = home or person.dept
        if person.head_of is not None and home is None:
            person.hire = dept.opened
            return
        if dept is self.root:
            person.hire = self._date_between(FOUNDED, dt.date(2012, 3, 31))
            return
        start, end = dept.opened, _add_days(self.window_start, -1)
        aprils = [dt.date(y, 4, 1) for y in range(start.year, end.year + 1)]
        aprils = [d for d in aprils if start <= d <= end]
        if aprils and self.rng.random() < 0.4:
            person.entry = "新卒"
            # the company grew: later cohorts were larger
            weights = [1.15**i for i in range(len(aprils))]
            person.hire = self.rng.choices(aprils, weights=weights)[0]
            return
        span = (end - start).days
        day = self._joining_day(_add_days(start, int(span * self.rng.random() ** 0.7)))
        person.hire = min(day, end)

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return _add_days(start, self.rng.randint(0, (end - start).days))

    def _profile(self, person: _Person) -> None:
        """Gender, age, grade, contract and site, in keeping with the role and the era."""
        rng = self.rng
        dept = person.dept
        head = person.head_of is not None
        female = dept.female * (0.45 if head else 1.0)
        r = rng.random()
        if r < 0.035:
            person.gender = ""
        elif r < 0.05:
            person.gender = Gender.UNDISCLOSED.value
        elif r < 0.058:
            person.gender = Gender.OTHER.value
        else:
            person.gender = Gender.FEMALE.value if rng.random() < female else Gender.MALE.value
        if head:
            low, high = {
                EXECUTIVE_LEVEL: (38, 38),
                "本部長": (36, 46),
                "部長": (32, 44),
            }.get(dept.head_level, (28, 40))
            age = rng.randint(low, high)
            person.level = dept.head_level
        elif dept is self.root:
            age = rng.randint(40, 52)
            person.level, person.title = EXECUTIVE_LEVEL, "取締役"
        elif person.entry == "新卒":
            age = rng.choices((22, 23, 24), weights=(7, 1, 2))[0]
        else:
            age = 24 + int(rng.random() ** 1.6 * 22)
        if person is self.root.head:
            person.title = "代表取締役社長"
        person.birth_year = person.hire.year - age
        if self.today.year - person.birth_year > 63:
            person.birth_year = self.today.year - rng.randint(52, 63)
        person.show_birth_year = rng.random() > 0.03
        if not head and dept is not self.root:
            person.kind = self._employment(person)
            person.level = self._grade(person)
        person.loc_u = rng.random()

    def _employment(self, person: _Person) -> str:
        if person.entry == "新卒" or person.frozen:
            return FULL_TIME
        part_time = 0.15 if person.dept.job == "カスタマーサポート" else 0.06
        r = self.rng.random()
        if r < 0.07:
            return EmploymentType.CONTRACT.value
        if r < 0.07 + part_time:
            return EmploymentType.PART_TIME.value
        if r < 0.08 + part_time:
            return EmploymentType.TEMPORARY.value
        return FULL_TIME

    def _grade(self, person: _Person) -> str:
        if person.kind != FULL_TIME:
            return MEMBER_LEVELS[0]
        age = self.today.year - person.birth_year
        leader = min(0.35, max(0.0, (age - 30) * 0.035))
        senior = min(0.45, max(0.0, (age - 25) * 0.06))
        r = self.rng.random()
        if r < leader:
            return MEMBER_LEVELS[2]
        return MEMBER_LEVELS[1] if r < leader + senior else MEMBER_LEVELS[0]

    def _leavers(self, departments: list[_Dept]) -> None:
        """People who left in the window, spread evenly over it (mostly resignations)."""
        teams = [d for d in departments if not d.children and not d.new and d is not self.root]
        cumulative = list(itertools.accumulate(d.size for d in teams))
        count = self.leaver_count
        early = set(self.rng.sample(range(count), min(count, self.early_churn)))
        for i in range(count):
            # stratified over the window; 3 days' margin so a weekend shift stays inside
            span = HISTORY_DAYS - 3
            offset = span - int((i + self.rng.random()) * span / count)
            leave = _add_days(self.today, -max(1, offset))
            if self.rng.random() < 0.55 and _month_end(leave) < self.today:
                leave = _month_end(leave)  # most people leave at a month's end
            elif leave.weekday() >= 5:
                leave = _add_days(leave, 4 - leave.weekday())  # else their last Friday
            pick = self.rng.random() * cumulative[-1]
            dept = teams[bisect.bisect_right(cumulative, pick)]
            person = _Person(dept=dept, order=len(self.people) + len(self.leavers))
            person.leave = leave
            latest_hire = _add_days(leave, -60)
            if i in early and latest_hire > self.window_start:
                person.recent = True
                day = self._date_between(_add_days(self.window_start, 1), latest_hire)
                person.hire = min(self._joining_day(day), latest_hire)
            else:
                self._tenured(person)
            self._profile(person)
            r = self.rng.random()
            if person.kind == EmploymentType.CONTRACT.value and r < 0.6:
                person.reason = LeaveReason.CONTRACT_END.value
            elif not person.recent and r < 0.07:
                person.reason = LeaveReason.RETIREMENT.value
                person.birth_year = leave.year - 60  # 定年
                person.kind, person.level = FULL_TIME, MEMBER_LEVELS[2]
            elif r < 0.86:
                person.reason = LeaveReason.VOLUNTARY.value
            elif r < 0.92:
                person.reason = LeaveReason.INVOLUNTARY.value
            else:
                person.reason = LeaveReason.OTHER.value
            self.leavers.append(person)

    def _turnover_story(self, departments: list[_Dept]) -> None:
        """The survey story's declining department (カスタマーサクセス部) loses people while
        its engagement falls: during the months of the falling pulse waves its voluntary
        leavers run at about STORY_FACTOR × the company's monthly rate. Leavers the plan
        already has in those months are moved there from other departments, so the company's
        own turnover, headcount and everything else stay as they were."""
        from kizuna.engagement.demo import DECLINE_WAVES, DECLINING_DEPARTMENT_NAME, _wave_dates

        unit = next(
            (u for u, spec in enumerate(UNITS, 1) if spec.name == DECLINING_DEPARTMENT_NAME), 0
        )
        teams = [d for d in departments if d.unit == unit and not d.children and not d.new]
        if not unit or not teams:
            return
        waves = _wave_dates(self.today)
        first = waves[DECLINE_WAVES.start - 1][0].replace(day=1)
        last = _month_end(waves[DECLINE_WAVES.stop - 2][1])
        in_window = [p for p in self.leavers if p.leave and first <= p.leave <= last]
        share = sum(d.size for d in departments if d.unit == unit) / max(1, self.n)
        target = round(STORY_FACTOR * share * len(in_window))
        have = sum(1 for p in in_window if p.dept.unit == unit)
        others = [p for p in in_window if p.dept.unit != unit and p.head_of is None]
        self.story_rng.shuffle(others)
        for person in others:
            if have >= target:
                break
            options = [d for d in teams if d.opened <= person.hire]
            if not options:
                continue
            person.dept = self.story_rng.choice(options)
            person.reason = LeaveReason.VOLUNTARY.value
            have += 1

    def _moves(self, departments: list[_Dept]) -> None:
        """Transfers, promotions and conversions to full-time on the usual change days."""
        if not self.change_days:
            return
        teams = [d for d in departments if not d.children and not d.new and d is not self.root]
        movable = [
            p for p in self.people if p.head_of is None and not p.frozen and p.dept is not self.root
        ]
        self.rng.shuffle(movable)
        years = HISTORY_DAYS / 365
        transfers = round(self.n * TRANSFER_RATE * years)
        promotions = round(self.n * PROMOTION_RATE * years)
        conversions = round(self.n * CONVERSION_RATE * years)
        for person in movable:
            if transfers <= 0:
                break
            day = self._change_day(person, 180)
            options = [
                d
                for d in teams
                if d is not person.dept and d.opened <= person.hire and d.unit == person.dept.unit
            ]
            if self.rng.random() < 0.3 or not options:
                options = [d for d in teams if d is not person.dept and d.opened <= person.hire]
            if day is None or not options:
                continue
            source = self.rng.choice(options)
            level = person.level
            if level in MEMBER_LEVELS[1:] and self.rng.random() < 0.3:
                level = MEMBER_LEVELS[MEMBER_LEVELS.index(level) - 1]
            self._change(person, day, _Segment(person.hire, source, level, person.kind))
            transfers -= 1
        for person in movable:
            if promotions <= 0:
                break
            day = self._change_day(person, 365)
            if person.frozen or day is None or person.level not in MEMBER_LEVELS[1:]:
                continue
            before = MEMBER_LEVELS[MEMBER_LEVELS.index(person.level) - 1]
            self._change(person, day, _Segment(person.hire, person.dept, before, person.kind))
            promotions -= 1
        for person in movable:
            if conversions <= 0:
                break
            day = self._change_day(person, 180)
            if person.frozen or day is None or person.kind != FULL_TIME or person.entry != "中途":
                continue
            if person.level != MEMBER_LEVELS[0]:
                continue
            contract = EmploymentType.CONTRACT.value
            self._change(person, day, _Segment(person.hire, person.dept, person.level, contract))
            conversions -= 1

    def _change_day(self, person: _Person, after_days: int) -> dt.date | None:
        days = [d for d in self.change_days if d >= _add_days(person.hire, after_days)]
        return self.rng.choice(days) if days else None

    def _change(self, person: _Person, day: dt.date, before: _Segment) -> None:
        person.earlier, person.changed_on, person.frozen = [before], day, True

    def _names(self) -> None:
        """Names, employee numbers (hire year + running number, as many Japanese companies
        do) and unique romaji email addresses, all in employee-number order."""
        everyone = sorted(self.people + self.leavers, key=lambda p: (p.hire, p.order))
        family_weights = list(itertools.accumulate(1 / (i + 8) for i in range(len(FAMILY_NAMES))))
        per_year: dict[int, int] = {}
        used: set[str] = set()
        taken: set[tuple[str, str]] = set()
        for person in everyone:
            for _attempt in range(6):  # namesakes happen, but not by the dozen
                family = self.rng.choices(FAMILY_NAMES, cum_weights=family_weights)[0]
                given = self._given_name(person.gender, person.birth_year)
                if (family[0], given[0]) not in taken:
                    break
            taken.add((family[0], given[0]))
            person.names = (family[0], given[0], family[1], given[1], family[2], given[2])
            per_year[person.hire.year] = per_year.get(person.hire.year, 0) + 1
            person.number = f"{person.hire.year}{per_year[person.hire.year]:04d}"
            if person.login:
                person.email = f"{person.login}@{DEMO_DOMAIN}"
                continue
            base = f"{given[2]}.{family[2]}".lower()
            email, suffix = base, 1
            while email in used:
                suffix += 1
                email = f"{base}{suffix}"
            used.add(email)
            person.email = f"{email}@{DEMO_DOMAIN}"

    def _given_name(self, gender: str, birth_year: int) -> tuple[str, str, str, str]:
        if gender == Gender.FEMALE.value:
            names = FEMALE_GIVEN_NAMES
        elif gender == Gender.MALE.value:
            names = MALE_GIVEN_NAMES
        else:
            names = FEMALE_GIVEN_NAMES if self.rng.random() < 0.5 else MALE_GIVEN_NAMES
        era = "old" if birth_year < 1975 else "mid" if birth_year <= 1990 else "young"
        return self.rng.choice([n for n in names if n[3] in (era, "any")])

    def login_name(self) -> str:
        """A display name for a login with no employee record (admin, csm, …)."""
        family = self.rng.choice(FAMILY_NAMES[:40])
        given = self._given_name(
            Gender.FEMALE.value if self.rng.random() < 0.5 else Gender.MALE.value, 1988
        )
        return f"{family[0]} {given[0]}"


def _pk(item: _Dept | _Person) -> int:
    if item.pk is None:
        raise ValueError("written out of order: no primary key yet")
    return item.pk


def _head(dept: _Dept) -> _Person:
    if dept.head is None:
        raise ValueError(f"{dept.name} has no head")
    return dept.head


def _place(profile: str, u: float) -> str:
    thresholds = PLACES.get(profile, PLACES["default"])
    return SITES[min(bisect.bisect_right(thresholds, u), len(SITES) - 1)]


# --- Writing -------------------------------------------------------------------------------


def _logins(names: dict[str, str]) -> list[DemoLogin]:
    return [
        DemoLogin(role, f"{role}@{DEMO_DOMAIN}", DEMO_PASSWORD, names.get(role, ""))
        for role in DEMO_ROLES
    ]


def _existing_logins() -> list[DemoLogin]:
    users = User.objects.filter(email__in=[f"{r}@{DEMO_DOMAIN}" for r in DEMO_ROLES])
    names = {user.email.split("@")[0]: user.display_name for user in users}
    return _logins(names)


def build_demo(
    employees: int = 300,
    *,
    seed: int = 20261126,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Create 株式会社サンプル with about ``employees`` active people on ``today`` and two
    years of history, plus one login per role (password ``DEMO_PASSWORD``).

    Idempotent: when the organisation is already the demo, nothing is written and the
    logins are returned with ``created=False``. Refuses (``DemoError``) to mix the demo
    into a database that already holds departments or employees.
    """
    if not MIN_EMPLOYEES <= employees <= MAX_EMPLOYEES:
        raise ValueError(f"employees must be between {MIN_EMPLOYEES} and {MAX_EMPLOYEES}")
    report = progress or (lambda message: None)
    if Organization.current().is_demo:
        return DemoResult(created=False, logins=_existing_logins())
    if Department.objects.exists() or Employee.objects.exists():
        raise DemoError(
            _("The database already holds departments or employees; the demo needs an empty one.")
        )
    if User.objects.filter(email__in=[f"{role}@{DEMO_DOMAIN}" for role in DEMO_ROLES]).exists():
        raise DemoError(_("A demo login address is already taken by another user."))
    today = today or timezone.localdate()
    if today < FOUNDED + dt.timedelta(days=HISTORY_DAYS + 5 * 365):
        raise ValueError("today must leave room for the company's history (2012 or later)")

    report(_("Planning the sample company (%(count)s employees)…") % {"count": f"{employees:,}"})
    planner = _Planner(employees, seed, today)
    departments = planner.plan_departments()
    planner.plan_people(departments)
    names = {p.login: f"{p.names[0]} {p.names[1]}" for p in planner.people if p.login}
    for role in DEMO_ROLES:
        names.setdefault(role, planner.login_name())
    password = make_password(DEMO_PASSWORD)  # once: Argon2 is deliberately slow

    with transaction.atomic():
        organization = Organization.current()
        if organization.is_demo:  # another process got here first
            return DemoResult(created=False, logins=_existing_logins())
        organization.name, organization.name_en = COMPANY_NAME, COMPANY_NAME_EN
        organization.fiscal_year_start_month = 4
        organization.is_demo = True
        organization.save()

        report(_("Creating the demo logins…"))
        users = {role: _user(role, names[role], password) for role in DEMO_ROLES}
        report(_("Creating %(count)s departments…") % {"count": f"{len(departments):,}"})
        _write_departments(departments)
        everyone = planner.people + planner.leavers
        report(_("Creating %(count)s employee records…") % {"count": f"{len(everyone):,}"})
        _write_employees(everyone, departments, users)
        report(_("Writing the history…"))
        _write_history(everyone, departments)
        services.rebuild_paths()

    report(
        _("Done: %(active)s employees today, %(leavers)s leavers in the last two years.")
        % {"active": f"{len(planner.people):,}", "leavers": f"{len(planner.leavers):,}"}
    )
    return DemoResult(created=True, logins=_logins(names))


def _user(role: str, name: str, password: str) -> User:
    user = User.objects.create(email=f"{role}@{DEMO_DOMAIN}", display_name=name, password=password)
    access.set_roles(user, {role})
    return user


def _write_departments(departments: list[_Dept]) -> None:
    """Parents before children, one insert per level, so every parent id is known."""
    for _depth, level in itertools.groupby(
        sorted(departments, key=lambda d: d.depth), key=lambda d: d.depth
    ):
        nodes = list(level)
        rows = Department.objects.bulk_create(
            [
                Department(
                    code=d.code,
                    name=d.name,
                    name_en=d.name_en,
                    parent_id=d.parent.pk if d.parent else None,
                    sort_order=d.sort_order,
                    opened_on=d.opened,
                )
                for d in nodes
            ],
            batch_size=1000,
        )
        for node, row in zip(nodes, rows, strict=True):
            node.pk = row.pk


def _write_employees(
    everyone: list[_Person], departments: list[_Dept], users: dict[str, User]
) -> None:
    """Heads first, top level down, so every manager id exists when its reports are
    inserted; then everyone else in one go. No second pass over 10,000 rows."""
    heads = [p for p in everyone if p.head_of is not None]
    heads.sort(key=lambda p: p.head_of.depth if p.head_of else 0)
    tiers = [
        list(g)
        for _k, g in itertools.groupby(heads, key=lambda p: p.head_of.depth if p.head_of else 0)
    ]
    tiers.append([p for p in everyone if p.head_of is None])
    for tier in tiers:
        rows = Employee.objects.bulk_create(
            [_employee_row(p, users) for p in tier], batch_size=1000
        )
        for person, row in zip(tier, rows, strict=True):
            person.pk = row.pk
    Department.objects.bulk_update(
        [Department(pk=d.pk, head_id=d.head.pk if d.head else None) for d in departments],
        ["head"],
        batch_size=500,
    )


def _employee_row(person: _Person, users: dict[str, User]) -> Employee:
    manager = person.manager_in(person.dept)
    family, given, family_kana, given_kana = person.names[:4]
    return Employee(
        employee_number=person.number,
        family_name=family,
        given_name=given,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        email=person.email,
        hire_date=person.hire,
        leave_date=person.leave,
        leave_reason=person.reason,
        department_id=_pk(person.dept),
        manager_id=manager.pk if manager else None,
        job_level=person.level,
        employment_type=person.kind,
        location=_place(person.dept.place, person.loc_u),
        gender=person.gender,
        birth_year=person.birth_year if person.show_birth_year else None,
        custom=person.custom_in(person.dept),
        user_id=users[person.login].pk if person.login else None,
    )


def _write_history(everyone: list[_Person], departments: list[_Dept]) -> None:
    rows: list[EmployeeHistory] = []
    for person in everyone:
        segments = person.segments()
        for segment, following in itertools.zip_longest(segments, segments[1:]):
            manager = person.manager_in(segment.dept)
            rows.append(
                EmployeeHistory(
                    employee_id=_pk(person),
                    valid_from=segment.start,
                    valid_to=following.start if following else None,
                    department_id=_pk(segment.dept),
                    manager_id=manager.pk if manager else None,
                    job_level=segment.level,
                    employment_type=segment.kind,
                    location=_place(segment.dept.place, person.loc_u),
                    custom=person.custom_in(segment.dept),
                )
            )
    EmployeeHistory.objects.bulk_create(rows, batch_size=1000)
    DepartmentHistory.objects.bulk_create(
        [
            DepartmentHistory(
                department_id=_pk(d),
                name=d.name,
                parent_id=d.parent.pk if d.parent else None,
                valid_from=d.opened,
            )
            for d in departments
        ],
        batch_size=1000,
    )

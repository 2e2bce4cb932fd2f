"""The anonymity guard: the one module that decides which survey numbers may be shown.

METRICS.md §Anonymity is the specification. Every page, chart, export, CLI and API answer of
survey results asks this module which groups it may show (``guard_groups``, ``guard_tree``)
and passes its table through ``apply``, which nulls *every* value of a hidden group and says
why. The report layer cannot show a number without a visibility frame, and ``apply`` fails
closed: a group the guard did not vouch for is hidden.

How the guard thinks (why the rules look the way they do)

* A view is a *slice of a table*. ``by=[dept]`` filtered to ``gender=F`` shows the cells
  ``(dept, F)`` of the table by ``[dept, gender]``. Every view over the same attributes is a
  slice of the same table, suppressed the same way, so two requests can never disagree about
  a cell (one showing what the other hides).
* Tables are protected together with their margins (a *lattice*: the table by ``[a, b]``,
  its margins by ``[a]`` and ``[b]``, and the total). Each group and its breakdown by one
  attribute form a *line*: parent = sum of its children. In every line:

  1. a child with ``0 < n < k`` is hidden (``too_few``);
  2. if exactly one child is hidden, or the hidden children add up to fewer than k people,
     the next smallest visible child is hidden too (``complementary``) — so "parent minus
     the visible children" never isolates a small group. The parent is assumed to be shown
     somewhere whenever it has ``n >= k``, even if this table hides it;
  3. if the parent itself is hidden but all its children are visible, the smallest child is
     hidden, so the parent cannot be rebuilt from below.

  Rules repeat until nothing changes. A child that is the *only* member of a line whose
  parent is visible is never chosen as a complement (it equals its parent, so hiding it
  protects nothing); when no usable complement exists the view is refused (``too_detailed``).
  Ties are broken by the group key with the attributes in alphabetical order, so
  ``by=[a, b]`` and ``by=[b, a]`` hide the same cells.
* The department tree is a hierarchy: a department's subtree is the sum of its
  sub-departments' subtrees plus its *direct members* (a pseudo-child), and the direct
  member groups of all departments add up to the total (the line used by a view grouped by
  ``department_id``). The same rules run on these lines, so a tree view, a filter on a
  subtree and a view by ``department_id`` agree.
* Filters. A filtered population must have at least k respondents and must be a visible
  cell of the table by the filter attributes. Beyond that, every *atom* of the filters
  (each combination of "matches / does not match" each filter, and each listed value of a
  list filter) must be empty or have at least k people. That covers "one filter minus
  another" (dept vs dept∧tenure), a filter whose complement is small, list filters that
  differ by one value, and inclusion–exclusion over stacked filters
  (``total − A − F + A∧F``).
* An empty group and a group of 1..k−1 look the same to the viewer (both ``too_few``): a
  refusal must not tell whether one identifiable person answered.

Known limits (to repeat in the anonymity docs): the guard checks one request at a time over
the attributes that request uses (at most ``MAX_DIMENSIONS``) and keeps no history of a
viewer's requests, so sums over unions of cells of three or more attributes, or outside
knowledge of which cells are structurally empty (from the org chart), could still narrow
things down; the audit log records every view for that reason. Live results of an open
survey differ by the people who answered in between two views: show results after the
survey closes (``require_closed``).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kizuna.core import audit

if TYPE_CHECKING:
    from kizuna.surveys.models import Survey

# Reasons a cell is hidden (``reason`` column; translated by ``reason_text``).
TOO_FEW = "too_few"
COMPLEMENTARY = "complementary"
COMMENT_TOO_FEW = "comment_too_few"
REASONS = (TOO_FEW, COMPLEMENTARY, COMMENT_TOO_FEW)

# Codes of ``Refused`` (a request that must not be answered at all). TOO_FEW is shared.
DIFFERENCING = "differencing"
TOO_DETAILED = "too_detailed"
INVALID_THRESHOLD = "invalid_threshold"
UNKNOWN_ATTRIBUTE = "unknown_attribute"
SURVEY_OPEN = "survey_open"

MIN_K = 3
MAX_DIMENSIONS = 4

DEPARTMENT_ID = "department_id"
DEPARTMENT_PATH = "department_path"
# Filter key for "this department and everything below it"; the value is a department id.
SUBTREE = "subtree"

# Respondent attributes that may group or filter results (the demographic snapshot). Custom
# attributes flattened by the scoring layer as ``custom_<key>`` or ``custom.<key>`` too.
ATTRIBUTES = frozenset(
    {
        DEPARTMENT_ID,
        DEPARTMENT_PATH,
        "manager_id",
        "tenure_band",
        "job_level",
        "location",
        "employment_type",
        "gender",
        "age_band",
        # sensitive: offered to HR and admins only (engagement.views), guarded like the rest
        "performance_band",
    }
)
CUSTOM_PREFIXES = ("custom_", "custom.")


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class Policy:
    """The thresholds of one survey: results need ``k`` respondents, comments ``comment_k``."""

    k: int = 5
    comment_k: int = 10

    def __post_init__(self) -> None:
        if self.k < MIN_K:
            raise ValueError(f"k must be at least {MIN_K}, got {self.k}")
        if self.comment_k < self.k:
            raise ValueError(f"comment_k ({self.comment_k}) must be at least k ({self.k})")

    @classmethod
    def for_survey(cls, survey: Survey) -> Policy:
        """The survey's own thresholds; a survey configured below the floor is refused (its
        results are not shown at all) rather than silently clamped."""
        k = int(survey.min_group_size)
        comment_k = int(survey.comment_min_group_size)
        try:
            return cls(k=k, comment_k=comment_k)
        except ValueError:
            raise Refused(
                INVALID_THRESHOLD,
                _(
                    "This survey's anonymity settings are not allowed: the minimum group size "
                    "must be at least 3, and the minimum for comments at least the minimum "
                    "group size (%(k)s). Ask an administrator to correct them."
                )
                % {"k": max(k, MIN_K)},
            ) from None


class Refused(Exception):
    """A requested view that must not be answered at all. ``message`` is translated into the
    active language and says what to change."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _refused_too_few(k: int) -> Refused:
    return Refused(
        TOO_FEW,
        _(
            "Fewer than %(k)s people answered in this selection, so its results are hidden "
            "to protect anonymity. Remove a filter or choose a larger group."
        )
        % {"k": k},
    )


def _refused_differencing(k: int) -> Refused:
    return Refused(
        DIFFERENCING,
        _(
            "Compared with other selections, this one would reveal the answers of fewer than "
            "%(k)s people, so it cannot be shown. Remove a filter or choose a larger group."
        )
        % {"k": k},
    )


def _refused_too_detailed() -> Refused:
    return Refused(
        TOO_DETAILED,
        _(
            "This breakdown is too detailed to show without revealing hidden groups. "
            "Choose fewer attributes."
        ),
    )


def _refused_unknown(name: str) -> Refused:
    return Refused(
        UNKNOWN_ATTRIBUTE,
        _("“%(name)s” cannot be used to filter or group survey results.") % {"name": name},
    )


def reason_text(reason: str | None, policy: Policy) -> str:
    """The sentence shown next to the lock of a hidden value (UX.md: never 0, never blank)."""
    if reason == COMMENT_TOO_FEW:
        return _("Comments hidden: fewer than %(k)s respondents") % {"k": policy.comment_k}
    if reason == COMPLEMENTARY:
        return _("Hidden so that a smaller hidden group cannot be worked out from the others")
    return _("Hidden: fewer than %(k)s respondents") % {"k": policy.k}


def require_closed(survey: Survey) -> None:
    """Refuse results of a survey that is still open: two views a day apart differ by the
    people who answered in between, and the difference would be their answers."""
    from kizuna.surveys.models import SurveyStatus

    if survey.status != SurveyStatus.CLOSED:
        raise Refused(
            SURVEY_OPEN,
            _(
                "Results are shown after the survey closes, so that new answers cannot be "
                "worked out by comparing two views."
            ),
        )


# --------------------------------------------------------------------------- suppression


class _Graph:
    """Groups (nodes) and the lines "parent = sum of children" that tie them together, with
    the suppression rules of the module docstring run to a fixed point.

    Only groups with ``n > 0`` are children of a line. Each round computes every dirty
    line's pick from the same state and applies them together, so the result does not
    depend on the order lines were built in."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.n: list[int] = []
        self.rank: list[tuple[Any, ...]] = []
        self.hidden: list[bool] = []
        self.reason: list[str | None] = []
        self.lines: list[tuple[int, tuple[int, ...]]] = []
        self.member_of: list[list[int]] = []
        self.parent_of: list[list[int]] = []

    def add(self, n: int, rank: tuple[Any, ...]) -> int:
        self.n.append(n)
        self.rank.append(rank)
        self.hidden.append(False)
        self.reason.append(None)
        self.member_of.append([])
        self.parent_of.append([])
        return len(self.n) - 1

    def add_line(self, parent: int, children: Iterable[int]) -> None:
        members = tuple(sorted(c for c in children if self.n[c] > 0))
        if not members:
            return
        line = len(self.lines)
        self.lines.append((parent, members))
        self.parent_of[parent].append(line)
        for child in members:
            self.member_of[child].append(line)

    def hide(self, node: int, reason: str) -> None:
        if not self.hidden[node]:
            self.hidden[node] = True
            self.reason[node] = reason

    def _pinned(self, node: int) -> bool:
        """The only member of a line whose parent is visible equals that parent: hiding it
        would protect nothing."""
        return any(
            len(self.lines[line][1]) == 1 and not self.hidden[self.lines[line][0]]
            for line in self.member_of[node]
        )

    def _need(self, line: int) -> tuple[bool, list[int]]:
        parent, members = self.lines[line]
        if self.n[parent] < self.k:
            return False, []
        hidden = [c for c in members if self.hidden[c]]
        shown = [c for c in members if not self.hidden[c]]
        if not shown:
            return False, []
        hidden_sum = sum(self.n[c] for c in hidden)
        need = len(hidden) == 1 or 0 < hidden_sum < self.k or (self.hidden[parent] and not hidden)
        return need, shown

    def _pick(self, line: int) -> int | None:
        need, shown = self._need(line)
        if not need:
            return None
        candidates = [c for c in shown if not self._pinned(c)]
        if not candidates:
            return None
        return min(candidates, key=lambda c: (self.n[c], self.rank[c]))

    def settle(self) -> bool:
        """Run the rules to a fixed point. False when some line with a visible parent needs
        a complement and has none left (the table cannot be protected)."""
        for node, n in enumerate(self.n):
            if 0 < n < self.k:
                self.hide(node, TOO_FEW)
        dirty = set(range(len(self.lines)))
        while dirty:
            picks = {pick for line in dirty if (pick := self._pick(line)) is not None}
            dirty = set()
            for node in picks:
                if self.hidden[node]:
                    continue
                self.hide(node, COMPLEMENTARY)
                dirty.update(self.member_of[node])
                dirty.update(self.parent_of[node])
                for line in self.parent_of[node]:
                    for child in self.lines[line][1]:
                        dirty.update(self.member_of[child])  # no longer pinned
        return not any(
            self._need(line)[0]
            and not self.hidden[self.lines[line][0]]
            and self._pick(line) is None
            for line in range(len(self.lines))
        )


def _rank(values: Sequence[object]) -> tuple[tuple[bool, object], ...]:
    return tuple((v is None, 0 if v is None else v) for v in values)


# --------------------------------------------------------------------------- departments


def _path_ids(path: str | None) -> list[int]:
    return [int(part) for part in (path or "").split("/") if part]


@dataclass
class _Departments:
    """Suppression of the department hierarchy: subtree groups and direct-member groups."""

    subtree: dict[int, tuple[int, bool, str | None]] = field(default_factory=dict)
    direct: dict[int | None, tuple[int, bool, str | None]] = field(default_factory=dict)


def _departments(frame: pl.DataFrame, k: int) -> _Departments:
    """Build the tree from the respondents' snapshot paths (the tree as at launch) and
    suppress it: lines "subtree = sub-department subtrees + direct members" for every
    department, and "total = all direct-member groups"."""
    if DEPARTMENT_PATH not in frame.columns:
        # Without the snapshot paths a department view could not agree with the tree view.
        raise ValueError("department views need the department_path column")
    counts = (
        frame.group_by(pl.col(DEPARTMENT_PATH).fill_null(""))
        .agg(pl.len().alias("_n"))
        .sort(DEPARTMENT_PATH)
    )
    direct_n: dict[int | None, int] = {}
    subtree_n: dict[int, int] = {}
    parent: dict[int, int | None] = {}
    for path, n in counts.iter_rows():
        ids = _path_ids(path)
        key = ids[-1] if ids else None
        direct_n[key] = direct_n.get(key, 0) + n
        for depth, dept in enumerate(ids):
            subtree_n[dept] = subtree_n.get(dept, 0) + n
            parent.setdefault(dept, ids[depth - 1] if depth else None)

    graph = _Graph(k)
    root = graph.add(frame.height, ())
    sub_node = {d: graph.add(n, (0, d)) for d, n in sorted(subtree_n.items())}
    direct_node = {
        key: graph.add(n, (1, -1 if key is None else key))
        for key, n in sorted(direct_n.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0))
    }
    children: dict[int | None, list[int]] = {}
    for dept, up in parent.items():
        children.setdefault(up, []).append(sub_node[dept])
    for key, node in direct_node.items():
        children.setdefault(key, []).append(node)
    for up, members in children.items():
        graph.add_line(root if up is None else sub_node[up], members)
    graph.add_line(root, direct_node.values())
    if not graph.settle():  # not expected for a tree; fail closed
        for node in range(1, len(graph.n)):
            graph.hide(node, COMPLEMENTARY)

    def status(node: int) -> tuple[int, bool, str | None]:
        return graph.n[node], graph.hidden[node], graph.reason[node]

    return _Departments(
        subtree={d: status(node) for d, node in sub_node.items()},
        direct={key: status(node) for key, node in direct_node.items()},
    )


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class _Filter:
    dim: str  # the column in the working frame (SUBTREE is derived from department_path)
    values: tuple[object, ...]
    department: int | None = None  # for SUBTREE

    def match(self) -> pl.Expr:
        if self.department is not None:
            return pl.col(SUBTREE)
        column = pl.col(self.dim)
        present = [v for v in self.values if v is not None]
        expr = column.is_in(present) if present else pl.lit(False)
        if None in self.values:
            expr = expr | column.is_null()
        return expr.fill_null(False)

    def category(self) -> pl.Expr:
        """Which listed value a respondent matches (0, 1, …) or -1: the atoms."""
        if self.department is not None:
            return pl.when(pl.col(SUBTREE)).then(0).otherwise(-1).alias(f"_atom_{self.dim}")
        column = pl.col(self.dim)
        expr: Any = None
        for index, value in enumerate(self.values):
            condition = column.is_null() if value is None else column.eq(value)
            expr = (pl.when if expr is None else expr.when)(condition.fill_null(False)).then(index)
        if expr is None:
            return pl.lit(-1).alias(f"_atom_{self.dim}")
        return expr.otherwise(-1).alias(f"_atom_{self.dim}")


def _attribute_allowed(name: str) -> bool:
    return name in ATTRIBUTES or name.startswith(CUSTOM_PREFIXES)


def _parse_filters(frame: pl.DataFrame, filters: Mapping[str, object] | None) -> list[_Filter]:
    parsed: list[_Filter] = []
    for key in sorted(filters or {}):
        value = (filters or {})[key]
        if key == SUBTREE:
            if DEPARTMENT_PATH not in frame.columns:
                raise ValueError("a subtree filter needs the department_path column")
            try:
                department = int(str(value))
            except ValueError:
                raise _refused_unknown(f"{key}={value}") from None
            parsed.append(_Filter(SUBTREE, (True,), department))
            continue
        if not _attribute_allowed(key) or key not in frame.columns:
            raise _refused_unknown(key)
        raw = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        present = [v for v in raw if v is not None]
        cast = pl.Series(present, strict=False).cast(frame.schema[key], strict=False)
        values = [v for v in dict.fromkeys(cast.to_list()) if v is not None]
        if None in raw:
            values.append(None)
        parsed.append(_Filter(key, tuple(values)))
    return parsed


def _with_subtree(frame: pl.DataFrame, filters: list[_Filter]) -> pl.DataFrame:
    """Add the derived boolean column of a subtree filter (department_path under it)."""
    derived = [
        pl.col(DEPARTMENT_PATH)
        .fill_null("")
        .str.contains(f"/{f.department}/", literal=True)
        .alias(SUBTREE)
        for f in filters
        if f.department is not None
    ]
    return frame.with_columns(derived) if derived else frame


def _working_frame(
    frame: pl.DataFrame, dims: Sequence[str], filters: list[_Filter]
) -> pl.DataFrame:
    return _with_subtree(frame, filters).select(dims)


def _check_population(data: pl.DataFrame, filters: list[_Filter], k: int) -> None:
    """The filtered population has at least k people and every atom of the filters is
    empty or has at least k (drop-one differences, small complements, list values,
    inclusion–exclusion over stacked filters)."""
    matched = pl.all_horizontal([f.match() for f in filters])
    if data.filter(matched).height < k:
        raise _refused_too_few(k)
    atoms = data.group_by([f.category() for f in filters]).agg(pl.len().alias("_n"))
    if atoms.filter((pl.col("_n") > 0) & (pl.col("_n") < k)).height:
        raise _refused_differencing(k)


def _matches(filters: list[_Filter], dims: Sequence[str], values: Sequence[object]) -> bool:
    position = {d: i for i, d in enumerate(dims)}
    return all(values[position[f.dim]] in f.values for f in filters if f.dim in position)


# --------------------------------------------------------------------------- lattice


def _seeds(
    frame: pl.DataFrame, dims: Sequence[str], filters: list[_Filter], k: int
) -> dict[str, dict[object, str]]:
    """Level-one statuses that come from the department hierarchy, so that a view by
    department, a subtree filter and the tree view agree."""
    if not ({DEPARTMENT_ID, DEPARTMENT_PATH, SUBTREE} & set(dims)):
        return {}
    tree = _departments(frame, k)
    seeds: dict[str, dict[object, str]] = {}
    hidden_direct = {
        key: reason or TOO_FEW for key, (_n, hidden, reason) in tree.direct.items() if hidden
    }
    if DEPARTMENT_ID in dims:
        seeds[DEPARTMENT_ID] = {key: reason for key, reason in hidden_direct.items()}
    if DEPARTMENT_PATH in dims:
        paths = frame.get_column(DEPARTMENT_PATH).unique().to_list()
        seeds[DEPARTMENT_PATH] = {}
        for path in paths:
            ids = _path_ids(path)
            key = ids[-1] if ids else None
            if key in hidden_direct:
                seeds[DEPARTMENT_PATH][path] = hidden_direct[key]
    for f in filters:
        if f.department is not None:
            _n, hidden, reason = tree.subtree.get(f.department, (0, True, TOO_FEW))
            if hidden:
                seeds[SUBTREE] = {True: reason or TOO_FEW}
    return seeds


def _lattice(
    data: pl.DataFrame,
    dims: Sequence[str],
    k: int,
    seeds: Mapping[str, Mapping[object, str]],
    total: int,
) -> dict[tuple[str, ...], dict[tuple[object, ...], tuple[int, bool, str | None]]]:
    """Suppress the table by ``dims`` together with all its margins. Returns, for every
    subset of ``dims`` (alphabetical), each group's (n, hidden, reason)."""
    graph = _Graph(k)
    index: dict[tuple[str, ...], dict[tuple[object, ...], int]] = {(): {(): graph.add(total, ())}}
    for level in range(1, len(dims) + 1):
        for subset in itertools.combinations(dims, level):
            table = data.group_by(list(subset)).agg(pl.len().alias("_n"))
            nodes = {
                tuple(row[:-1]): graph.add(row[-1], _rank(row[:-1])) for row in table.iter_rows()
            }
            index[subset] = nodes
            for position in range(level):
                above = subset[:position] + subset[position + 1 :]
                lines: dict[tuple[object, ...], list[int]] = {}
                for values, node in nodes.items():
                    lines.setdefault(values[:position] + values[position + 1 :], []).append(node)
                for parent_values, members in lines.items():
                    graph.add_line(index[above][parent_values], members)
    for dim, hidden in seeds.items():
        for value, reason in hidden.items():
            seeded = index.get((dim,), {}).get((value,))
            if seeded is not None:
                graph.hide(seeded, reason)
    if not graph.settle():
        raise _refused_too_detailed()
    return {
        subset: {
            values: (graph.n[node], graph.hidden[node], graph.reason[node])
            for values, node in nodes.items()
        }
        for subset, nodes in index.items()
    }


def _validate_by(frame: pl.DataFrame, by: Sequence[str]) -> None:
    if len(set(by)) != len(by):
        raise ValueError(f"duplicate attributes in by: {list(by)}")
    for name in by:
        if not _attribute_allowed(name) or name not in frame.columns:
            raise _refused_unknown(name)


def _guard(
    frame: pl.DataFrame, by: Sequence[str], filters: Mapping[str, object] | None, k: int
) -> pl.DataFrame:
    by = list(by)
    _validate_by(frame, by)
    parsed = _parse_filters(frame, filters)
    dims = sorted(set(by) | {f.dim for f in parsed})
    if len(dims) > MAX_DIMENSIONS:
        raise _refused_too_detailed()
    data = _working_frame(frame, dims, parsed)
    if parsed:
        _check_population(data, parsed, k)
    groups = _lattice(data, dims, k, _seeds(frame, dims, parsed, k), frame.height)
    if parsed:
        filter_dims = tuple(sorted({f.dim for f in parsed}))
        for values, (_n, hidden, _reason) in groups[filter_dims].items():
            if hidden and _matches(parsed, filter_dims, values):
                raise _refused_differencing(k)

    top = tuple(dims)
    position = {d: i for i, d in enumerate(top)}
    out: dict[tuple[object, ...], list[Any]] = {}
    for values, (n, hidden, reason) in groups[top].items():
        if not _matches(parsed, top, values):
            continue
        key = tuple(values[position[b]] for b in by)
        entry = out.setdefault(key, [0, False, None])
        entry[0] += n
        if hidden:
            entry[1] = True
            entry[2] = entry[2] or reason
    if not by and not out:
        out[()] = [0, True, TOO_FEW]
    rows = []
    for key, (n, hidden, reason) in out.items():
        if n < k:
            hidden, reason = True, TOO_FEW
        elif hidden and reason == TOO_FEW:
            reason = COMPLEMENTARY  # a union of cells, large enough itself
        rows.append((*key, n, not hidden, reason if hidden else None))
    schema: dict[str, Any] = {b: frame.schema[b] for b in by}
    schema |= {"n": pl.Int64, "visible": pl.Boolean, "reason": pl.String}
    result = pl.DataFrame(rows, schema=schema, orient="row")
    return result.sort(by, nulls_last=True) if by else result


# --------------------------------------------------------------------------- public API


def check_filters(
    respondents: pl.DataFrame, filters: Mapping[str, object] | None, policy: Policy
) -> None:
    """Raise ``Refused`` unless the filtered population may be shown: at least k people
    (an empty selection is refused like a small one), no filter atom of 1..k−1 people
    (dropping one filter, a small complement, one list value more or less, stacked filters),
    and not a group hidden by complementary suppression in the table by the filter
    attributes. Filters: ``{attribute: value}`` or ``{attribute: [values]}``, and
    ``{"subtree": department_id}`` for a department and everything below it."""
    if filters:
        _guard(respondents, [], filters, policy.k)


def guard_groups(
    respondents: pl.DataFrame,
    by: list[str],
    policy: Policy,
    *,
    filters: dict[str, object] | None = None,
) -> pl.DataFrame:
    """Which groups of the respondent-level frame may be shown, grouped by ``by`` within
    the filtered population. Columns: the ``by`` attributes, ``n`` (true count, internal
    only: never display it), ``visible`` and ``reason`` (``too_few`` / ``complementary``,
    null when visible). Sorted by the group key. Raises ``Refused`` for filters that may
    not be answered (see ``check_filters``) or a breakdown that cannot be protected."""
    return _guard(respondents, by, filters, policy.k)


def guard_tree(
    respondents: pl.DataFrame,
    departments: Sequence[tuple[int, str, int | None]],
    policy: Policy,
) -> pl.DataFrame:
    """Visibility of every department's subtree (people in it and all sub-departments),
    one row per entry of ``departments`` in the given order: ``department_id``, ``n``,
    ``visible``, ``reason``, and the same for its direct members (``direct_n``,
    ``direct_visible``, ``direct_reason``) for views of a department's own people.

    The structure comes from the respondents' snapshot ``department_path`` (the tree as it
    was at launch); ``departments`` lists what to report, and a department nobody answered
    in is hidden as ``too_few`` like any small one."""
    tree = _departments(respondents, policy.k)
    rows = []
    for department_id, _path, _parent in departments:
        n, hidden, reason = tree.subtree.get(department_id, (0, True, TOO_FEW))
        dn, dhidden, dreason = tree.direct.get(department_id, (0, True, TOO_FEW))
        hidden, dhidden = hidden or n < policy.k, dhidden or dn < policy.k
        rows.append(
            (
                department_id,
                n,
                not hidden,
                (reason or TOO_FEW) if hidden else None,
                dn,
                not dhidden,
                (dreason or TOO_FEW) if dhidden else None,
            )
        )
    schema = {
        DEPARTMENT_ID: pl.Int64,
        "n": pl.Int64,
        "visible": pl.Boolean,
        "reason": pl.String,
        "direct_n": pl.Int64,
        "direct_visible": pl.Boolean,
        "direct_reason": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def apply(
    table: pl.DataFrame,
    visibility: pl.DataFrame,
    by: list[str],
    *,
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """Join the guard's verdict onto a results table and null every value of a hidden
    group: scores, shares, counts (``respondents``), interval bounds, flags — every column
    except the ``by`` keys and the label columns named in ``keep``. Adds ``suppressed``
    (bool) and ``reason``. A group missing from ``visibility`` is hidden (fails closed).

    The result is sorted by the key (then ``keep``), never kept in the input order: a table
    pre-sorted by score would otherwise place a hidden group where its score belongs."""
    missing = [c for c in by if c not in table.columns or c not in visibility.columns]
    if missing:
        raise ValueError(f"by columns missing from table or visibility: {missing}")
    verdict = visibility.select(
        *[pl.col(c).cast(table.schema[c]) for c in by],
        pl.col("visible").alias("_visible"),
        pl.col("reason").alias("_reason"),
    )
    if by:
        joined = table.join(verdict, on=by, how="left", nulls_equal=True)
    else:
        joined = table.join(verdict.head(1), how="cross")
    shown = pl.col("_visible").fill_null(False)
    fixed = {*by, *keep}
    values = [c for c in table.columns if c not in fixed and c not in ("suppressed", "reason")]
    result = joined.with_columns(
        *[pl.when(shown).then(pl.col(c)).otherwise(None).alias(c) for c in values],
        (~shown).alias("suppressed"),
        pl.when(shown).then(None).otherwise(pl.col("_reason").fill_null(TOO_FEW)).alias("reason"),
    ).drop("_visible", "_reason")
    order = [*by, *[c for c in keep if c in result.columns]]
    return result.sort(order, nulls_last=True, maintain_order=True) if order else result


def guard_table(
    table: pl.DataFrame,
    respondents: pl.DataFrame,
    by: list[str],
    policy: Policy,
    *,
    filters: dict[str, object] | None = None,
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """``apply(table, guard_groups(...))`` in one call, for the common case."""
    return apply(table, guard_groups(respondents, by, policy, filters=filters), by, keep=keep)


def wave_guard(current: pl.DataFrame, previous: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Trend rule: a group's change between two waves (and its significance mark) is shown
    only when the group is visible in both waves' guard frames. Returns the ``by`` keys,
    ``visible`` and ``reason`` (the current wave's reason first); a group missing from
    either wave is hidden as ``too_few``."""
    left = current.select(*by, pl.col("visible").alias("_now"), pl.col("reason").alias("_rn"))
    right = previous.select(
        *[pl.col(c).cast(current.schema[c]) for c in by],
        pl.col("visible").alias("_then"),
        pl.col("reason").alias("_rt"),
    )
    if by:
        joined = left.join(right, on=by, how="full", nulls_equal=True, coalesce=True)
    else:
        joined = left.join(right, how="cross")
    both = pl.col("_now").fill_null(False) & pl.col("_then").fill_null(False)
    reason = pl.coalesce(
        pl.when(pl.col("_now").fill_null(False)).then(None).otherwise(pl.col("_rn")),
        pl.when(pl.col("_then").fill_null(False)).then(None).otherwise(pl.col("_rt")),
        pl.lit(TOO_FEW),
    )
    result = joined.select(
        *by, both.alias("visible"), pl.when(both).then(None).otherwise(reason).alias("reason")
    )
    return result.sort(by, nulls_last=True) if by else result


def response_rate_visible(invited_n: int, responded_n: int, policy: Policy) -> bool:
    """Whether a group's live response rate may be shown: only when at least k people have
    responded (a response count is shown only for groups ≥ k). The invited count comes
    from the org chart and is not sensitive, and the number who have not answered yet says
    nothing about anyone's answers, so it is not restricted. A table of rates by department
    should also take its visibility from ``guard_tree`` on the responses so far, so a
    parent's count minus its visible children cannot reveal a small group's count."""
    if responded_n < 0 or invited_n < responded_n:
        raise ValueError("responded_n must be between 0 and invited_n")
    return responded_n >= policy.k


# --------------------------------------------------------------------------- comments


def _respondent_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per respondent: with a ``response_id`` column, several comments of one
    person count once toward the threshold."""
    if "response_id" in frame.columns:
        return frame.unique(subset=["response_id"], keep="first", maintain_order=True)
    return frame


def comments_visible(
    respondents: pl.DataFrame, filters: Mapping[str, object] | None, policy: Policy
) -> bool:
    """Whether comments of the (filtered) population may be shown: the filter checks of
    ``check_filters`` with the comment threshold instead of k."""
    frame = _respondent_rows(respondents)
    try:
        visibility = _guard(frame, [], filters, policy.comment_k)
    except Refused:
        return False
    return bool(visibility.get_column("visible").all())


def _visible_comments(
    texts_with_attrs: pl.DataFrame,
    policy: Policy,
    by: Sequence[str],
    filters: Mapping[str, object] | None,
    text_column: str,
) -> pl.DataFrame:
    frame = _respondent_rows(texts_with_attrs)
    try:
        visibility = _guard(frame, by, filters, policy.comment_k)
    except Refused:
        return texts_with_attrs.head(0).select(*by, text_column)
    parsed = _parse_filters(texts_with_attrs, filters)
    data = _with_subtree(texts_with_attrs, parsed)
    if parsed:
        data = data.filter(pl.all_horizontal([f.match() for f in parsed]))
    shown = visibility.filter(pl.col("visible")).select(by) if by else None
    if shown is not None:
        data = data.join(shown, on=list(by), how="semi", nulls_equal=True)
    elif not visibility.get_column("visible").all():
        data = data.head(0)
    text = pl.col(text_column)
    return data.filter(text.is_not_null() & (text.str.strip_chars() != "")).select(*by, text_column)


def _shuffled(texts: list[str]) -> list[str]:
    """Random order from the operating system's entropy: never submission order, and not
    predictable from the data (no seed derived from it)."""
    secrets.SystemRandom().shuffle(texts)
    return texts


def filter_comments(
    texts_with_attrs: pl.DataFrame,
    policy: Policy,
    by: list[str] | None = None,
    *,
    filters: dict[str, object] | None = None,
    text_column: str = "text",
) -> list[str]:
    """The comments that may be shown, shuffled. ``texts_with_attrs`` has one row per
    respondent (``text`` null or blank for those who wrote nothing, so the threshold counts
    respondents; passing only the rows with text is stricter) plus their attributes.

    Comments appear only for groups of at least ``comment_k`` respondents: with ``by``, a
    group that the attributes narrow below ``comment_k`` (or that complementary suppression
    hides) loses all its comments; filters are checked as in ``check_filters`` at
    ``comment_k`` and a refused selection yields no comments."""
    rows = _visible_comments(texts_with_attrs, policy, by or [], filters, text_column)
    return _shuffled([str(t) for t in rows.get_column(text_column).to_list()])


def comments_by_group(
    texts_with_attrs: pl.DataFrame,
    policy: Policy,
    by: list[str],
    *,
    filters: dict[str, object] | None = None,
    text_column: str = "text",
) -> list[tuple[dict[str, object], list[str]]]:
    """Like ``filter_comments`` but keeps each visible group's comments apart (for showing
    them under the group's label): groups sorted by key, comments shuffled within each."""
    if not by:
        texts = filter_comments(texts_with_attrs, policy, filters=filters, text_column=text_column)
        return [({}, texts)] if texts else []
    rows = _visible_comments(texts_with_attrs, policy, by, filters, text_column)
    grouped = (
        rows.group_by(by, maintain_order=False)
        .agg(pl.col(text_column).alias("_texts"))
        .sort(by, nulls_last=True)
    )
    return [
        ({b: row[b] for b in by}, _shuffled([str(t) for t in row["_texts"]]))
        for row in grouped.iter_rows(named=True)
    ]


# --------------------------------------------------------------------------- audit


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def audit_view(
    user: Any,
    survey: Survey,
    what: str,
    filters: Mapping[str, object] | None,
    by: Sequence[str],
    request: HttpRequest | None = None,
) -> None:
    """Write one audit entry for a results view or export (METRICS.md: every results view
    and export is logged with who, what and the filters)."""
    audit.record(
        user,
        "engagement.view_results",
        target=survey,
        request=request,
        what=what,
        filters=_jsonable(dict(filters or {})),
        by=list(by),
    )

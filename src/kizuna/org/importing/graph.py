"""Cycle detection for "reports to" and "belongs under" links.

A loop (A reports to B, B reports to A) has no top, so org charts, approval routes and
subtree queries would never terminate; it must be refused before anything is saved, and
it must be checked on the links as they will be *after* the import, since a file row can
close a loop with people or departments that are only in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

ARROW = " → "


def find_cycles(parent: Mapping[str, str | None], starts: Iterable[str]) -> list[list[str]]:
    """Every cycle reachable from ``starts`` when following ``parent`` links. Each node is
    visited once, so this is linear in the number of nodes."""
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in starts:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parent.get(node)
        if node is not None and node in on_path:
            cycles.append(path[on_path[node] :])
        done.update(path)
    return cycles


def describe(cycle: list[str], start: str) -> str:
    """Render a cycle starting at ``start``: [A, B, C] seen from B is "B → C → A → B".
    Each row's message starts with that row's own code, where the reader's eye is."""
    at = cycle.index(start)
    ordered = cycle[at:] + cycle[:at]
    return ARROW.join([*ordered, ordered[0]])

"""The shape every HR KPI function returns, so the dashboard, the API and the tests read
one type: a count over a count, with the rate derived (never stored, never rounded here).

Each practices app defines its own KPIs (``<app>/metrics.py``) next to the data they read;
``hrkpi`` only composes them. Definitions: ``../shared/METRICS.md`` §HR KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ratio:
    """``numerator`` / ``denominator``; ``rate`` in percent, ``None`` when nobody counts."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        if self.denominator == 0:
            return None
        return 100.0 * self.numerator / self.denominator

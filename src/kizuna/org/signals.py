"""Signals other apps listen to, so the org app does not import them.

``org_changed`` is sent after an import of employees or departments has been applied
(inside its transaction): apps whose data follows the org chart (1on1 pairs follow the
reporting lines) bring themselves up to date. Arguments: ``kind`` and ``as_of``.
"""

from __future__ import annotations

from django.dispatch import Signal

org_changed = Signal()

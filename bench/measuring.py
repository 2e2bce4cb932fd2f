"""How the benchmarks time and weigh each implementation, shared so every script's
figures mean the same: interleaved rounds after a warm-up, wall and CPU time, and the
kernel's peak-RSS mark reset before each run."""

from __future__ import annotations

import gc
import os
import platform
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Sections:
    """Wall time per section of one run (the breakdown printed under the table)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = self.times.get(name, 0.0) + now - self._last
        self._last = now


def status_kb(field_name: str) -> int:
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ≥ 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Measured:
    name: str
    times: list[float] = field(default_factory=list)
    sections: dict[str, float] = field(default_factory=dict)
    peak_mb: float = 0.0
    delta_mb: float = 0.0
    peak_is_process: bool = False
    cpu: float = 0.0  # CPU time (all threads) of the best run
    result: Any = None

    @property
    def best(self) -> float:
        return min(self.times)


def _once(out: Measured, run: Callable[[Sections], Any], timed: bool) -> None:
    gc.collect()
    if not reset_peak():
        out.peak_is_process = True
    base = status_kb("VmRSS")
    sections = Sections()
    cpu = time.process_time()
    start = time.perf_counter()
    result = run(sections)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = status_kb("VmHWM")
    out.peak_mb = max(out.peak_mb, peak / 1024)
    out.delta_mb = max(out.delta_mb, (peak - base) / 1024)
    if not timed:
        out.result = result
        return
    if not out.times or elapsed < out.best:
        out.sections, out.result, out.cpu = sections.times, result, cpu
    out.times.append(elapsed)


def measure(runs: Sequence[tuple[str, Callable[[Sections], Any]]], repeat: int) -> list[Measured]:
    """One warm-up each, then ``repeat`` rounds in which every implementation runs once
    (interleaved, so background load on a shared machine hits all of them alike). Keeps
    each one's times, and the result and section times of its best run."""
    outs = [Measured(name) for name, _ in runs]
    for attempt in range(repeat + 1):
        for out, (_name, run) in zip(outs, runs, strict=True):
            _once(out, run, timed=attempt > 0)
    return outs


def machine(libraries: str) -> str:
    """Cores, CPU model, RAM and Python, then ``libraries`` (their versions)."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    found = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    memory = int(found.group(1)) / 1024 / 1024 if found else 0.0
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GB RAM, "
        f"Python {platform.python_version()}, {libraries}"
    )

"""What a benchmark reports: its detail table, the goals it checks, and how to print them.

Every benchmark measures its baseline in the same run and reports ratios against it; figures
are medians of repeated runs with their spread (lowest–highest), because the machines this runs on
are small and shared.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SCRIBA_CORPUS", ROOT.parent / "shared" / "corpus"))
BOOK = "GeoTopo-komprimiert.pdf"


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    REPORTED = "reported"  # no numeric goal: the figure is the result
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds of repeated runs of one case."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def high(self) -> float:
        return max(self.seconds)

    def rate(self, units: float) -> float:
        """Units per second at the median time."""
        return units / self.median

    def describe_rate(self, units: float) -> str:
        """``"245 (230–260)"``: the median rate (units per second) and its range over the runs."""
        low, high = number(units / self.high), number(units / self.low)
        return f"{number(units / self.median)} ({low}–{high})"

    def describe(self, scale: float = 1.0, unit: str = "s") -> str:
        """``"8.41 s (8.20–8.90)"``, optionally scaled (1000 for milliseconds)."""
        return (
            f"{number(self.median * scale)} {unit} "
            f"({number(self.low * scale)}–{number(self.high * scale)})"
        )


def number(value: float) -> str:
    """Three significant figures, without scientific notation for the sizes we see."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def interleaved(
    cases: Mapping[str, Callable[[], object]],
    repeats: Mapping[str, int] | int,
    warmup: bool | Collection[str] = True,
) -> dict[str, Timings]:
    """Times each case ``repeats`` times, round-robin, so that load from other work on the
    machine falls on every case alike; one untimed warm-up run first (imports, caches) of every
    case, or of the cases named in ``warmup``."""
    counts = {name: repeats if isinstance(repeats, int) else repeats[name] for name in cases}
    warm = set(cases) if warmup is True else set(warmup or ())
    for name, case in cases.items():
        if name in warm:
            case()
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(max(counts.values())):
        for name, case in cases.items():
            if round_ < counts[name]:
                # Garbage left by the case before is collected now, not inside this timing.
                gc.collect()
                started = time.perf_counter()
                case()
                seconds[name].append(time.perf_counter() - started)
    return {name: Timings(tuple(values)) for name, values in seconds.items()}


@dataclass(frozen=True)
class Goal:
    """One figure checked against the issue's goal."""

    what: str
    figure: str
    goal: str
    verdict: Verdict

    @staticmethod
    def at_least(what: str, value: float, minimum: float, figure: str | None = None) -> Goal:
        verdict = Verdict.MET if value >= minimum else Verdict.MISSED
        return Goal(what, figure or f"{number(value)}×", f"≥ {number(minimum)}×", verdict)

    @staticmethod
    def at_most(
        what: str, value: float, maximum: float, figure: str, goal: str | None = None
    ) -> Goal:
        verdict = Verdict.MET if value <= maximum else Verdict.MISSED
        return Goal(what, figure, goal or f"≤ {number(maximum)}", verdict)


@dataclass
class Table:
    headers: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def markdown(self) -> str:
        lines = [
            "| " + " | ".join(self.headers) + " |",
            "| " + " | ".join("---" for _ in self.headers) + " |",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class BenchResult:
    """One row of the issue's table: its details, its goals, and notes on what was measured."""

    key: str  # the module name, e.g. "text_extraction"
    title: str
    table: Table
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # how long the benchmark took

    @property
    def command(self) -> str:
        return f".venv/bin/python -m bench.{self.key}"

    def markdown(self, level: int = 2) -> str:
        parts = [f"{'#' * level} {self.title}", "", f"`{self.command}`", "", self.table.markdown()]
        if self.goals:
            goals = Table(["check", "figure", "goal", "result"])
            for goal in self.goals:
                goals.add(goal.what, goal.figure, goal.goal, goal.verdict.value)
            parts += ["", goals.markdown()]
        if self.notes:
            parts += ["", *[f"- {note}" for note in self.notes]]
        parts += ["", f"_Took {self.seconds:.0f} s._"]
        return "\n".join(parts)


def machine_facts() -> dict[str, str]:
    """Cores, CPU model, Python and the load when the run started (the machine may be shared)."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "cores": str(os.cpu_count()),
        "CPU": model,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": platform.platform(),
        "load average (1, 5, 15 min) at start": load,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# Where a benchmark also writes its result as JSON, for ``python -m bench`` (which runs each
# benchmark in a process of its own).
RESULT_FILE_VARIABLE = "SCRIBA_BENCH_RESULT"


def to_json(result: BenchResult) -> str:
    return json.dumps(dataclasses.asdict(result), indent=2)


def from_json(text: str) -> BenchResult:
    data = json.loads(text)
    table = Table(data["table"]["headers"], [list(row) for row in data["table"]["rows"]])
    goals = [
        Goal(goal["what"], goal["figure"], goal["goal"], Verdict(goal["verdict"]))
        for goal in data["goals"]
    ]
    return BenchResult(
        key=data["key"],
        title=data["title"],
        table=table,
        goals=goals,
        notes=list(data["notes"]),
        seconds=float(data["seconds"]),
    )


def print_result(result: BenchResult) -> None:
    """Prints the result's tables; also writes it as JSON where ``python -m bench`` asks."""
    print(result.markdown(), flush=True)
    target = os.environ.get(RESULT_FILE_VARIABLE)
    if target:
        Path(target).write_text(to_json(result), encoding="utf-8")


def run_alone(measure: Callable[[], BenchResult]) -> None:
    """Entry point of a benchmark module: measure, then print its tables."""
    started = time.perf_counter()
    result = measure()
    result.seconds = time.perf_counter() - started
    print_result(result)
    sys.stdout.flush()

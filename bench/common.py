"""What every benchmark shares: one result row, a median timer and the markdown table."""

from __future__ import annotations

import contextlib
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# Scratch files live under the repo, not /tmp: /tmp may be a tmpfs (it is on Raspberry Pi
# OS images with a read-only root), where fsync costs nothing and every ratio would lie.
SCRATCH_ROOT = Path(__file__).resolve().parent.parent / ".bench-tmp"


@dataclass(frozen=True, slots=True)
class Result:
    """One measured figure beside the reference measured in the same run.

    figure and reference_figure are in `unit`; ratio is figure / reference_figure, so a
    number means "this many times the reference" whatever machine it ran on.
    """

    what: str
    figure: float
    unit: str
    reference: str
    reference_figure: float
    ratio: float
    note: str = ""


def compare(
    what: str,
    figure: float,
    unit: str,
    reference: str,
    reference_figure: float,
    note: str = "",
) -> Result:
    """A Result whose ratio is computed here, so no caller can get it wrong."""
    return Result(what, figure, unit, reference, reference_figure, figure / reference_figure, note)


def time_calls(
    fn: Callable[[], object],
    repeats: int,
    *,
    budget_s: float | None = None,
    min_repeats: int = 3,
    before: Callable[[], object] | None = None,
) -> list[float]:
    """Wall time of each of `repeats` calls of fn, in seconds (time.perf_counter).

    With budget_s, stop early once budget_s seconds have been spent and at least
    min_repeats calls were timed: slow operations get fewer samples on slow machines
    instead of a run that never ends. With before, that is called (untimed) ahead of each
    call.
    """
    if repeats < 1:
        raise ValueError("repeats must be 1 or more")
    samples: list[float] = []
    spent_s = 0.0
    while len(samples) < repeats:
        if before is not None:
            before()  # untimed: the state each call starts from
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        samples.append(elapsed)
        spent_s += elapsed
        if budget_s is not None and spent_s >= budget_s and len(samples) >= min_repeats:
            break
    return samples


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of one call of fn over `repeats` calls, in seconds."""
    return statistics.median(time_calls(fn, repeats))


def format_number(value: float) -> str:
    """Three significant figures or so, without scientific notation: 0.412, 4.12, 41.2, 4,120."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(results: Sequence[Result]) -> str:
    """A markdown table: What | Figure | Reference (same run) | Ratio | Note."""
    rows = [
        "| What | Figure | Reference (same run) | Ratio | Note |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for r in results:
        figure = f"{format_number(r.figure)} {r.unit}"
        reference = f"{r.reference}: {format_number(r.reference_figure)} {r.unit}"
        ratio = f"{format_number(r.ratio)}×"
        cells = (r.what, figure, reference, ratio, r.note)
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


@contextlib.contextmanager
def scratch_dir(prefix: str, workdir: Path | None = None) -> Iterator[Path]:
    """A fresh directory under `workdir` (default: SCRATCH_ROOT, on the repo's disk) for
    one run, removed afterwards with SCRATCH_ROOT itself once no other run uses it."""
    root = workdir if workdir is not None else SCRATCH_ROOT
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if workdir is None:
            with contextlib.suppress(OSError):  # another run's scratch is still there
                root.rmdir()

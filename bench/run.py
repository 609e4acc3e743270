"""Run every benchmark in bench/ and write docs/benchmarks.md: `python -m bench.run [--only NAME]`.

A benchmark is any module here, other than this one and common, with a `run()` that takes
no required arguments and returns a list of Result. Each writes its own section of the
document between `<!-- bench:NAME -->` markers, so `--only NAME` can re-measure one
section and leave the others as they were.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from bench.common import Result, render_table

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUTPUT = BENCH_DIR.parent / "docs" / "benchmarks.md"
NOT_BENCHMARKS = frozenset({"common", "run"})

HEADER = """\
# Benchmarks

Written by `make bench` (`python -m bench.run`), which runs every script in `bench/`; do not
edit it by hand. `python -m bench.run --only NAME` re-measures one section and keeps the
others. Each figure sits beside a reference measured in the same run on the same machine;
the ratio is what carries over to other hardware, the absolute figures do not.

Last written {date} on: {machine}.
"""

_SECTION = re.compile(
    r"<!-- bench:(?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- /bench:(?P=name) -->\n?", re.DOTALL
)


@dataclass(frozen=True, slots=True)
class Benchmark:
    name: str
    summary: str
    run: Callable[[], list[Result]]


def discover() -> list[Benchmark]:
    """Every module in bench/ with a run() function, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules([str(BENCH_DIR)]), key=lambda m: m.name):
        if info.name in NOT_BENCHMARKS or info.ispkg:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        run = getattr(module, "run", None)
        if callable(run):
            summary = (module.__doc__ or info.name).strip().splitlines()[0]
            found.append(Benchmark(info.name, summary, cast(Callable[[], list[Result]], run)))
    return found


def machine() -> str:
    """CPU model, core count, Python and kernel: enough to tell two runs' machines apart."""
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def cpu_model() -> str:
    # x86 kernels say "model name"; Raspberry Pi kernels put the board in "Model".
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for key in ("model name", "Model", "Hardware"):
        for line in text.splitlines():
            field, _, value = line.partition(":")
            if field.strip() == key and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def section(bench: Benchmark, results: Sequence[Result], date: str, took_s: float) -> str:
    """One benchmark's section of the document, without its markers."""
    return (
        f"## {bench.name}\n\n{bench.summary}\n\n"
        f"Measured {date} on {machine()}; the script took {took_s:.0f} s.\n\n"
        f"{render_table(results)}"
    )


def read_sections(document: str) -> dict[str, str]:
    """The sections of an existing document, by name, in document order."""
    return {m["name"]: m["body"] for m in _SECTION.finditer(document)}


def render_document(date: str, sections: dict[str, str]) -> str:
    parts = [HEADER.format(date=date, machine=machine())]
    for name, body in sections.items():
        parts.append(f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->\n")
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", metavar="NAME", help="run one benchmark, keep the rest")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="markdown to write")
    args = parser.parse_args(argv)

    benches = discover()
    if args.only is not None:
        benches = [b for b in benches if b.name == args.only]
        if not benches:
            known = ", ".join(b.name for b in discover())
            parser.error(f"no benchmark named {args.only!r} (known: {known})")

    output: Path = args.output
    sections: dict[str, str] = {}
    if args.only is not None and output.exists():
        sections = read_sections(output.read_text(encoding="utf-8"))
    for bench in benches:
        print(f"bench: running {bench.name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        results = bench.run()
        took_s = time.monotonic() - started
        date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        sections[bench.name] = section(bench, results, date, took_s)
        print(f"\n## {bench.name}\n\n{render_table(results)}", flush=True)

    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_document(date, sections), encoding="utf-8")
    print(f"bench: wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

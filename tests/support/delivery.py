"""Real kiosk and head-office processes for the exactly-once tests, and the audit after a fault.

Three processes, each ended only through its own pid:
- `SellingKiosk`: tests/support/selling_kiosk.py, a simulated kiosk that sells when told;
- `KioskRun`: `python -m appliance run --sim --headless`, the kiosk as a lane starts it;
- `IngestProcess`: `python -m headoffice ingest`, with a fixed client id (its broker session
  outlives the process, as the service's does).

`audit` reads the kiosk's store and head office's SQLite ledger as files, and says whether
every event the kiosk committed is in the ledger exactly once, applied in seq order per
stream, with nothing left in the kiosk's outbox.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from appliance.shell import store_health

REPO = Path(__file__).resolve().parents[2]
KIOSK_ID = "lane-eo"
WAIT_S = 30.0  # a bound for a clear failure, never a claim about speed
END_S = 15.0


def wait_for(done: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> float:
    """Poll until done() (every 50 ms); AssertionError naming `what` after timeout_s.
    Returns the seconds it took, for the test's own report."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        time.sleep(0.05)
    return time.monotonic() - started


def write_kiosk_config(directory: Path, kiosk_id: str = KIOSK_ID) -> Path:
    """The kiosk's own TOML layer: its id (the demo settings give the rest)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kiosk.toml"
    path.write_text(f'[kiosk]\nid = "{kiosk_id}"\n')
    return path


class Child:
    """A child process with its stderr in a log file; ended by pid only."""

    def __init__(self, command: list[str], log_path: Path, stdin: int | None = None) -> None:
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        self.proc = subprocess.Popen(
            command,
            cwd=REPO,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SDL_VIDEODRIVER": "dummy"},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL: no handler, no goodbye, nothing flushed that was not already written."""
        self.signal(signal.SIGKILL)
        self._reap()

    def pause(self) -> None:
        """SIGSTOP: the process and its sockets stay, it reads and writes nothing."""
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def terminate(self) -> int:
        """SIGTERM and wait (SIGKILL if it will not end); its exit status."""
        self.signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(END_S)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
        return self._reap()

    def _reap(self) -> int:
        code = self.proc.wait(END_S)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self._log.close()
        return code

    def close(self) -> None:
        """For a fixture's finally: make sure it is gone."""
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGKILL)
        if not self._log.closed:
            self._reap()


class SellingKiosk(Child):
    def __init__(self, config: Path, data_dir: Path, broker: str, seed: int = 0) -> None:
        command = [
            sys.executable,
            "-m",
            "tests.support.selling_kiosk",
            "--config",
            str(config),
            "--data-dir",
            str(data_dir),
            "--broker",
            broker,
            "--seed",
            str(seed),
        ]
        data_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(command, data_dir / "selling-kiosk.log", stdin=subprocess.PIPE)
        self.data_dir = data_dir
        self.expect_line("ready")

    def expect_line(self, wanted: str, timeout_s: float = WAIT_S) -> None:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout_s):
                raise AssertionError(
                    f"kiosk: no {wanted!r} within {timeout_s} s\n{self.log_tail()}"
                )
        line = self.proc.stdout.readline().decode(errors="replace").strip()
        if line != wanted:
            raise AssertionError(f"kiosk said {line!r}, not {wanted!r}\n{self.log_tail()}")

    def sell(self, count: int) -> None:
        """Sell `count` sales and return once the kiosk says they are committed."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"sell {count}\n".encode())
        self.proc.stdin.flush()
        self.expect_line(f"sold {count}")

    def quit(self) -> int:
        """A clean stop (goodbye status, reporter closed, store closed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"quit\n")
        self.proc.stdin.flush()
        return self._reap()


class KioskRun(Child):
    """`python -m appliance run --sim --headless`: the kiosk exactly as a lane runs it."""

    def __init__(self, config: Path, data_dir: Path, broker: str) -> None:
        command = [
            sys.executable,
            "-m",
            "appliance",
            "run",
            "--sim",
            "--headless",
            "--config",
            str(config),
            "--data-dir",
            str(data_dir),
            "--broker",
            broker,
        ]
        super().__init__(command, data_dir / "kiosk-run.log")


class IngestProcess(Child):
    def __init__(self, broker: str, ledger: Path, log_path: Path, client_id: str = "ho-eo") -> None:
        command = [
            sys.executable,
            "-m",
            "headoffice",
            "ingest",
            "--broker",
            broker,
            "--db",
            str(ledger),
            "--client-id",
            client_id,
        ]
        super().__init__(command, log_path)

    def duplicates(self) -> int:
        """Events this process received again and acked again without changing anything."""
        return self.log().count("already stored")

    def refusals(self) -> list[str]:
        """Rejected or unstored events: each would be a sale the kiosk can never deliver."""
        return [
            line
            for line in self.log().splitlines()
            if "rejected a message" in line or "not stored" in line
        ]

    def events_not_stored(self) -> int:
        """How many events the ingest could not store: it logs one line a round ("2 events
        not stored"), and one round may hold any number of them."""
        return sum(int(found) for found in re.findall(r"(\d+) events not stored", self.log()))


# -- reading the two sides -------------------------------------------------------------------


def _read(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """A short look at a SQLite file, live or left by a kill (WAL: a reader never blocks the
    writer; on a dead one it recovers the WAL as the next start would)."""
    db = sqlite3.connect(path, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def kiosk_store(data_dir: Path) -> Path:
    return data_dir / store_health.STORE_FILE


def outbox_event_ids(data_dir: Path) -> set[str]:
    return {str(r[0]) for r in _read(kiosk_store(data_dir), "SELECT event_id FROM outbox")}


def outbox_depth(data_dir: Path) -> int:
    return int(_read(kiosk_store(data_dir), "SELECT count(*) FROM outbox")[0][0])


def outbox_payloads(data_dir: Path) -> list[tuple[str, bytes]]:
    """(stream, exact bytes) of every unacknowledged event, oldest first."""
    rows = _read(kiosk_store(data_dir), "SELECT stream, payload FROM outbox ORDER BY id")
    return [(str(stream), bytes(payload)) for stream, payload in rows]


def committed_sales(data_dir: Path) -> list[str]:
    """The sale ids the kiosk committed, in its own sale order."""
    return [
        str(r[0]) for r in _read(kiosk_store(data_dir), "SELECT sale_id FROM sales ORDER BY seq")
    ]


def ledger_sales(ledger: Path) -> list[str]:
    if not ledger.exists():
        return []
    return [str(r[0]) for r in _read(ledger, "SELECT sale_id FROM sales")]


@dataclass(frozen=True)
class Audit:
    sales: int  # committed on the kiosk, each stored once at head office
    events: dict[str, int]  # per stream, how many the kiosk numbered and head office applied


def audit(data_dir: Path, ledger: Path, kiosk_id: str = KIOSK_ID) -> Audit:
    """Every event the kiosk committed is in the ledger exactly once, applied in seq order
    per stream, every sale with it; nothing is held back; the kiosk's outbox is empty."""
    store = kiosk_store(data_dir)
    depth = outbox_depth(data_dir)
    assert depth == 0, f"{depth} events still in the kiosk's outbox"
    numbered = {
        str(name).removeprefix("stream:"): int(last)
        for name, last in _read(
            store, "SELECT name, last FROM sequences WHERE name LIKE 'stream:%'"
        )
    }
    # rowid: the order head office inserted them, i.e. applied them
    applied: dict[str, list[int]] = {}
    for stream, seq in _read(
        ledger, "SELECT stream, seq FROM events WHERE kiosk_id = ? ORDER BY rowid", (kiosk_id,)
    ):
        applied.setdefault(str(stream), []).append(int(seq))
    for stream, last in numbered.items():
        got = applied.get(stream, [])
        assert got == list(range(1, last + 1)), (
            f"{stream}: the kiosk numbered 1..{last}; head office applied"
            f" {len(got)} events, first out of place at index"
            f" {next((i for i, s in enumerate(got) if s != i + 1), len(got))}"
        )
    assert set(applied) <= set(numbered), f"streams the kiosk never numbered: {set(applied)}"
    sales = committed_sales(data_dir)
    stored = [
        str(r[0])
        for r in _read(
            ledger, "SELECT sale_id FROM sales WHERE kiosk_id = ? ORDER BY rowid", (kiosk_id,)
        )
    ]
    assert stored == sales, (
        f"the kiosk committed {len(sales)} sales, head office stored {len(stored)}"
        f" ({len(set(sales) - set(stored))} missing, {len(set(stored) - set(sales))} unknown)"
    )
    held = _read(ledger, "SELECT count(*) FROM held")[0][0]
    assert held == 0, f"{held} events held behind a gap"
    return Audit(len(sales), {s: len(v) for s, v in applied.items()})

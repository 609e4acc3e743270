"""Clocks: the system's, and a simulated one that only moves when told (scenarios, tests)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Monotonic time for deadlines; wall time (UTC) for records."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall_iso(self) -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds")


class SimClock:
    """Starts at `start` (wall) and 1000.0 s (monotonic); advance() is the only way forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self._now = 1000.0

    def monotonic(self) -> float:
        return self._now

    def wall_iso(self) -> str:
        wall = self._start + timedelta(seconds=self._now - 1000.0)
        return wall.isoformat(timespec="milliseconds")

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += seconds

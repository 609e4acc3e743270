"""Clocks: the system's, and a simulated one that only moves when told (scenarios, tests)."""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
"""systemd-timesyncd touches it on each successful synchronisation (systemd-timesyncd(8))."""
TIME_ERROR = 5  # adjtimex(2) returns it while the kernel's clock is unsynchronised (STA_UNSYNC)


def kernel_clock_synced() -> bool | None:
    """The kernel's NTP status, as timedatectl's "System clock synchronized" reads it:
    adjtimex(2) with modes 0 only reads. None when it cannot be asked."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    # a zeroed buffer larger than struct timex (208 bytes on 64-bit): modes = 0 is a read
    timex = ctypes.create_string_buffer(512)
    state = int(ctypes.CDLL(name, use_errno=True).adjtimex(timex))
    return None if state < 0 else state != TIME_ERROR


class SystemClock:
    """Monotonic time for deadlines; wall time (UTC) for records, and whether NTP has set it.

    A Pi has no battery clock: until systemd-timesyncd has synchronised, the wall time is
    the last saved one (or the image's build date), so records are stamped unsynced."""

    def __init__(
        self,
        kernel_synced: Callable[[], bool | None] = kernel_clock_synced,
        timesync_flag: Path = TIMESYNC_FLAG,
    ) -> None:
        self._kernel_synced = kernel_synced
        self._timesync_flag = timesync_flag

    def monotonic(self) -> float:
        return time.monotonic()

    def wall_iso(self) -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds")

    def synced(self) -> bool:
        """The kernel's word (timesyncd sets it when it adjusts the clock, and the kernel
        drops it when no adjustment comes for long); timesyncd's flag file only when the
        kernel cannot be asked."""
        kernel = self._kernel_synced()
        if kernel is not None:
            return kernel
        return self._timesync_flag.exists()


class SimClock:
    """Starts at `start` (wall) and 1000.0 s (monotonic); advance() is the only way forward.
    `is_synced` is what synced() says (a test sets it)."""

    def __init__(self, start: datetime | None = None, *, synced: bool = False) -> None:
        self._start = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self._now = 1000.0
        self.is_synced = synced

    def monotonic(self) -> float:
        return self._now

    def wall_iso(self) -> str:
        wall = self._start + timedelta(seconds=self._now - 1000.0)
        return wall.isoformat(timespec="milliseconds")

    def synced(self) -> bool:
        return self.is_synced

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += seconds

"""The clean-close mark: proof that the kiosk itself closed the store, untouched since.

Store.close() writes it once SQLite has checkpointed and removed its write-ahead log;
Store.open() removes it before anything is written. At the next start, a mark that still
matches the file (same size, modification time and inode) with no log beside it says the
store was not cut off mid-write and nothing else has changed it: the page-by-page
integrity check can be skipped. On a 350 MB store that check costs seconds and a hundred
megabytes at every start. Every other start (a power cut, a crash, a watchdog restart, a
file copied in or edited) runs the full check, and `kiosk store check` always does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SUFFIX = ".clean"
LOGS = ("-wal", "-journal")  # either beside the store: it was not closed cleanly


def mark_path(store: str | Path) -> Path:
    return Path(f"{store}{SUFFIX}")


def _stamp(store: Path) -> dict[str, int]:
    st = store.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def write(store: str | Path) -> None:
    """After the store's last connection closed: mark it, durably (a torn or missing mark
    only costs a full check at the next start)."""
    store = Path(store)
    if any(Path(f"{store}{log}").exists() for log in LOGS):
        return  # another connection still has the store open: not a clean close
    mark = mark_path(store)
    partial = mark.with_name(mark.name + ".tmp")
    with partial.open("w", encoding="utf-8") as f:
        json.dump(_stamp(store), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, mark)
    _fsync_dir(store.parent)


def clear(store: str | Path) -> None:
    """Before the first write: from now on the store is open, not cleanly closed."""
    mark = mark_path(store)
    if mark.exists():
        mark.unlink()
        _fsync_dir(mark.parent)


def holds(store: str | Path) -> bool:
    """The store was closed cleanly by the kiosk and has not changed since."""
    store = Path(store)
    if any(Path(f"{store}{log}").exists() for log in LOGS):
        return False
    try:
        saved = json.loads(mark_path(store).read_text(encoding="utf-8"))
        return bool(saved == _stamp(store))
    except (OSError, ValueError):
        return False


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

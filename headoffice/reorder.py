"""Ordering per kiosk and stream: the reorder window, when a gap is due a resync, and the
signed `resync` command that asks the kiosk to send again from the missing seq.

MQTT orders messages only within one topic from one connection, and a shared
subscription spreads one kiosk's messages over several ingests (research §3.1, §3.3), so
the ledger applies each stream's events in `seq` order and holds early ones (`db.py`).
A gap that the window does not close is most likely a message lost in transit: the kiosk
still has it (nothing leaves its outbox before our ack), so we ask for it, once per gap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from appliance import commands
from headoffice import commands as ho_commands


@dataclass(frozen=True, slots=True)
class ReorderWindow:
    """How long a gap may stay open before head office asks for a resync."""

    seconds: float = 10.0  # since the oldest held event, or the stream's last progress
    count: int = 50  # or as soon as this many events of one stream are held
    retry_s: float = 600.0  # ask again for the same gap after this (a resync's lifetime)

    def __post_init__(self) -> None:
        if not (self.seconds > 0 and self.count >= 1 and self.retry_s > 0):
            raise ValueError(f"reorder window out of range: {self}")


@dataclass(frozen=True, slots=True)
class Resync:
    """Ask `kiosk_id` to send `stream` again from `from_seq` (the first missing seq)."""

    kiosk_id: str
    stream: str
    from_seq: int


@dataclass(frozen=True, slots=True)
class Gap:
    """A stream with held events, as the ledger sees it; times are Unix seconds."""

    next_seq: int
    held: int
    oldest_held_at: float
    advanced_at: float  # when the stream last applied an event (or was first heard of)
    resync_from: int | None  # the gap last asked for, if any
    resync_at: float | None

    def is_due(self, window: ReorderWindow, now_s: float) -> bool:
        """Whether to ask for a resync from next_seq now: once per gap, again after retry_s."""
        if (
            self.resync_from == self.next_seq
            and self.resync_at is not None
            and now_s - self.resync_at < window.retry_s
        ):
            return False
        waited = now_s - max(self.oldest_held_at, self.advanced_at)
        return waited >= window.seconds or self.held >= window.count


def signed_resync(key_path: Path, resync: Resync, now_s: float) -> tuple[bytes, int]:
    """The signed command message for one kiosk and its lifetime in seconds.

    Takes the next counter of the key as `headoffice send` does, so the two never sign the
    same counter. Raises ValueError for an unreadable key.
    """
    key = ho_commands.load_key(key_path)
    body = {"stream": resync.stream, "from_seq": resync.from_seq}
    counter = ho_commands.next_counter(key_path, int(now_s * 1000))
    command = commands.new_command(
        "resync", body, resync.kiosk_id, counter, int(now_s), str(uuid.uuid4())
    )
    return commands.sign(key, command), command["expires_at"] - command["issued_at"]

"""The store's record of head office's commands: counters per key, accepted commands by id.

Call the writers inside `store.transaction()`, together with the command's result and its
effect, so a command's counter, its record, its audit row and its result are on disk
together or not at all (schema version 6).
"""

from __future__ import annotations

from appliance import wire
from appliance.commands import Verified
from appliance.shell.store import Store, new_id

HEAD_OFFICE = "head-office"  # who did it, in the audit log


def counters(store: Store) -> dict[str, int]:
    """The last counter accepted from each head-office key id."""
    rows = store.db.execute("SELECT key_id, counter FROM command_counters").fetchall()
    return {str(key): int(counter) for key, counter in rows}


def seen(store: Store, cmd_id: str) -> bool:
    row = store.db.execute("SELECT 1 FROM commands WHERE cmd_id = ?", (cmd_id,)).fetchone()
    return row is not None


def keep_counter(store: Store, key_id: str, counter: int) -> None:
    """No counter at or below this one is accepted from that key again."""
    store.db.execute(
        "INSERT INTO command_counters (key_id, counter) VALUES (?, ?)"
        " ON CONFLICT (key_id) DO UPDATE SET counter = max(counter, excluded.counter)",
        (key_id, counter),
    )


def record(store: Store, command: Verified, at: str, outcome: str, code: str) -> None:
    """An accepted command by its id: it is never carried out again."""
    store.db.execute(
        "INSERT INTO commands (cmd_id, kind, key_id, counter, received_at, outcome, code)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (command.cmd_id, command.kind, command.key_id, command.counter, at, outcome, code),
    )


def report(
    store: Store,
    kiosk_id: str,
    at: str,
    synced: bool,
    body: dict[str, str],
) -> None:
    """The audit row and the `results` event for one command (accepted or not)."""
    detail = f"{body['kind'] or '?'} {body['cmd_id'] or '?'}: {body['outcome']} ({body['code']})"
    store.db.execute(
        "INSERT INTO audit (at, action, detail, staff_id, reason) VALUES (?, 'command', ?, ?, ?)",
        (at, detail, HEAD_OFFICE, body["reason"]),
    )
    store.append_outbox(new_id(), kiosk_id, wire.STREAM_RESULTS, at, synced, dict(body))

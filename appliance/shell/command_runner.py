"""Head office's commands on the kiosk: verify, record once, carry out, answer, then PUBACK.

The main loop hands every CommandReceived here before the core (Loop.shell_handlers); the
core gets only what a verified command means (RemoteServiceRequested, CatalogWaiting).

Rules:
1. `commands.verify` judges the message against the trusted keys, this kiosk's id and
   store group, the clock (when synchronised) and the counters kept in the store.
2. The key's counter, the command's id, its effect where the store holds it (a stock
   movement), an audit row and the `results` event are ONE transaction. A command whose
   id was already accepted is not run again (`duplicate`).
3. The PUBACK goes out only after that commit: a kiosk that dies before it gets the
   command again from the broker, and runs it then; one that dies after it refuses the
   redelivery as `replayed`. Either way it runs at most once and nothing is lost.
4. Effects outside the store happen before the commit and are idempotent for one cmd_id:
   a catalog is staged with source `command <cmd_id>` (found again on a redelivery), a
   config file is rewritten with the same values. What needs the network (a birth, a
   resend) is asked of the reporter after the commit.
5. Opening the cash drawer is never a command: `verify` refuses such kinds by name.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from appliance import commands, wire
from appliance.catalog_file import JsonCatalog
from appliance.catalog_rows import CatalogError, percent
from appliance.commands import Rejected, Verified
from appliance.config import Config, ConfigError
from appliance.core import barcodes
from appliance.core.events import (
    CatalogWaiting,
    CommandReceived,
    Event,
    OutboxDepthChanged,
    RemoteServiceRequested,
)
from appliance.money import minor_digits
from appliance.ports import Clock
from appliance.shell import catalog_import, command_log, config_overlay
from appliance.shell.catalog_import import CatalogVersionError
from appliance.shell.store import Store, StoreError, new_id

log = logging.getLogger(__name__)

MAX_REASON = 1000


class CommandLink(Protocol):
    """What commands need of the reporter (appliance/shell/reporter.py)."""

    def ack_command(self, mid: int, connection: int) -> None: ...

    def request_birth(self) -> None: ...

    def resend_unacked(self) -> None: ...


@dataclass
class Outcome:
    """What became of one verified command, and what follows from it."""

    outcome: str  # applied | rejected | failed
    code: str
    reason: str
    events: list[Event] = field(default_factory=list)  # for the core, after the commit
    after: list[Callable[[], None]] = field(default_factory=list)  # after the commit
    in_store: Callable[[], Outcome | None] | None = None  # inside the transaction


class CommandRunner:
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        trusted: Mapping[str, Ed25519PublicKey],
        link: CommandLink,
        clock_synced: Callable[[], bool],
        scan_rules: barcodes.ScanRules = barcodes.DEFAULT_RULES,
    ) -> None:
        self._config = config
        self._kiosk_id = config.kiosk.id
        self._groups = [config.kiosk.store_id] if config.kiosk.store_id else []
        self._data_dir = Path(config.kiosk.data_dir)
        self._store = store
        self._clock = clock
        self._trusted = trusted
        self._link = link
        self._clock_synced = clock_synced
        self._rules = scan_rules

    def handle(self, event: Event) -> list[Event]:
        """One delivery → its result committed, then PUBACK; events for the core."""
        assert isinstance(event, CommandReceived)
        wall = self._clock.wall_iso()
        synced = self._clock_synced()
        now_s = datetime.fromisoformat(wall).timestamp() if synced else None
        try:
            counters = command_log.counters(self._store)
            verdict = commands.verify(
                event.payload, self._trusted, self._kiosk_id, self._groups, now_s, counters
            )
            outcome = self._decide(verdict, wall, synced)
        except (StoreError, sqlite3.Error) as exc:
            # nothing committed and no PUBACK: the broker delivers it again after a reconnect
            log.error("command not recorded (%s); it will come again", exc)
            return []
        self._link.ack_command(event.mid, event.connection)
        for step in outcome.after:
            step()
        depth = OutboxDepthChanged(at=self._clock.monotonic(), depth=self._store.outbox_depth())
        return [*outcome.events, depth]

    def _decide(self, verdict: Verified | Rejected, wall: str, synced: bool) -> Outcome:
        if isinstance(verdict, Rejected):
            outcome = Outcome("rejected", verdict.code.value, verdict.reason)
            cmd_id, kind = verdict.cmd_id or "", verdict.kind or ""
            log.warning("command %s (%s) refused: %s", cmd_id, kind, verdict.reason)
            with self._store.transaction():
                self._report(cmd_id, kind, outcome, wall, synced)
            return outcome
        if command_log.seen(self._store, verdict.cmd_id):
            outcome = Outcome("rejected", "duplicate", f"{verdict.cmd_id} was accepted before")
        else:
            outcome = self._prepare(verdict, wall)
        with self._store.transaction():
            command_log.keep_counter(self._store, verdict.key_id, verdict.counter)
            if outcome.code != "duplicate":
                if outcome.in_store is not None:
                    outcome = outcome.in_store() or outcome
                command_log.record(self._store, verdict, wall, outcome.outcome, outcome.code)
            self._report(verdict.cmd_id, verdict.kind, outcome, wall, synced)
        log.info("command %s (%s): %s", verdict.cmd_id, verdict.kind, outcome.reason)
        return outcome

    def _report(self, cmd_id: str, kind: str, outcome: Outcome, wall: str, synced: bool) -> None:
        body = wire.result_body(
            cmd_id[:64], kind[:64], outcome.outcome, outcome.code, outcome.reason[:MAX_REASON]
        )
        command_log.report(self._store, self._kiosk_id, wall, synced, body)

    # -- each kind ---------------------------------------------------------------------

    def _prepare(self, v: Verified, wall: str) -> Outcome:
        """What to do; effects outside the store happen here (rule 4)."""
        body = v.body
        at = self._clock.monotonic()
        match v.kind:
            case "out-of-service":
                on, reason = bool(body["on"]), str(body["reason"])
                when = "closes" if on else "opens again (if head office closed it)"
                return Outcome(
                    "applied",
                    "ok",
                    f"the lane {when} after the sale in hand",
                    events=[RemoteServiceRequested(at=at, on=on, reason=reason)],
                )
            case "rebirth":
                return Outcome(
                    "applied", "ok", "birth sent again", after=[self._link.request_birth]
                )
            case "resync":
                return self._resync(str(body["stream"]), int(body["from_seq"]))
            case "stock-adjust":
                return Outcome("applied", "ok", "", in_store=lambda: self._stock(v, wall))
            case "config":
                try:
                    config_overlay.store(self._data_dir, self._config, dict(body))
                except (ConfigError, OSError) as exc:
                    return Outcome("failed", "config-not-stored", str(exc))
                return Outcome("applied", "ok", f"{', '.join(sorted(body))}: applies at restart")
            case "catalog" | "price":
                return self._stage(v, wall)
        return Outcome("rejected", "unknown-kind", f"{v.kind}: not carried out by this kiosk")

    def _stock(self, v: Verified, wall: str) -> Outcome:
        gtin = _gtin(str(v.body["code"]), self._rules)
        if gtin is None or self._store.product(gtin) is None:
            return Outcome("rejected", "unknown-product", f"{v.body['code']}: not in the catalog")
        delta, why = int(v.body["delta"]), str(v.body["reason"])
        level = self._store.move_stock(gtin, delta, f"remote: {why}", None, wall)
        stock = {"gtin": gtin, "level": level, "kind": "adjust", "delta": delta, "reason": why}
        self._store.append_outbox(
            new_id(), self._kiosk_id, wire.STREAM_STOCK, wall, self._clock_synced(), stock
        )
        return Outcome("applied", "ok", f"{gtin}: {delta:+d}, now {level}")

    def _resync(self, stream: str, from_seq: int) -> Outcome:
        db = self._store.db
        row = db.execute("SELECT last FROM sequences WHERE name = ?", (f"stream:{stream}",))
        last = int((row.fetchone() or (0,))[0])
        if from_seq > last:
            return Outcome("applied", "ok", f"{stream}: nothing from seq {from_seq} (last {last})")
        held = db.execute(
            "SELECT count(*) FROM outbox WHERE stream = ? AND seq >= ?", (stream, from_seq)
        ).fetchone()[0]
        if held != last - from_seq + 1:
            return Outcome(
                "failed",
                "gone",
                f"{stream}: events from seq {from_seq} were acknowledged and are no longer kept",
            )
        reason = f"{stream}: sending seq {from_seq}-{last} again (with every unacknowledged event)"
        return Outcome("applied", "ok", reason, after=[self._link.resend_unacked])

    def _stage(self, v: Verified, wall: str) -> Outcome:
        source = f"command {v.cmd_id}"
        if _staged_from(self._store, source):  # a redelivery after a crash before the commit
            return self._staged(catalog_import.pending(self._store), "already staged")
        try:
            data, mode = self._catalog_data(v)
            rates = catalog_import.tax_rates(self._store) or None
            catalog = JsonCatalog(data, self._rules, self._config.kiosk.currency, rates)
            version = catalog_import.stage(self._store, catalog, source, mode, wall)
        except CatalogVersionError as exc:
            return Outcome("rejected", "not-newer", "; ".join(exc.problems)[:MAX_REASON])
        except CatalogError as exc:
            return Outcome("rejected", "bad-catalog", "; ".join(exc.problems)[:MAX_REASON])
        outcome = self._staged(catalog_import.pending(self._store), "staged")
        outcome.events.append(CatalogWaiting(at=self._clock.monotonic(), version=version))
        return outcome

    def _staged(self, waiting: catalog_import.Pending | None, what: str) -> Outcome:
        version = waiting.version if waiting else catalog_import.catalog_version(self._store)
        return Outcome("applied", "ok", f"catalog version {version} {what}; live between sales")

    def _catalog_data(self, v: Verified) -> tuple[dict[str, Any], str]:
        """A `catalog` body as it is; a `price` body as a delta of the live products with
        only their prices changed (every other field as it is, since a delta row replaces
        the whole product)."""
        if v.kind == "catalog":
            return dict(v.body["catalog"]), str(v.body["mode"])
        currency = str(v.body["currency"])
        rows = []
        for i, row in enumerate(v.body["rows"]):
            gtin = _gtin(str(row["code"]), self._rules)
            product = self._store.product(gtin) if gtin else None
            if gtin is None or product is None:
                raise CatalogError([f"rows[{i}].code: {row['code']} is not in the catalog"])
            extra = catalog_import.details(self._store, gtin)
            item: dict[str, Any] = {
                "code": gtin,
                "name": product.name,
                "price": _major(int(row["price_minor"]), currency),
                "vat": percent(product.vat_rate_bp),
                "age": product.age_limit,
                "weighed": "1" if product.weighed else "",
                "limit": product.quantity_limit,
                "plu": product.plu,
            }
            if extra is not None:
                item |= {"category": extra.category, "picture": extra.picture}
                item |= {f"name_{lang}": name for lang, name in extra.names.items()}
            rows.append(item)
        version = int(v.body["catalog_version"])
        data = {"version": 1, "currency": currency, "catalog_version": version, "products": rows}
        return data, "delta"


def _gtin(code: str, rules: barcodes.ScanRules) -> str | None:
    scan = barcodes.parse(code, rules)
    return scan.gtin if scan.valid and scan.gtin else None


def _major(minor: int, currency: str) -> str:
    digits = minor_digits(currency)
    if digits == 0:
        return str(minor)
    whole, part = divmod(minor, 10**digits)
    return f"{whole}.{part:0{digits}d}"


def _staged_from(store: Store, source: str) -> bool:
    waiting = catalog_import.pending(store)
    if waiting is not None and waiting.source == source:
        return True
    row = store.db.execute("SELECT 1 FROM catalog_versions WHERE source = ?", (source,))
    return row.fetchone() is not None

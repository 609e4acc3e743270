"""Effects → port calls. The one place effects run; failures come back as events.

Synchronous results (a lookup, a commit) are returned as events for the loop to step
at once; asynchronous devices (printer, card terminal) report through `emit` later.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.ports import CardTerminal, Clock, Drawer, ReceiptPrinter, Speaker
from appliance.shell import catalog_import, refunds, reports, suspended
from appliance.shell.store import Store, StoreError

log = logging.getLogger(__name__)


@dataclass
class Ports:
    """The devices the runner drives, built by bootstrap from config."""

    printer: ReceiptPrinter
    terminal: CardTerminal
    drawer: Drawer
    speaker: Speaker


_ACTIONS: dict[type, str] = {
    fx.SuspendSale: "suspend the sale",
    fx.LoadSuspended: "resume the sale",
    fx.LookUpSale: "find the sale",
    fx.CommitRefund: "save the refund",
    fx.MakeReport: "make the report",
    fx.Audit: "write the audit log",
    fx.MarkDelivered: "mark events delivered",
    fx.LookUpItem: "look the item up",
    fx.ApplyCatalog: "apply the new catalog",
}


class Runner:
    def __init__(
        self,
        ports: Ports,
        store: Store,
        clock: Clock,
        kiosk_id: str,
        clock_synced: Callable[[], bool] = lambda: False,
        currency: str = "EUR",
    ) -> None:
        self._ports = ports
        self._store = store
        self._clock = clock
        self._kiosk_id = kiosk_id
        self._clock_synced = clock_synced
        self._currency = currency
        # told after acknowledged rows leave the outbox (the reporter frees its window)
        self.on_delivered: Callable[[tuple[str, ...]], None] = lambda event_ids: None

    def run(self, effect: fx.Effect) -> list[ev.Event]:
        """Carry out one effect; return the events it produced at once. A store failure
        (disk full, ...) becomes StoreFailed: nothing was changed, the core decides."""
        try:
            events = self._run(effect)
            if isinstance(effect, fx.CommitSale | fx.CommitRefund | fx.MarkDelivered):
                depth = self._store.outbox_depth()
                events.append(ev.OutboxDepthChanged(at=self._clock.monotonic(), depth=depth))
            return events
        except (StoreError, sqlite3.Error) as exc:
            log.error("%s failed: %s", type(effect).__name__, exc)
            return [
                ev.StoreFailed(
                    at=self._clock.monotonic(),
                    action=_ACTIONS.get(type(effect), type(effect).__name__),
                    reason=str(exc),
                )
            ]

    def save_open_sale(self, body: dict[str, Any] | None) -> list[ev.Event]:
        """Keep (or clear) the unpaid sale; a failure comes back as StoreFailed."""
        try:
            self._store.save_open_sale(body, self._clock.wall_iso())
        except (StoreError, sqlite3.Error) as exc:
            log.error("open sale not saved: %s", exc)
            return [
                ev.StoreFailed(
                    at=self._clock.monotonic(), action="keep the open sale", reason=str(exc)
                )
            ]
        return []

    def save_lane(self, body: dict[str, Any] | None) -> list[ev.Event]:
        """Keep (or clear) the lane's closure; a failure comes back as StoreFailed."""
        try:
            self._store.save_lane(body)
        except (StoreError, sqlite3.Error) as exc:
            log.error("the lane's closure not saved: %s", exc)
            return [
                ev.StoreFailed(
                    at=self._clock.monotonic(), action="keep the lane closed", reason=str(exc)
                )
            ]
        return []

    def _run(self, effect: fx.Effect) -> list[ev.Event]:
        at = self._clock.monotonic()
        match effect:
            case fx.LookUpItem(scan):
                product = self._store.product(scan.gtin) if scan.gtin else None
                if product is None and scan.plu:
                    # an organic PLU (9 + the conventional one) is its own product: it must
                    # never sell at the conventional price
                    plu = f"9{scan.plu}" if scan.organic else scan.plu
                    product = self._store.product_by_plu(plu)
                today = self._clock.wall_iso()[:10]
                chosen = effect.chosen
                return [
                    ev.ItemLookedUp(at=at, scan=scan, product=product, today=today, chosen=chosen)
                ]
            case fx.CommitSale(draft):
                try:
                    sale = self._store.commit_sale(
                        draft, self._kiosk_id, self._clock.wall_iso(), self._clock_synced()
                    )
                except StoreError as exc:
                    log.error("sale commit failed: %s", exc)
                    return [ev.SaleCommitFailed(at=at, reason=str(exc))]
                log.info("sale %s committed as number %d", sale.sale_id, sale.seq)
                return [
                    ev.SaleCommitted(
                        at=at, sale_id=sale.sale_id, seq=sale.seq, wall_at=self._clock.wall_iso()
                    )
                ]
            case fx.StartPayment(amount_minor, currency):
                self._ports.terminal.request_payment(amount_minor, currency)
            case fx.PrintReceipt(receipt):
                self._ports.printer.print_receipt(receipt)
            case fx.OpenDrawer(reason):
                log.info("drawer released (%s)", reason)
                self._ports.drawer.release()
            case fx.MarkDelivered(event_ids):
                self._store.mark_delivered(event_ids)
                self.on_delivered(event_ids)
            case fx.PlaySound(sound):
                self._ports.speaker.play(sound.value)
            case fx.Audit(action, detail, staff_id, reason):
                self._store.audit(action, detail, self._clock.wall_iso(), staff_id, reason)
            case fx.SuspendSale(basket, staff_id):
                number = suspended.suspend(self._store, basket, staff_id, self._clock.wall_iso())
                return [ev.SaleSuspended(at=at, number=number)]
            case fx.LoadSuspended(number):
                kept = suspended.resume(self._store, number, self._clock.wall_iso())
                return [ev.SuspendedLoaded(at=at, number=number, basket=kept)]
            case fx.LookUpSale(seq, check, code):
                found = refunds.find_sale(self._store, seq, check)
                return [ev.SaleLookedUp(at=at, code=code, sale=found)]
            case fx.CommitRefund(draft, staff_id):
                wall = self._clock.wall_iso()
                refund_id, seq = refunds.commit_refund(
                    self._store, draft, staff_id, self._kiosk_id, wall, self._clock_synced()
                )
                return [ev.RefundCommitted(at=at, refund_id=refund_id, seq=seq, wall_at=wall)]
            case fx.MakeReport(kind, _staff_id):
                wall = self._clock.wall_iso()
                make = reports.close_day if kind is fx.ReportKind.Z else reports.x_report
                return [ev.ReportReady(at=at, report=make(self._store, wall, self._currency))]
            case fx.PrintDocument(document):
                self._ports.printer.print_document(document)
            case fx.ApplyCatalog(_version):
                applied = catalog_import.apply_pending(self._store, self._clock.wall_iso())
                if applied is not None:
                    return [
                        ev.CatalogApplied(
                            at=at,
                            version=applied,
                            promotions=self._store.promotions(),
                            shelf_prices=tuple(sorted(self._store.shelf_prices().items())),
                        )
                    ]
            case _:
                raise TypeError(f"no runner for effect {effect!r}")
        return []

"""Effects → port calls. The one place effects run; failures come back as events.

Synchronous results (a lookup, a commit) are returned as events for the loop to step
at once; asynchronous devices (printer, card terminal) report through `emit` later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.ports import CardTerminal, Clock, Drawer, ReceiptPrinter, Speaker
from appliance.shell.store import Store, StoreError

log = logging.getLogger(__name__)


@dataclass
class Ports:
    """The devices the runner drives, built by bootstrap from config."""

    printer: ReceiptPrinter
    terminal: CardTerminal
    drawer: Drawer
    speaker: Speaker


class Runner:
    def __init__(
        self,
        ports: Ports,
        store: Store,
        clock: Clock,
        kiosk_id: str,
        clock_synced: Callable[[], bool] = lambda: False,
    ) -> None:
        self._ports = ports
        self._store = store
        self._clock = clock
        self._kiosk_id = kiosk_id
        self._clock_synced = clock_synced
        # told after acknowledged rows leave the outbox (the reporter frees its window)
        self.on_delivered: Callable[[tuple[str, ...]], None] = lambda event_ids: None

    def run(self, effect: fx.Effect) -> list[ev.Event]:
        """Carry out one effect; return the events it produced at once."""
        at = self._clock.monotonic()
        match effect:
            case fx.LookUpItem(scan):
                return [ev.ItemLookedUp(at=at, scan=scan, product=self._store.product(scan.gtin))]
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
            case fx.Audit(action, detail):
                self._store.audit(action, detail, self._clock.wall_iso())
            case _:
                raise TypeError(f"no runner for effect {effect!r}")
        return []

"""Inputs to the core: past-tense facts. The one catalogue of event names.

Every event carries `at`, a monotonic timestamp in seconds from the shell's clock;
the core never reads a clock of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.core.barcodes import Scan
from appliance.core.basket import Basket
from appliance.core.products import Product
from appliance.core.promotions import Rule
from appliance.core.records import Report, SoldSale


class KeyPosition(StrEnum):
    """The staff key switch. SERVICE exists only on a three-position switch
    (gpio.key_positions = 3): the lane is closed to shoppers while the key is there (a
    technician at work) and opens again as it was when the key comes back. It gives no
    staff rights: those stay with STAFF and a badge."""

    NORMAL = "normal"
    STAFF = "staff"
    SERVICE = "service"


class PaperState(StrEnum):
    OK = "ok"
    LOW = "low"
    OUT = "out"


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    at: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Tick(Event):
    """Time passed; deadlines in the state are checked against `at`."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BarcodeScanned(Event):
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemLookedUp(Event):
    """The store's answer to LookUpItem: the product, or None when it is not in the catalog.

    today: the shell's wall-clock date (ISO), against which a scanned expiry is checked.
    chosen: the item was touched on the lookup screen (LookUpItem.chosen), not scanned.
    """

    scan: Scan
    product: Product | None
    today: str = ""
    chosen: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Touched(Event):
    """A screen button was touched (button ids are listed in appliance/core/buttons.py).

    arg: what the button acts on, for buttons that carry one (a line number for
    staff.void-line; "<line> <price_minor> <reason>" for staff.override-price).
    """

    button: str
    arg: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyTurned(Event):
    position: KeyPosition


@dataclass(frozen=True, kw_only=True, slots=True)
class HelpButtonPressed(Event):
    pass


@dataclass(frozen=True, kw_only=True, slots=True)
class ShopperActive(Event):
    """A touch the UI handled on its own (typing a name, keying a PLU, turning a page of
    the look-up): nothing for the core to do but to know someone is there (idle.py)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentApproved(Event):
    method: str
    reference: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentDeclined(Event):
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SaleCommitted(Event):
    """The store committed the sale, its stock movements and its outbox row in one transaction."""

    sale_id: str
    seq: int
    wall_at: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SaleCommitFailed(Event):
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptPrinted(Event):
    sale_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PrintFailed(Event):
    sale_id: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PrinterStatusChanged(Event):
    online: bool
    paper: PaperState
    reason: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ScannerLost(Event):
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ScannerFound(Event):
    pass


@dataclass(frozen=True, kw_only=True, slots=True)
class DrawerSensorChanged(Event):
    """The drawer's switch changed (or was read at start); `at` is when, which starts the
    drawer alarm's clock (Rules.drawer_alarm_s)."""

    is_open: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportAcked(Event):
    """Head office acknowledged these outbox events at the application level."""

    event_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class BrokerLinkChanged(Event):
    connected: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandReceived(Event):
    """A message on one of this kiosk's command topics, as the broker delivered it (QoS 1,
    unverified). The shell's command runner takes it before the core: it verifies, records
    and answers it, and gives the core only what a verified command means. `mid` and
    `connection` say which delivery to acknowledge, once the outcome is committed."""

    payload: bytes
    mid: int
    connection: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RemoteServiceRequested(Event):
    """Head office (a verified `out-of-service` command) asks the lane to close (on=True)
    or to open again; the core does it between sales, never under a sale in hand."""

    on: bool
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogWaiting(Event):
    """A validated catalog version is staged in the store, waiting to be applied."""

    version: int


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogApplied(Event):
    """The store swapped in this catalog version; prices and promotions are now these."""

    version: int
    promotions: tuple[Rule, ...]
    shelf_prices: tuple[tuple[str, int], ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxDepthChanged(Event):
    """How many events wait in the outbox for head office's acknowledgement."""

    depth: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SaleSuspended(Event):
    """The store kept the basket under this number; its slip can bring it back."""

    number: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SuspendedLoaded(Event):
    """The store's answer to LoadSuspended: the basket, or None (unknown or already resumed)."""

    number: int
    basket: Basket | None


@dataclass(frozen=True, kw_only=True, slots=True)
class SaleLookedUp(Event):
    """The store's answer to LookUpSale (a receipt scanned for a refund)."""

    code: str
    sale: SoldSale | None


@dataclass(frozen=True, kw_only=True, slots=True)
class RefundCommitted(Event):
    refund_id: str
    seq: int
    wall_at: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportReady(Event):
    report: Report


@dataclass(frozen=True, kw_only=True, slots=True)
class StoreFailed(Event):
    """A store write other than a sale failed (disk full, ...): nothing was changed."""

    action: str
    reason: str

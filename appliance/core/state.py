"""The kiosk's whole state as one immutable value, and the rules it runs under."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from appliance.core.barcodes import DEFAULT_LAYOUT, VariableMeasureLayout
from appliance.core.basket import Basket
from appliance.core.events import KeyPosition, PaperState
from appliance.core.promotions import Promotion
from appliance.core.receipt import Receipt


class Checkout(StrEnum):
    """Where the customer's sale is. Groups below name what each state allows."""

    WELCOME = "welcome"
    SCANNING = "scanning"
    ITEM_UNKNOWN = "item-unknown"
    PAYING = "paying"
    PAYMENT_DECLINED = "payment-declined"
    COMMITTING = "committing"
    PRINTING = "printing"
    THANK_YOU = "thank-you"
    OUT_OF_SERVICE = "out-of-service"


SELLING_STATES = frozenset({Checkout.WELCOME, Checkout.SCANNING})
BLOCKING_STATES = frozenset({Checkout.ITEM_UNKNOWN})
# the customer has paid or is paying: nothing may drop the sale from here on
PAYMENT_STATES = frozenset(
    {Checkout.PAYING, Checkout.PAYMENT_DECLINED, Checkout.COMMITTING, Checkout.PRINTING}
)


@dataclass(frozen=True, slots=True)
class Rules:
    """Store rules the core applies; read once from config and the catalog.

    thank_you_s: seconds the thank-you screen stays before the welcome screen returns.
    """

    store_name: str = "kiosk"
    currency: str = "EUR"
    promotions: tuple[Promotion, ...] = ()
    layout: VariableMeasureLayout = DEFAULT_LAYOUT
    thank_you_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Devices:
    scanner_ok: bool = True
    scanner_reason: str = ""
    printer_online: bool = True
    paper: PaperState = PaperState.OK
    printer_reason: str = ""
    drawer_open: bool = False
    broker_connected: bool = False


@dataclass(frozen=True, slots=True)
class KioskState:
    rules: Rules = field(default_factory=Rules)
    checkout: Checkout = Checkout.WELCOME
    basket: Basket = field(default_factory=Basket)
    key: KeyPosition = KeyPosition.NORMAL
    devices: Devices = field(default_factory=Devices)
    help_requested: bool = False
    # what the customer is told right now ("Not recognised: ...", "Card declined: ...")
    notice: str = ""
    # the sale being paid or just paid
    payment_method: str = ""
    payment_reference: str = ""
    receipt: Receipt | None = None
    receipt_printed: bool = False
    out_of_service_reason: str = ""
    # monotonic deadline for the current screen (thank-you), or None
    deadline_at: float | None = None
    # how many sales this process has committed (today's figure comes from the store)
    sales_committed: int = 0

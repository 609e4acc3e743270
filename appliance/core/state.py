"""The kiosk's whole state as one immutable value, and the rules it runs under."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from appliance.core.barcodes import DEFAULT_RULES, ScanRules
from appliance.core.basket import Basket
from appliance.core.events import KeyPosition, PaperState
from appliance.core.interventions import Intervention
from appliance.core.promotion_hints import Hint
from appliance.core.promotions import Rule
from appliance.core.receipt import Receipt
from appliance.core.records import RefundDraft, Report


class Checkout(StrEnum):
    """Where the lane is. The groups below name what each state allows."""

    WELCOME = "welcome"
    SCANNING = "scanning"
    BLOCKED = "blocked"
    PAYING = "paying"
    PAYMENT_DECLINED = "payment-declined"
    COMMITTING = "committing"
    PRINTING = "printing"
    THANK_YOU = "thank-you"
    # after the commit: how the customer wants the receipt (appliance/core/receipts.py)
    RECEIPT_CHOICE = "receipt-choice"
    ERECEIPT = "ereceipt"
    OUT_OF_SERVICE = "out-of-service"
    REFUND = "refund"
    REPORT = "report"


SELLING_STATES = frozenset({Checkout.WELCOME, Checkout.SCANNING})
BLOCKING_STATES = frozenset({Checkout.BLOCKED})
# the customer has paid or is paying: nothing may drop the sale from here on
PAYMENT_STATES = frozenset(
    {Checkout.PAYING, Checkout.PAYMENT_DECLINED, Checkout.COMMITTING, Checkout.PRINTING}
)
# staff work that is not a customer's sale
STAFF_STATES = frozenset({Checkout.REFUND, Checkout.REPORT})


@dataclass(frozen=True, slots=True)
class Rules:
    """Store rules the core applies; read once from config and the catalog.

    thank_you_s: seconds the thank-you screen stays before the welcome screen returns.
    max_payment_attempts: declined payments before the customer is sent to a staffed till.
    cash_rounding_minor: the step cash amounts are rounded to (5 = 0.05), 0 for none.
    outbox_limit: unsent events at which the lane stops taking new sales.
    drawer_alarm_s: seconds the cash drawer may stay open before the drawer alarm.
    idle_prompt_s: seconds without input on an open basket before "Still there?" shows.
    idle_staff_s: seconds "Still there?" waits for an answer before staff are called.
    receipt_choice_s: seconds the receipt choice waits before printing (the default).
    ereceipt_s: seconds the e-receipt QR code stays up before the thank-you screen.
    """

    store_name: str = "kiosk"
    currency: str = "EUR"
    promotions: tuple[Rule, ...] = ()
    # shelf prices of the products in promotions: a hint prices what is not yet scanned
    shelf_prices: tuple[tuple[str, int], ...] = ()
    scan_rules: ScanRules = DEFAULT_RULES
    thank_you_s: float = 5.0
    max_payment_attempts: int = 3
    cash_rounding_minor: int = 0
    outbox_limit: int = 200_000
    drawer_alarm_s: float = 30.0
    idle_prompt_s: float = 60.0
    idle_staff_s: float = 60.0
    # e-receipts: the QR code links to `<ereceipt_url>/<sale_id>`; "" offers none
    ereceipt_url: str = ""
    receipt_choice_s: float = 10.0
    ereceipt_s: float = 30.0
    # why the store cannot be used at all (damaged or lost at start), or ""
    store_fault: str = ""


@dataclass(frozen=True, slots=True)
class Devices:
    scanner_ok: bool = True
    scanner_reason: str = ""
    printer_online: bool = True
    paper: PaperState = PaperState.OK
    printer_reason: str = ""
    drawer_open: bool = False
    # when the drawer opened (monotonic), and whether it has been open too long since
    drawer_open_since: float | None = None
    drawer_alarm: bool = False
    # the last release asked for (monotonic, reason), until the drawer is seen to open: an
    # opening without one was forced
    drawer_released_at: float | None = None
    drawer_release_reason: str = ""
    broker_connected: bool = False
    outbox_depth: int = 0


@dataclass(frozen=True, slots=True)
class KioskState:
    rules: Rules = field(default_factory=Rules)
    checkout: Checkout = Checkout.WELCOME
    basket: Basket = field(default_factory=Basket)
    key: KeyPosition = KeyPosition.NORMAL
    # the badge scanned since the key was turned; every staff action is audited with it
    staff_id: str = ""
    devices: Devices = field(default_factory=Devices)
    help_requested: bool = False
    # what the customer is told right now ("Not recognised: ...", "Card declined: ...")
    notice: str = ""
    # the blocking intervention (checkout is BLOCKED), and the deferred ones
    blocking: Intervention | None = None
    deferred: tuple[Intervention, ...] = ()
    # a gentle promotion hint ("add a drink and save 1.20"); each deal hints once a sale
    hint: Hint | None = None
    hinted: frozenset[str] = frozenset()
    # the age this sale's customer was checked for (one check covers the sale)
    age_verified: int = 0
    # the customer touched Pay while a deferred check was pending
    waiting_to_pay: bool = False
    payment_attempts: int = 0
    # the sale being paid or just paid
    payment_method: str = ""
    payment_reference: str = ""
    receipt: Receipt | None = None
    receipt_printed: bool = False
    out_of_service_reason: str = ""
    # staff work in progress
    refund: RefundDraft | None = None
    report: Report | None = None
    # monotonic deadline for the current screen (thank-you), or None
    deadline_at: float | None = None
    # the last touch, scan or key turn (monotonic), and since when "Still there?" has
    # been asked (None: not asked); appliance/core/idle.py
    last_input_at: float | None = None
    still_there_since: float | None = None
    # the catalog version in use, and a newer one staged to apply between sales
    catalog_version: int = 0
    catalog_waiting: int | None = None
    # head office's out-of-service request (on, reason), waiting for the sale in hand to
    # end (appliance/core/remote.py), or None
    service_request: tuple[bool, str] | None = None
    # how many sales this process has committed (today's figure comes from the store)
    sales_committed: int = 0

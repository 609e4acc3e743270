"""The checkout state machine: step(state, event) -> (state, effects).

Rules (read these before the table):
1. A sale moves WELCOME → SCANNING → PAYING → COMMITTING → PRINTING → THANK_YOU → WELCOME.
   The receipt is asked for only after the store reports SaleCommitted: a sale the
   customer paid for is durable before its receipt prints.
2. An unknown or unreadable item blocks (ITEM_UNKNOWN, red) until staff approve it away.
3. Device, key, help and broker events are valid in every state (GLOBAL handlers);
   everything else must have an entry in TRANSITIONS or IllegalTransition is raised,
   which the shell logs and drops: bad input changes nothing.
4. Staff buttons need the key in the staff position. The drawer opens only through
   STAFF_OPEN_DRAWER, so no customer path opens it.
5. Once payment has started (PAYMENT_STATES) nothing drops the basket: staff cannot
   cancel it and out-of-service waits until the sale is finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from appliance.core import barcodes, buttons
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.basket import Basket
from appliance.core.receipt import Receipt, ReceiptLine, ReceiptSaving
from appliance.core.state import PAYMENT_STATES, Checkout, KioskState

Result = tuple[KioskState, list[fx.Effect]]
Handler = Callable[[KioskState, ev.Event], Result]


class IllegalTransition(Exception):
    """An event arrived that the current state has no rule for."""

    def __init__(self, state: KioskState, event: ev.Event, why: str = "") -> None:
        self.checkout = state.checkout
        self.event = event
        self.why = why or f"no rule for {_trigger(event)} in {state.checkout.value}"
        super().__init__(self.why)


def _trigger(event: ev.Event) -> str:
    if isinstance(event, ev.Touched):
        return f"touch:{event.button}"
    return type(event).__name__


# -- customer flow ---------------------------------------------------------------------


def _scan(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.BarcodeScanned)
    scan = barcodes.parse(event.text, state.rules.layout)
    if not scan.valid:
        return _block(state, f"Barcode not read ({scan.error}). Please ask staff.")
    return state, [fx.LookUpItem(scan)]


def _looked_up(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.ItemLookedUp)
    product = event.product
    if product is None:
        return _block(state, f"Item not recognised: {event.scan.text}")
    if product.weighed and not event.scan.price_minor:
        # a weighed item sells only by its scale label's price, never by its bare code
        return _block(state, f"{product.name}: please weigh it at the scale and scan its label")
    price = event.scan.price_minor if event.scan.price_minor is not None else product.price_minor
    basket = state.basket.add(product, price)
    return replace(state, checkout=Checkout.SCANNING, basket=basket, notice=""), [
        fx.PlaySound(fx.Sound.ITEM)
    ]


def _block(state: KioskState, notice: str) -> Result:
    return replace(state, checkout=Checkout.ITEM_UNKNOWN, notice=notice), [
        fx.PlaySound(fx.Sound.PROBLEM)
    ]


def _pay(state: KioskState, event: ev.Event) -> Result:
    if state.basket.is_empty:
        raise IllegalTransition(state, event, "nothing to pay for")
    if state.key is ev.KeyPosition.STAFF:
        raise IllegalTransition(state, event, "turn the staff key back before paying")
    total = state.basket.totals(state.rules.promotions).total_minor
    return replace(state, checkout=Checkout.PAYING, notice=""), [
        fx.StartPayment(total, state.rules.currency)
    ]


def _approved(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PaymentApproved)
    draft = fx.SaleDraft(
        currency=state.rules.currency,
        lines=tuple(line for line in state.basket.lines if not line.voided),
        totals=state.basket.totals(state.rules.promotions),
        payment_method=event.method,
        payment_reference=event.reference,
    )
    new = replace(
        state,
        checkout=Checkout.COMMITTING,
        payment_method=event.method,
        payment_reference=event.reference,
    )
    return new, [fx.CommitSale(draft)]


def _declined(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PaymentDeclined)
    notice = f"Payment declined: {event.reason}"
    return replace(state, checkout=Checkout.PAYMENT_DECLINED, notice=notice), [
        fx.PlaySound(fx.Sound.PROBLEM)
    ]


def _cancel_payment(state: KioskState, event: ev.Event) -> Result:
    return replace(state, checkout=Checkout.SCANNING, notice=""), []


def _committed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SaleCommitted)
    receipt = _receipt(state, event)
    new = replace(
        state,
        receipt=receipt,
        receipt_printed=False,
        basket=Basket(),
        sales_committed=state.sales_committed + 1,
    )
    if state.devices.paper is ev.PaperState.OUT or not state.devices.printer_online:
        # never queue a receipt for later: a backlog of stale receipts helps nobody
        return _thank_you(new, event.at, "The printer needs staff: no paper receipt this time.")
    return replace(new, checkout=Checkout.PRINTING), [fx.PrintReceipt(receipt)]


def _commit_failed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SaleCommitFailed)
    # The customer has paid but the sale is not recorded: stop selling and call staff.
    new = replace(
        state,
        checkout=Checkout.OUT_OF_SERVICE,
        out_of_service_reason=f"Sale could not be saved: {event.reason}",
        help_requested=True,
    )
    return new, [fx.PlaySound(fx.Sound.PROBLEM)]


def _printed(state: KioskState, event: ev.Event) -> Result:
    return _thank_you(replace(state, receipt_printed=True), event.at, "")


def _print_failed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PrintFailed)
    notice = f"Your purchase is complete, but the receipt did not print ({event.reason})."
    return _thank_you(state, event.at, notice)


def _thank_you(state: KioskState, at: float, notice: str) -> Result:
    deadline = at + state.rules.thank_you_s
    return replace(state, checkout=Checkout.THANK_YOU, notice=notice, deadline_at=deadline), []


def _done(state: KioskState, event: ev.Event) -> Result:
    return _welcome(state), []


def _welcome(state: KioskState) -> KioskState:
    return replace(
        state,
        checkout=Checkout.WELCOME,
        notice="",
        deadline_at=None,
        payment_method="",
        payment_reference="",
    )


def _receipt(state: KioskState, event: ev.SaleCommitted) -> Receipt:
    totals = state.basket.totals(state.rules.promotions)
    return Receipt(
        store_name=state.rules.store_name,
        currency=state.rules.currency,
        sale_id=event.sale_id,
        seq=event.seq,
        wall_at=event.wall_at,
        lines=tuple(
            ReceiptLine(line.product.name, line.quantity, line.unit_price_minor, line.total_minor)
            for line in state.basket.lines
            if not line.voided
        ),
        savings=tuple(ReceiptSaving(s.name, s.amount_minor) for s in totals.savings),
        tax_rows=totals.tax_rows,
        total_minor=totals.total_minor,
        payment_method=state.payment_method,
        payment_reference=state.payment_reference,
    )


# -- staff actions (key switch) ------------------------------------------------------------


def _staff_approve(state: KioskState, event: ev.Event) -> Result:
    back = Checkout.SCANNING if not state.basket.is_empty else Checkout.WELCOME
    new = replace(state, checkout=back, notice="", help_requested=False)
    return new, [fx.Audit("approve", state.notice)]


def _staff_help_given(state: KioskState, event: ev.Event) -> Result:
    return replace(state, help_requested=False), [fx.Audit("help-given", "")]


def _staff_cancel_sale(state: KioskState, event: ev.Event) -> Result:
    items = state.basket.item_count
    return _welcome(replace(state, basket=Basket())), [fx.Audit("cancel-sale", f"{items} items")]


def _staff_open_drawer(state: KioskState, event: ev.Event) -> Result:
    return state, [fx.OpenDrawer("staff"), fx.Audit("open-drawer", "")]


def _staff_out_of_service(state: KioskState, event: ev.Event) -> Result:
    new = replace(state, checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason="Closed by staff")
    return new, [fx.Audit("out-of-service", "")]


def _staff_back_in_service(state: KioskState, event: ev.Event) -> Result:
    new = replace(_welcome(state), out_of_service_reason="", help_requested=False)
    return new, [fx.Audit("back-in-service", state.out_of_service_reason)]


# -- the table -------------------------------------------------------------------------------

W, S, U = Checkout.WELCOME, Checkout.SCANNING, Checkout.ITEM_UNKNOWN
P, D, C = Checkout.PAYING, Checkout.PAYMENT_DECLINED, Checkout.COMMITTING
R, T, X = Checkout.PRINTING, Checkout.THANK_YOU, Checkout.OUT_OF_SERVICE

TRANSITIONS: dict[tuple[Checkout, str], Handler] = {
    (W, "BarcodeScanned"): _scan,
    (S, "BarcodeScanned"): _scan,
    (T, "BarcodeScanned"): _scan,  # the next customer may start before the timeout
    (W, "ItemLookedUp"): _looked_up,
    (S, "ItemLookedUp"): _looked_up,
    (T, "ItemLookedUp"): _looked_up,
    (S, f"touch:{buttons.PAY}"): _pay,
    (P, "PaymentApproved"): _approved,
    (P, "PaymentDeclined"): _declined,
    (D, f"touch:{buttons.RETRY_PAYMENT}"): _pay,
    (D, f"touch:{buttons.CANCEL_PAYMENT}"): _cancel_payment,
    (C, "SaleCommitted"): _committed,
    (C, "SaleCommitFailed"): _commit_failed,
    (R, "ReceiptPrinted"): _printed,
    (R, "PrintFailed"): _print_failed,
    (T, f"touch:{buttons.DONE}"): _done,
    (U, f"touch:{buttons.STAFF_APPROVE}"): _staff_approve,
    (W, f"touch:{buttons.STAFF_OUT_OF_SERVICE}"): _staff_out_of_service,
    (S, f"touch:{buttons.STAFF_OUT_OF_SERVICE}"): _staff_out_of_service,
    (T, f"touch:{buttons.STAFF_OUT_OF_SERVICE}"): _staff_out_of_service,
    (X, f"touch:{buttons.STAFF_BACK_IN_SERVICE}"): _staff_back_in_service,
    (S, f"touch:{buttons.STAFF_CANCEL_SALE}"): _staff_cancel_sale,
    (U, f"touch:{buttons.STAFF_CANCEL_SALE}"): _staff_cancel_sale,
}
# the drawer may open, and help be marked as given, in any state: only from the staff menu
for _state in Checkout:
    TRANSITIONS[(_state, f"touch:{buttons.STAFF_OPEN_DRAWER}")] = _staff_open_drawer
    TRANSITIONS[(_state, f"touch:{buttons.STAFF_HELP_GIVEN}")] = _staff_help_given


# -- events valid in every state ------------------------------------------------------------


def _tick(state: KioskState, event: ev.Event) -> Result:
    if state.deadline_at is not None and event.at >= state.deadline_at:
        if state.checkout is Checkout.THANK_YOU:
            return _welcome(state), []
        return replace(state, deadline_at=None), []
    return state, []


def _key(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.KeyTurned)
    if event.position is state.key:
        return state, []
    return replace(state, key=event.position), [fx.Audit("key", event.position.value)]


def _help(state: KioskState, event: ev.Event) -> Result:
    return replace(state, help_requested=True), []


def _help_touched(state: KioskState, event: ev.Event) -> Result:
    return _help(state, event)


def _printer_status(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PrinterStatusChanged)
    devices = replace(
        state.devices, printer_online=event.online, paper=event.paper, printer_reason=event.reason
    )
    return replace(state, devices=devices), []


def _scanner_lost(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.ScannerLost)
    devices = replace(state.devices, scanner_ok=False, scanner_reason=event.reason)
    return replace(state, devices=devices), [fx.PlaySound(fx.Sound.PROBLEM)]


def _scanner_found(state: KioskState, event: ev.Event) -> Result:
    return replace(state, devices=replace(state.devices, scanner_ok=True, scanner_reason="")), []


def _drawer(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.DrawerSensorChanged)
    return replace(state, devices=replace(state.devices, drawer_open=event.is_open)), []


def _acked(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.ReportAcked)
    return state, [fx.MarkDelivered(event.event_ids)]


def _broker(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.BrokerLinkChanged)
    devices = replace(state.devices, broker_connected=event.connected)
    return replace(state, devices=devices), []


GLOBAL: dict[str, Handler] = {
    "Tick": _tick,
    "KeyTurned": _key,
    "HelpButtonPressed": _help,
    f"touch:{buttons.HELP}": _help_touched,
    "PrinterStatusChanged": _printer_status,
    "ScannerLost": _scanner_lost,
    "ScannerFound": _scanner_found,
    "DrawerSensorChanged": _drawer,
    "ReportAcked": _acked,
    "BrokerLinkChanged": _broker,
}

_NOT_DURING_PAYMENT = {
    f"touch:{buttons.STAFF_CANCEL_SALE}",
    f"touch:{buttons.STAFF_OUT_OF_SERVICE}",
}


def step(state: KioskState, event: ev.Event) -> Result:
    """Apply one event. Raises IllegalTransition when no rule allows it; never mutates."""
    trigger = _trigger(event)
    if trigger in GLOBAL:
        return GLOBAL[trigger](state, event)
    if isinstance(event, ev.Touched) and event.button in buttons.STAFF_BUTTONS:
        if state.key is not ev.KeyPosition.STAFF:
            raise IllegalTransition(state, event, "staff action without the staff key")
        if state.checkout in PAYMENT_STATES and trigger in _NOT_DURING_PAYMENT:
            raise IllegalTransition(state, event, "a paid or paying sale cannot be dropped")
    handler = TRANSITIONS.get((state.checkout, trigger))
    if handler is None:
        raise IllegalTransition(state, event)
    return handler(state, event)


def next_deadline(state: KioskState) -> float | None:
    """When the loop must wake to deliver a Tick, or None when nothing is waiting."""
    return state.deadline_at

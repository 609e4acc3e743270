"""The customer's side of the checkout: scan, pay, receipt, thank you (pure handlers).

The transition table in checkout.py decides which handler runs in which state; these
functions only compute the next state and its effects.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from appliance.core import barcodes, remote
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.basket import Basket
from appliance.core.interventions import Intervention, Need, with_deferred, without
from appliance.core.products import Product
from appliance.core.promotion_hints import Hint
from appliance.core.receipt import Receipt, ReceiptLine, ReceiptSaving
from appliance.core.state import Checkout, KioskState
from appliance.core.text import Text

Result = tuple[KioskState, list[fx.Effect]]


class Refused(Exception):
    """The event is understood but not allowed now; checkout.step turns it into an
    IllegalTransition naming why (nothing changes)."""


# -- scanning --------------------------------------------------------------------------


def scan_item(state: KioskState, event: ev.BarcodeScanned) -> Result:
    scan = barcodes.parse(event.text, state.rules.scan_rules)
    if not scan.valid:
        return block(
            state, Need.UNKNOWN_ITEM, Text("Barcode not read ({error}).", error=scan.error)
        )
    return state, [fx.LookUpItem(scan)]


# a weighed item touched on the lookup screen: the kiosk has no certified scale to price it
SOLD_BY_WEIGHT = "{name} is sold by weight: weigh it on the scale and scan the label it prints."
NOT_SOLD = Text("That item is not sold here any more.")


def chosen(state: KioskState, event: ev.Event) -> Result:
    """An item touched on the lookup screen (arg: its GTIN) is looked up by its code like a
    scan, so the same checks follow (age, quantity limit, weighed); it is marked chosen."""
    assert isinstance(event, ev.Touched)
    if state.key is ev.KeyPosition.SERVICE:
        raise Refused("the lane is closed for service (key in the service position)")
    scan = barcodes.parse(event.arg, state.rules.scan_rules)
    if not scan.valid or not scan.gtin:
        raise Refused(f"not an item code: {event.arg!r}")
    return state, [fx.LookUpItem(scan, chosen=True)]


def _not_added(state: KioskState, notice: str) -> Result:
    """A chosen item that cannot be sold by touch: say why; nothing for staff to do."""
    back = Checkout.WELCOME if state.basket.is_empty else Checkout.SCANNING
    return replace(state, checkout=back, notice=notice), [fx.PlaySound(fx.Sound.PROBLEM)]


def looked_up(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.ItemLookedUp)
    if state.checkout in (Checkout.WELCOME, Checkout.THANK_YOU):
        state = new_sale(state)
    product, scan = event.product, event.scan
    if product is None:
        if event.chosen:  # the catalog changed under the lookup screen
            return _not_added(state, NOT_SOLD)
        return block(state, Need.UNKNOWN_ITEM, Text("Item not recognised: {code}", code=scan.text))
    price = _price(product, scan)
    if price is None and event.chosen:
        return _not_added(state, SOLD_BY_WEIGHT.format(name=product.name))
    if price is None:
        # a weighed item sells only by its certified scale label, never by its bare code
        return block(
            state,
            Need.UNKNOWN_ITEM,
            Text("{name}: please weigh it and scan the label", name=product.name),
        )
    if _expired(scan, event.today):
        return block(state, Need.EXPIRED_ITEM, Text("{name} is past its date", name=product.name))
    basket = state.basket.add(product, price)
    state = replace(state, checkout=Checkout.SCANNING, basket=basket, notice="")
    line_no = basket.lines[-1].line_no
    if product.quantity_limit is not None:
        units = sum(
            line.quantity
            for line in basket.lines
            if not line.voided and line.product.gtin == product.gtin
        )
        if units > product.quantity_limit:
            detail = Text(
                "{name}: at most {limit} per customer",
                name=product.name,
                limit=product.quantity_limit,
            )
            return block(state, Need.QUANTITY_LIMIT, detail, line_no)
    effects: list[fx.Effect] = [fx.PlaySound(fx.Sound.ITEM)]
    state = _with_hint(state, product)
    if product.age_limit and product.age_limit > state.age_verified:
        check = Intervention(
            Need.AGE_CHECK,
            Text("Age check: {age}+", age=product.age_limit),
            line_no,
            product.age_limit,
        )
        state = replace(state, deferred=with_deferred(state.deferred, check))
    return state, effects


def _with_hint(state: KioskState, product: Product) -> KioskState:
    """One gentle hint at most per deal and sale, about the item just scanned; it shows
    until the next scan and never stops anything."""
    hints: tuple[Hint, ...] = ()
    if state.rules.promotions:
        hints = state.basket.hints(
            state.rules.promotions, dict(state.rules.shelf_prices), touching=product.gtin
        )
    hint = next((h for h in hints if h.promo_id not in state.hinted), None)
    if hint is None:
        return replace(state, hint=None)
    return replace(state, hint=hint, hinted=state.hinted | {hint.promo_id})


def _price(product: Product, scan: barcodes.Scan) -> int | None:
    """What one unit costs. A label's price wins. A weighed item without a price on its
    label is priced from the label's weight (the certified scale's, never the kiosk's) at
    the catalog's price per kilogram, rounded half up; with neither it cannot be sold."""
    if scan.price_minor:
        return scan.price_minor
    if not product.weighed:
        return product.price_minor
    if scan.weight_g:
        return (scan.weight_g * product.price_minor + 500) // 1000
    return None


def _expired(scan: barcodes.Scan, today: str) -> bool:
    return bool(today) and barcodes.is_expired(scan, date.fromisoformat(today))


def block(state: KioskState, need: Need, detail: str, line_no: int | None = None) -> Result:
    """Stop the sale until staff resolve `need` (red; the customer waits)."""
    blocking = Intervention(need, detail, line_no)
    new = replace(state, checkout=Checkout.BLOCKED, blocking=blocking, notice=detail)
    return new, [fx.PlaySound(fx.Sound.PROBLEM)]


def unblocked(state: KioskState) -> KioskState:
    back = Checkout.WELCOME if state.basket.is_empty else Checkout.SCANNING
    return replace(state, checkout=back, blocking=None, notice="")


def void_request(state: KioskState, event: ev.Event) -> Result:
    """Customers cannot remove items themselves: staff come and void the line."""
    return block(state, Need.VOID_REQUEST, Text("You asked to remove an item: staff are coming."))


def price_check(state: KioskState, event: ev.Event) -> Result:
    """The customer thinks a price is wrong: staff check it before payment."""
    last = state.basket.lines[-1].line_no if state.basket.lines else None
    check = Intervention(Need.PRICE_CHECK, Text("Price check requested"), last)
    notice = Text("Staff will check the price before you pay. Keep scanning.")
    return replace(state, deferred=with_deferred(state.deferred, check), notice=notice), []


def new_sale(state: KioskState) -> KioskState:
    """A fresh sale: everything about the previous customer is forgotten."""
    return replace(
        state,
        basket=Basket(),
        blocking=None,
        deferred=(),
        age_verified=0,
        waiting_to_pay=False,
        payment_attempts=0,
        payment_method="",
        payment_reference="",
        notice="",
        deadline_at=None,
        help_requested=False,
        hint=None,
        hinted=frozenset(),
    )


# -- paying ----------------------------------------------------------------------------


def pay(state: KioskState, event: ev.Event) -> Result:
    if state.basket.is_empty:
        raise Refused("nothing to pay for")
    if state.deferred:
        # the checks themselves are listed by the total (the pending note)
        notice = Text("Please wait: staff need to finish their checks before you pay.")
        # one problem sound when the wait starts; touching Pay again does not repeat it
        sound: list[fx.Effect] = [] if state.waiting_to_pay else [fx.PlaySound(fx.Sound.PROBLEM)]
        return replace(state, waiting_to_pay=True, notice=notice), sound
    total = state.basket.totals(state.rules.promotions).total_minor
    new = replace(state, checkout=Checkout.PAYING, notice="", waiting_to_pay=False)
    return new, [fx.StartPayment(total, state.rules.currency)]


def approved(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PaymentApproved)
    return commit(state, event.method, event.reference)


def commit(state: KioskState, method: str, reference: str) -> Result:
    draft = fx.SaleDraft(
        currency=state.rules.currency,
        lines=tuple(line for line in state.basket.lines if not line.voided),
        totals=state.basket.totals(state.rules.promotions),
        payment_method=method,
        payment_reference=reference,
    )
    new = replace(
        state,
        checkout=Checkout.COMMITTING,
        blocking=None,
        payment_method=method,
        payment_reference=reference,
    )
    return new, [fx.CommitSale(draft)]


def declined(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PaymentDeclined)
    attempts = state.payment_attempts + 1
    state = replace(state, payment_attempts=attempts)
    if attempts >= state.rules.max_payment_attempts:
        detail = Text("Payment failed {n} times: please pay at a staffed till.", n=attempts)
        return block(state, Need.PAYMENT_FAILED, detail)
    notice = Text("Payment declined: {reason}", reason=event.reason)
    return replace(state, checkout=Checkout.PAYMENT_DECLINED, notice=notice), [
        fx.PlaySound(fx.Sound.PROBLEM)
    ]


def cancel_payment(state: KioskState, event: ev.Event) -> Result:
    return replace(state, checkout=Checkout.SCANNING, notice=""), []


def committed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SaleCommitted)
    new = sale_done(state, event)
    receipt = new.receipt
    assert receipt is not None
    if not can_print(state):
        # never queue a receipt for later: a backlog of stale receipts helps nobody
        return thank_you(
            new, event.at, Text("The printer needs staff: no paper receipt this time.")
        )
    return replace(new, checkout=Checkout.PRINTING), [fx.PrintReceipt(receipt)]


def sale_done(state: KioskState, event: ev.SaleCommitted) -> KioskState:
    """The committed sale's receipt kept (for a reprint), the basket forgotten."""
    return replace(
        new_sale(state),
        receipt=_receipt(state, event),
        receipt_printed=False,
        payment_method=state.payment_method,
        payment_reference=state.payment_reference,
        sales_committed=state.sales_committed + 1,
    )


def can_print(state: KioskState) -> bool:
    return state.devices.printer_online and state.devices.paper is not ev.PaperState.OUT


def commit_failed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SaleCommitFailed)
    # The customer has paid but the sale is not recorded: stop selling and call staff.
    new = replace(
        state,
        checkout=Checkout.OUT_OF_SERVICE,
        out_of_service_reason=Text("Sale could not be saved: {reason}", reason=event.reason),
        help_requested=True,
    )
    return new, [fx.PlaySound(fx.Sound.PROBLEM)]


def printed(state: KioskState, event: ev.Event) -> Result:
    return thank_you(replace(state, receipt_printed=True), event.at, "")


def print_failed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PrintFailed)
    notice = Text(
        "Your purchase is complete, but the receipt did not print ({reason}).", reason=event.reason
    )
    return thank_you(state, event.at, notice)


def thank_you(state: KioskState, at: float, notice: str) -> Result:
    deadline = at + state.rules.thank_you_s
    return replace(state, checkout=Checkout.THANK_YOU, notice=notice, deadline_at=deadline), []


def done(state: KioskState, event: ev.Event) -> Result:
    return between_sales(welcome(state))


IDLE = frozenset({Checkout.WELCOME, Checkout.THANK_YOU, Checkout.OUT_OF_SERVICE})


def between_sales(state: KioskState) -> Result:
    """What may only happen with no sale open: head office's out-of-service request, the
    outbox gate, and a staged catalog."""
    state, effects = remote.take_service_request(state)
    state = gate(state)
    if state.catalog_waiting is not None and state.checkout in IDLE:
        return state, [*effects, fx.ApplyCatalog(state.catalog_waiting)]
    return state, effects


OUTBOX_FULL = Text("Sales cannot reach head office: the lane is closed until they do.")


def gate(state: KioskState) -> KioskState:
    """Between sales only: close the lane when the outbox is full (a sale in hand always
    finishes, so none is ever dropped), and open it again once below 90 %."""
    depth, limit = state.devices.outbox_depth, state.rules.outbox_limit
    if state.checkout is Checkout.WELCOME and depth >= limit:
        return replace(state, checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason=OUTBOX_FULL)
    if (
        state.checkout is Checkout.OUT_OF_SERVICE
        and state.out_of_service_reason == OUTBOX_FULL
        and depth < limit * 9 // 10
    ):
        return replace(welcome(state), out_of_service_reason="")
    return state


def welcome(state: KioskState) -> KioskState:
    return replace(new_sale(state), checkout=Checkout.WELCOME)


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


def resolve_deferred(state: KioskState, need: Need) -> KioskState:
    """Drop a deferred check; tell a customer waiting to pay that they can go ahead."""
    deferred = without(state.deferred, need)
    notice = state.notice
    if state.waiting_to_pay and not deferred:
        notice = Text("Thank you for waiting: you can pay now.")
    return replace(
        state,
        deferred=deferred,
        notice=notice,
        waiting_to_pay=state.waiting_to_pay and bool(deferred),
    )

"""Staff actions behind the key switch (pure handlers). checkout.step has already checked
that the key is in the staff position and a badge was scanned; every action here returns
an Audit effect carrying that badge id.
"""

from __future__ import annotations

from dataclasses import replace

from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.basket import Basket
from appliance.core.cash import round_cash
from appliance.core.interventions import Intervention, Need, with_deferred
from appliance.core.kiosk_codes import CodeUse, KioskCode, slip_code
from appliance.core.records import Document, DocumentLine, RefundDraft, Report
from appliance.core.selling import (
    Refused,
    Result,
    commit,
    new_sale,
    resolve_deferred,
    unblocked,
    welcome,
)
from appliance.core.state import Checkout, KioskState
from appliance.core.text import Text


def audit(state: KioskState, action: str, detail: str = "", reason: str = "") -> fx.Audit:
    return fx.Audit(action, detail, state.staff_id, reason)


def _arg(event: ev.Event) -> str:
    return event.arg if isinstance(event, ev.Touched) else ""


def _line_no(state: KioskState, event: ev.Event) -> int:
    text = _arg(event).split(" ", 1)[0]
    if not text.isdigit():
        raise Refused("which line? (a line number is needed)")
    line_no = int(text)
    if not any(line.line_no == line_no and not line.voided for line in state.basket.lines):
        raise Refused(f"there is no line {line_no} to change")
    return line_no


# -- kiosk codes scanned by staff ---------------------------------------------------------


def kiosk_code(state: KioskState, event: ev.BarcodeScanned, code: KioskCode) -> Result:
    """A badge, a suspend slip or a receipt. Outside staff mode they only explain."""
    staff = state.key is ev.KeyPosition.STAFF
    if code.use is CodeUse.BADGE:
        if not staff:
            notice = Text("Turn the staff key before scanning a badge.")
            return replace(state, notice=notice), [fx.PlaySound(fx.Sound.PROBLEM)]
        new = replace(
            state, staff_id=code.value, notice=Text("Staff {id} signed in.", id=code.value)
        )
        return new, [fx.Audit("badge", "", code.value)]
    if not staff or not state.staff_id:
        # a refused scan: the problem sound says it did not count
        notice = (
            Text("That is a receipt: please ask staff.")
            if code.use is CodeUse.RECEIPT
            else Text("That is a suspend slip: please ask staff.")
        )
        return replace(state, notice=notice), [fx.PlaySound(fx.Sound.PROBLEM)]
    if state.checkout not in (Checkout.WELCOME, Checkout.THANK_YOU):
        raise Refused("finish or suspend the current sale first")
    if code.use is CodeUse.SLIP:
        return state, [fx.LoadSuspended(int(code.value))]
    return state, [fx.LookUpSale(int(code.value), code.check, event.text.strip())]


# -- interventions ----------------------------------------------------------------------


def approve(state: KioskState, event: ev.Event) -> Result:
    """Resolve the blocking intervention: the unknown or expired item stays unsold, an
    extra unit over the limit is allowed, a failed payment may be tried again."""
    blocking = state.blocking
    if blocking is None or blocking.need is Need.PAYMENT_UNCERTAIN:
        raise Refused("nothing to approve here")
    new = unblocked(state)
    if blocking.need is Need.PAYMENT_FAILED:
        new = replace(new, payment_attempts=0)
    return new, [audit(state, "approve", f"{blocking.need.value}: {blocking.detail}")]


def approve_age(state: KioskState, event: ev.Event) -> Result:
    check = next((i for i in state.deferred if i.need is Need.AGE_CHECK), None)
    if check is None:
        raise Refused("no age check is pending")
    new = replace(resolve_deferred(state, Need.AGE_CHECK), age_verified=check.age or 0)
    return new, [audit(state, "approve-age", f"{check.age}+")]


def void_line(state: KioskState, event: ev.Event) -> Result:
    line_no = _line_no(state, event)
    lines = tuple(
        replace(line, voided=True) if line.line_no == line_no else line
        for line in state.basket.lines
    )
    voided = next(line for line in lines if line.line_no == line_no)
    new = replace(state, basket=Basket(lines))
    new = replace(new, deferred=_deferred_after_void(new, line_no))
    if new.blocking is not None and new.blocking.need in (Need.VOID_REQUEST, Need.QUANTITY_LIMIT):
        new = unblocked(new)
    detail = f"line {line_no}: {voided.quantity} × {voided.product.name}"
    return new, [audit(state, "void-line", detail)]


def _deferred_after_void(state: KioskState, line_no: int) -> tuple[Intervention, ...]:
    """Drop checks for the voided line; the age check now needs only what is left."""
    kept = tuple(i for i in state.deferred if i.need is not Need.AGE_CHECK and i.line_no != line_no)
    for line in state.basket.lines:
        age = line.product.age_limit
        if not line.voided and age and age > state.age_verified:
            check = Intervention(Need.AGE_CHECK, f"Age check: {age}+", line.line_no, age)
            kept = with_deferred(kept, check)
    return kept


def override_price(state: KioskState, event: ev.Event) -> Result:
    """arg: "<line> <new unit price in minor units> <reason>"; the reason is required."""
    line_no = _line_no(state, event)
    parts = _arg(event).split(" ", 2)
    if len(parts) < 3 or not parts[1].isdigit() or not parts[2].strip():
        raise Refused("a price override needs a line, a price and a reason")
    price, reason = int(parts[1]), parts[2].strip()
    old = next(line for line in state.basket.lines if line.line_no == line_no)
    if price > old.unit_price_minor:
        raise Refused("an override may only lower a price")
    lines = tuple(
        replace(line, unit_price_minor=price) if line.line_no == line_no else line
        for line in state.basket.lines
    )
    new = resolve_deferred(replace(state, basket=Basket(lines)), Need.PRICE_CHECK)
    detail = f"line {line_no}: {old.product.name} {old.unit_price_minor} → {price}"
    return new, [audit(state, "override-price", detail, reason)]


def payment_taken(state: KioskState, event: ev.Event) -> Result:
    """After a restart mid-payment, staff saw on the terminal that the card was charged."""
    if state.blocking is None or state.blocking.need is not Need.PAYMENT_UNCERTAIN:
        raise Refused("no payment to confirm")
    reference = _arg(event).strip() or "confirmed by staff"
    new, effects = commit(state, "card", reference)
    return new, [audit(state, "payment-taken", reference), *effects]


def payment_not_taken(state: KioskState, event: ev.Event) -> Result:
    if state.blocking is None or state.blocking.need is not Need.PAYMENT_UNCERTAIN:
        raise Refused("no payment to confirm")
    return unblocked(state), [audit(state, "payment-not-taken")]


# -- the sale as a whole -------------------------------------------------------------------


def cancel_sale(state: KioskState, event: ev.Event) -> Result:
    items = state.basket.item_count
    return welcome(state), [audit(state, "cancel-sale", f"{items} items")]


def suspend(state: KioskState, event: ev.Event) -> Result:
    if state.basket.is_empty:
        raise Refused("nothing to suspend")
    return state, [fx.SuspendSale(state.basket, state.staff_id)]


def suspended(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SaleSuspended)
    totals = state.basket.totals(state.rules.promotions)
    slip = Document(
        title="Suspended sale",
        lines=(
            *(
                DocumentLine(f"{ln.quantity} × {ln.product.name}", ln.total_minor)
                for ln in state.basket.lines
                if not ln.voided
            ),
            DocumentLine("Total", totals.total_minor),
            DocumentLine("Bring this slip to a staffed till or to staff here."),
        ),
        currency=state.rules.currency,
        barcode=slip_code(event.number),
    )
    new = replace(
        welcome(state), notice=Text("Sale suspended as {slip}.", slip=slip_code(event.number))
    )
    detail = f"{slip_code(event.number)}: {state.basket.item_count} items"
    return new, [fx.PrintDocument(slip), audit(state, "suspend", detail)]


def resumed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SuspendedLoaded)
    if event.basket is None:
        notice = Text("{slip} is unknown or was already resumed.", slip=slip_code(event.number))
        return replace(state, notice=notice), []
    new = replace(new_sale(state), checkout=Checkout.SCANNING, basket=event.basket)
    # age checks are made again: the customer in front of the kiosk now is who counts
    new = replace(new, deferred=_deferred_after_void(new, 0))
    return new, [audit(state, "resume", slip_code(event.number))]


# -- refunds --------------------------------------------------------------------------------


def refund_found(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SaleLookedUp)
    if event.sale is None:
        return replace(state, notice=Text("No sale matches receipt {code}.", code=event.code)), []
    if not any(line.refundable for line in event.sale.lines):
        return replace(
            state, notice=Text("Receipt {code} is already fully refunded.", code=event.code)
        ), []
    draft = RefundDraft(event.sale)
    return replace(state, checkout=Checkout.REFUND, refund=draft, notice=""), []


def refund_line(state: KioskState, event: ev.Event) -> Result:
    assert state.refund is not None
    draft = state.refund
    text = _arg(event)
    line = next((ln for ln in draft.sale.lines if str(ln.line_no) == text), None)
    if line is None:
        raise Refused(f"the sale has no line {text!r}")
    units = draft.units_for(line.line_no) + 1
    if units > line.refundable:
        raise Refused(f"only {line.refundable} of line {line.line_no} can be refunded")
    chosen = dict(draft.units)
    chosen[line.line_no] = units
    new_draft = replace(draft, units=tuple(sorted(chosen.items())))
    return replace(state, refund=new_draft), []


def refund_confirm(state: KioskState, event: ev.Event) -> Result:
    assert state.refund is not None
    if state.refund.total_minor <= 0:
        raise Refused("choose what to refund first")
    return state, [fx.CommitRefund(state.refund, state.staff_id)]


def refund_committed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.RefundCommitted) and state.refund is not None
    draft = state.refund
    cash = round_cash(draft.total_minor, state.rules.cash_rounding_minor)
    rounding = (
        (DocumentLine("Cash rounding", cash - draft.total_minor),)
        if cash != draft.total_minor
        else ()
    )
    doc = Document(
        title=f"Refund {event.seq}",
        lines=(
            DocumentLine(f"Sale {draft.sale.seq}"),
            *(DocumentLine(f"{ln.units} × {ln.name}", -ln.amount_minor) for ln in draft.lines()),
            DocumentLine("Refund total", draft.total_minor),
            *rounding,
            DocumentLine("Paid in cash", cash),
            DocumentLine(event.wall_at),
        ),
        currency=draft.sale.currency,
    )
    detail = f"refund {event.seq} of sale {draft.sale.seq}: {draft.total_minor}"
    notice = Text("Refund done: pay {cash} in cash from the drawer.", cash=cash)
    new = _releasing(replace(welcome(state), refund=None, notice=notice), event.at, "refund")
    return new, [
        fx.OpenDrawer("refund"),
        fx.PrintDocument(doc),
        audit(state, "refund", detail),
    ]


def refund_cancel(state: KioskState, event: ev.Event) -> Result:
    return replace(welcome(state), refund=None), []


# -- reports, drawer, lane ------------------------------------------------------------------


def x_report(state: KioskState, event: ev.Event) -> Result:
    return state, [fx.MakeReport(fx.ReportKind.X, state.staff_id)]


def z_report(state: KioskState, event: ev.Event) -> Result:
    return state, [fx.MakeReport(fx.ReportKind.Z, state.staff_id)]


def report_ready(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.ReportReady)
    report = event.report
    new = replace(state, checkout=Checkout.REPORT, report=report, notice="")
    return new, [
        fx.PrintDocument(report_document(report)),
        audit(state, f"{report.kind.lower()}-report", f"number {report.number or '-'}"),
    ]


def report_document(report: Report) -> Document:
    line = DocumentLine
    title = Text("Z report {n}", n=str(report.number)) if report.kind == "Z" else Text("X report")
    lines = [
        line(Text("From {time}", time=report.period_from)),
        line(Text("To {time}", time=report.period_to)),
        line(Text("Sales: {n}", n=report.sales_count), report.sales_minor),
        line(Text("Refunds: {n}", n=report.refunds_count), report.refunds_minor),
        line(Text("Net"), report.net_minor),
        *(
            part
            for r in report.tax_rows
            for part in (
                line(Text("VAT {rate}% gross", rate=f"{r.rate_bp / 100:g}"), r.gross_minor),
                line(Text("VAT {rate}% tax", rate=f"{r.rate_bp / 100:g}"), r.tax_minor),
            )
        ),
        *(
            line(Text("Paid by {method}", method=method), amount)
            for method, amount in report.by_payment
        ),
        line(Text("Cancelled sales: {n}", n=report.cancelled_sales)),
        line(Text("Voided lines: {n}", n=report.voided_lines)),
    ]
    return Document(title=title, lines=tuple(lines), currency=report.currency)


def close_report(state: KioskState, event: ev.Event) -> Result:
    back = Checkout.OUT_OF_SERVICE if state.out_of_service_reason else Checkout.WELCOME
    return replace(state, checkout=back, report=None), []


def open_drawer(state: KioskState, event: ev.Event) -> Result:
    new = _releasing(state, event.at, "staff")
    return new, [fx.OpenDrawer("staff"), audit(state, "open-drawer")]


def _releasing(state: KioskState, at: float, reason: str) -> KioskState:
    """Remember the release, so the opening the sensor then sees is not counted as forced."""
    devices = replace(state.devices, drawer_released_at=at, drawer_release_reason=reason)
    return replace(state, devices=devices)


def help_given(state: KioskState, event: ev.Event) -> Result:
    return replace(state, help_requested=False), [audit(state, "help-given")]


def reprint(state: KioskState, event: ev.Event) -> Result:
    if state.receipt is None:
        raise Refused("there is no receipt to reprint")
    return state, [fx.PrintReceipt(state.receipt), audit(state, "reprint", str(state.receipt.seq))]


CLOSED_BY_STAFF = Text("Closed by staff")


def out_of_service(state: KioskState, event: ev.Event) -> Result:
    new = replace(
        welcome(state), checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason=CLOSED_BY_STAFF
    )
    return new, [audit(state, "out-of-service")]


def back_in_service(state: KioskState, event: ev.Event) -> Result:
    """Open the lane again. A paid sale whose save failed (disk full) is saved now, never
    dropped; a store that is damaged keeps the lane closed until it is recovered."""
    if state.rules.store_fault:
        raise Refused("the store cannot be used: recover it first (kiosk store check)")
    record = audit(state, "back-in-service", state.out_of_service_reason)
    if state.payment_reference and not state.basket.is_empty:
        reopened = replace(state, out_of_service_reason="")
        new, effects = commit(reopened, state.payment_method, state.payment_reference)
        return new, [record, *effects]
    return replace(welcome(state), out_of_service_reason=""), [record]

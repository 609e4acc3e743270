"""The checkout state machine: step(state, event) -> (state, effects). The one table.

Rules (read these before the table):
1. A sale moves WELCOME → SCANNING → PAYING → COMMITTING → PRINTING → THANK_YOU → WELCOME.
   The receipt is asked for only after the store reports SaleCommitted: a sale the
   customer paid for is durable before its receipt prints. With e-receipts configured,
   COMMITTING → RECEIPT_CHOICE → PRINTING | ERECEIPT | THANK_YOU, and a printer that
   cannot print offers the ERECEIPT (appliance/core/receipts.py states those rules).
2. Interventions (appliance/core/interventions.py): a blocking one moves the lane to
   BLOCKED (red; the customer waits) until staff resolve it; deferred ones (age check,
   price check) let the customer keep scanning (amber) but must be resolved before payment.
3. Device, key, help, broker and store-failure events are valid in every state (GLOBAL);
   so is a scan, which is routed by what it is (product, badge, slip, receipt). Everything
   else must have an entry in TRANSITIONS or IllegalTransition is raised, which the shell
   logs and drops: bad input changes nothing.
4. Staff buttons need the key in the staff position AND a staff badge scanned since; every
   staff action is audited with that badge id. The store's answers to staff requests
   (a found sale, a resumed basket, a report, a committed refund) count only while staff
   are still signed in, and turning the key back leaves the refund and report screens.
   The drawer opens only from staff actions (open drawer, a cash refund), so no customer
   path opens it. Every opening the sensor sees is audited (released, or forced), and a
   drawer open longer than Rules.drawer_alarm_s raises the drawer alarm (audited, red
   blinking tower, buzzer) until it is shut.
5. Once payment has started (PAYMENT_STATES) nothing drops the basket: no staff action
   in those states cancels, suspends or voids.
6. No timer drops a basket either: an open basket left without input is asked "Still
   there?" and then handed to staff (appliance/core/idle.py states those rules).
7. Sounds: one ITEM beep per item that goes into the basket; one PROBLEM sound when
   something stops the customer (a refused or unknown scan, a block, a decline, a lost
   scanner, a failure newly on screen, the idle prompt); nothing else sounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from appliance.core import buttons as b
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core import idle, receipts, selling, staff
from appliance.core.kiosk_codes import parse_kiosk_code
from appliance.core.selling import Refused, Result
from appliance.core.state import Checkout, KioskState
from appliance.core.text import Text

Handler = Callable[[KioskState, ev.Event], Result]


class IllegalTransition(Exception):
    """An event arrived that the current state has no rule for, or that a rule refused."""

    def __init__(self, state: KioskState, event: ev.Event, why: str = "") -> None:
        self.checkout = state.checkout
        self.event = event
        self.why = why or f"no rule for {_trigger(event)} in {state.checkout.value}"
        # what a refusal still does, the state unchanged: a refused scan sounds the
        # problem tone, so the customer knows the item did not count
        self.effects: list[fx.Effect] = (
            [fx.PlaySound(fx.Sound.PROBLEM)] if isinstance(event, ev.BarcodeScanned) else []
        )
        super().__init__(self.why)


def _trigger(event: ev.Event) -> str:
    if isinstance(event, ev.Touched):
        return f"touch:{event.button}"
    return type(event).__name__


def touch(button: str) -> str:
    return f"touch:{button}"


W, S, B, P = Checkout.WELCOME, Checkout.SCANNING, Checkout.BLOCKED, Checkout.PAYING
D, C, R, T = Checkout.PAYMENT_DECLINED, Checkout.COMMITTING, Checkout.PRINTING, Checkout.THANK_YOU
X, F, Q = Checkout.OUT_OF_SERVICE, Checkout.REFUND, Checkout.REPORT
RC, E = Checkout.RECEIPT_CHOICE, Checkout.ERECEIPT

_RULES: list[tuple[tuple[Checkout, ...], str, Handler]] = [
    # the customer's sale
    ((W, S, T), "ItemLookedUp", selling.looked_up),
    ((S,), touch(b.PAY), selling.pay),
    ((S,), touch(b.REMOVE_ITEM), selling.void_request),
    ((S,), touch(b.PRICE_CHECK), selling.price_check),
    ((W, S), touch(b.LOOK_UP), selling.chosen),
    ((P,), "PaymentApproved", selling.approved),
    ((P,), "PaymentDeclined", selling.declined),
    ((D,), touch(b.RETRY_PAYMENT), selling.pay),
    ((D,), touch(b.CANCEL_PAYMENT), selling.cancel_payment),
    ((S, D), touch(b.STILL_HERE), idle.still_here),
    ((C,), "SaleCommitted", receipts.committed),
    ((C,), "SaleCommitFailed", selling.commit_failed),
    ((R,), "ReceiptPrinted", selling.printed),
    ((R,), "PrintFailed", receipts.print_failed),
    ((RC,), touch(b.PRINT_RECEIPT), receipts.choose_print),
    ((RC,), touch(b.ERECEIPT), receipts.choose_ereceipt),
    ((RC,), touch(b.NO_RECEIPT), receipts.choose_none),
    ((E,), touch(b.DONE), receipts.ereceipt_done),
    ((T,), touch(b.DONE), selling.done),
    # staff: interventions and the open sale (never once payment has started)
    ((B,), touch(b.STAFF_APPROVE), staff.approve),
    ((S, B), touch(b.STAFF_APPROVE_AGE), staff.approve_age),
    ((S, B), touch(b.STAFF_VOID_LINE), staff.void_line),
    ((S, B), touch(b.STAFF_OVERRIDE_PRICE), staff.override_price),
    ((S, B), touch(b.STAFF_CANCEL_SALE), staff.cancel_sale),
    ((S, B), touch(b.STAFF_SUSPEND), staff.suspend),
    ((S, B), "SaleSuspended", staff.suspended),
    ((B,), touch(b.STAFF_PAYMENT_TAKEN), staff.payment_taken),
    ((B,), touch(b.STAFF_PAYMENT_NOT_TAKEN), staff.payment_not_taken),
    ((W, T), "SuspendedLoaded", staff.resumed),
    # staff: refunds (a receipt scanned on the welcome screen)
    ((W, T), "SaleLookedUp", staff.refund_found),
    ((F,), touch(b.STAFF_REFUND_LINE), staff.refund_line),
    ((F,), touch(b.STAFF_REFUND_CONFIRM), staff.refund_confirm),
    ((F,), touch(b.STAFF_REFUND_CANCEL), staff.refund_cancel),
    ((F,), "RefundCommitted", staff.refund_committed),
    # staff: reports and the lane
    ((W, X), touch(b.STAFF_X_REPORT), staff.x_report),
    ((W, X), touch(b.STAFF_Z_REPORT), staff.z_report),
    ((W, X), "ReportReady", staff.report_ready),
    ((Q,), touch(b.STAFF_CLOSE_REPORT), staff.close_report),
    ((W, T), touch(b.STAFF_REPRINT), staff.reprint),
    ((W, T), touch(b.STAFF_OUT_OF_SERVICE), staff.out_of_service),
    ((X,), touch(b.STAFF_BACK_IN_SERVICE), staff.back_in_service),
    (tuple(Checkout), touch(b.STAFF_OPEN_DRAWER), staff.open_drawer),
    (tuple(Checkout), touch(b.STAFF_HELP_GIVEN), staff.help_given),
]

TRANSITIONS: dict[tuple[Checkout, str], Handler] = {
    (state, trigger): handler for states, trigger, handler in _RULES for state in states
}


# -- events valid in every state ------------------------------------------------------------


def _scan(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.BarcodeScanned)
    code = parse_kiosk_code(event.text)
    if code is not None:
        return staff.kiosk_code(state, event, code)
    if state.checkout not in (W, S, T):
        raise Refused(f"a scan is not taken while {state.checkout.value}")
    if state.key is ev.KeyPosition.SERVICE:
        raise Refused("the lane is closed for service (key in the service position)")
    return selling.scan_item(state, event)


def _print_outcome(state: KioskState, event: ev.Event) -> Result:
    """A receipt's outcome in PRINTING ends the sale; elsewhere it is a reprint or a
    document (slip, refund, report), and only a failure needs saying."""
    assert isinstance(event, ev.ReceiptPrinted | ev.PrintFailed)
    if state.checkout is R and state.receipt is not None and event.sale_id == state.receipt.sale_id:
        return TRANSITIONS[(R, _trigger(event))](state, event)
    if isinstance(event, ev.PrintFailed):
        return replace(state, notice=Text("Printing failed: {reason}", reason=event.reason)), []
    return state, []


def _tick(state: KioskState, event: ev.Event) -> Result:
    state, effects = _drawer_alarm(state, event.at)
    state, asked = idle.on_tick(state, event.at)
    effects = [*effects, *asked]
    if state.deadline_at is not None and event.at >= state.deadline_at:
        if state.checkout is T:
            new, more = selling.between_sales(selling.welcome(state))
            return new, [*effects, *more]
        if state.checkout in receipts.TIMED:
            new, more = receipts.timed_out(state, event.at)
            return new, [*effects, *more]
        return replace(state, deadline_at=None), effects
    return state, effects


def _key(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.KeyTurned)
    if event.position is state.key:
        return state, []
    staff_id = state.staff_id if event.position is ev.KeyPosition.STAFF else ""
    new = replace(state, key=event.position, staff_id=staff_id)
    if event.position is not ev.KeyPosition.STAFF and state.checkout in (F, Q):
        # an unfinished refund or an open report is staff's: it goes with them
        back = X if state.out_of_service_reason else W
        new = replace(new, checkout=back, refund=None, report=None)
    return new, [fx.Audit("key", event.position.value, state.staff_id)]


def _help(state: KioskState, event: ev.Event) -> Result:
    return replace(state, help_requested=True), []


def _printer_status(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.PrinterStatusChanged)
    devices = replace(
        state.devices, printer_online=event.online, paper=event.paper, printer_reason=event.reason
    )
    return replace(state, devices=devices), []


def _scanner_lost(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.ScannerLost)
    devices = replace(state.devices, scanner_ok=False, scanner_reason=event.reason)
    sound: list[fx.Effect] = [fx.PlaySound(fx.Sound.PROBLEM)] if state.devices.scanner_ok else []
    return replace(state, devices=devices), sound


def _scanner_found(state: KioskState, event: ev.Event) -> Result:
    return replace(state, devices=replace(state.devices, scanner_ok=True, scanner_reason="")), []


# a release asked for this long before the sensor sees the drawer open explains the opening
# (Odoo drops a drawer kick older than 12 s for the same reason: it must never fire late)
RELEASE_WINDOW_S = 10.0


def _drawer(state: KioskState, event: ev.Event) -> Result:
    """Every opening is audited, forced ones too; shutting the drawer clears its alarm."""
    assert isinstance(event, ev.DrawerSensorChanged)
    d = state.devices
    if event.is_open is d.drawer_open:
        return state, []
    if event.is_open:
        released = d.drawer_released_at is not None and (
            event.at - d.drawer_released_at <= RELEASE_WINDOW_S
        )
        detail = f"released ({d.drawer_release_reason})" if released else "no release asked for"
        devices = replace(
            d,
            drawer_open=True,
            drawer_open_since=event.at,
            drawer_alarm=False,
            drawer_released_at=None,
            drawer_release_reason="",
        )
        return replace(state, devices=devices), [fx.Audit("drawer-opened", detail, state.staff_id)]
    devices = replace(d, drawer_open=False, drawer_open_since=None, drawer_alarm=False)
    effects: list[fx.Effect] = []
    if d.drawer_alarm:
        effects.append(fx.Audit("drawer-alarm", "cleared: drawer shut", state.staff_id))
    return replace(state, devices=devices), effects


def _drawer_alarm_at(state: KioskState) -> float | None:
    d = state.devices
    if d.drawer_open_since is None or d.drawer_alarm:
        return None
    return d.drawer_open_since + state.rules.drawer_alarm_s


def _drawer_alarm(state: KioskState, at: float) -> Result:
    due = _drawer_alarm_at(state)
    if due is None or at < due or state.devices.drawer_open_since is None:
        return state, []
    open_s = at - state.devices.drawer_open_since
    devices = replace(state.devices, drawer_alarm=True)
    return replace(state, devices=devices), [
        fx.Audit("drawer-alarm", f"open for {open_s:.0f} s", state.staff_id)
    ]


def _acked(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.ReportAcked)
    return state, [fx.MarkDelivered(event.event_ids)]


def _broker(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.BrokerLinkChanged)
    devices = replace(state.devices, broker_connected=event.connected)
    return replace(state, devices=devices), []


def _outbox(state: KioskState, event: ev.Event) -> Result:
    """Stop taking new sales before the outbox could overflow; resume below 90 %."""
    assert isinstance(event, ev.OutboxDepthChanged)
    state = replace(state, devices=replace(state.devices, outbox_depth=event.depth))
    return selling.between_sales(state)


def _service_requested(state: KioskState, event: ev.Event) -> Result:
    """Head office's out-of-service on/off: taken now between sales, else after this sale
    (appliance/core/remote.py)."""
    assert isinstance(event, ev.RemoteServiceRequested)
    return selling.between_sales(replace(state, service_request=(event.on, event.reason)))


def _catalog_waiting(state: KioskState, event: ev.Event) -> Result:
    """A new catalog: applied now if no sale is open, else as soon as the sale ends."""
    assert isinstance(event, ev.CatalogWaiting)
    if event.version <= state.catalog_version or event.version == state.catalog_waiting:
        return state, []
    return selling.between_sales(replace(state, catalog_waiting=event.version))


def _catalog_applied(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.CatalogApplied)
    rules = replace(state.rules, promotions=event.promotions, shelf_prices=event.shelf_prices)
    waiting = state.catalog_waiting if (state.catalog_waiting or 0) > event.version else None
    new = replace(state, rules=rules, catalog_version=event.version, catalog_waiting=waiting)
    return new, [fx.Audit("catalog", f"version {event.version} applied")]


def _store_failed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.StoreFailed)
    notice = Text("Could not {action}: {reason}", action=event.action, reason=event.reason)
    # a failure already on screen does not sound again (a full disk fails every write)
    sound: list[fx.Effect] = [] if notice == state.notice else [fx.PlaySound(fx.Sound.PROBLEM)]
    return replace(state, notice=notice), sound


GLOBAL: dict[str, Handler] = {
    "Tick": _tick,
    "BarcodeScanned": _scan,
    "KeyTurned": _key,
    "HelpButtonPressed": _help,
    "ShopperActive": lambda state, event: (state, []),  # only restarts the idle clock
    touch(b.HELP): _help,
    "ReceiptPrinted": _print_outcome,
    "PrintFailed": _print_outcome,
    "PrinterStatusChanged": _printer_status,
    "ScannerLost": _scanner_lost,
    "ScannerFound": _scanner_found,
    "DrawerSensorChanged": _drawer,
    "ReportAcked": _acked,
    "BrokerLinkChanged": _broker,
    "StoreFailed": _store_failed,
    "OutboxDepthChanged": _outbox,
    "CatalogWaiting": _catalog_waiting,
    "RemoteServiceRequested": _service_requested,
    "CatalogApplied": _catalog_applied,
}


# answers from the store to a staff request: they count only while staff are signed in
_STAFF_ANSWERS = frozenset(
    {"SaleLookedUp", "SuspendedLoaded", "ReportReady", "RefundCommitted", "SaleSuspended"}
)


def step(state: KioskState, event: ev.Event) -> Result:
    """Apply one event. Raises IllegalTransition when no rule allows it; never mutates."""
    new, effects = _step(state, event)
    return idle.input_seen(new, event), effects


def _step(state: KioskState, event: ev.Event) -> Result:
    trigger = _trigger(event)
    try:
        if trigger in GLOBAL:
            return GLOBAL[trigger](state, event)
        if isinstance(event, ev.Touched):
            _check_who_touched(state, event)
        elif trigger in _STAFF_ANSWERS and not _staff_present(state):
            raise Refused("staff are no longer signed in")
        handler = TRANSITIONS.get((state.checkout, trigger))
        if handler is None:
            raise IllegalTransition(state, event)
        return handler(state, event)
    except Refused as refused:
        raise IllegalTransition(state, event, str(refused)) from None


def _staff_present(state: KioskState) -> bool:
    return state.key is ev.KeyPosition.STAFF and bool(state.staff_id)


def _check_who_touched(state: KioskState, event: ev.Touched) -> None:
    if event.button in b.STAFF_BUTTONS:
        if state.key is not ev.KeyPosition.STAFF:
            raise Refused("staff action without the staff key")
        if not state.staff_id:
            raise Refused("scan a staff badge first")
    elif event.button in (b.PAY, b.RETRY_PAYMENT) and state.key is not ev.KeyPosition.NORMAL:
        raise Refused("turn the staff key back before paying")


def next_deadline(state: KioskState) -> float | None:
    """When the loop must wake to deliver a Tick, or None when nothing is waiting: the
    current screen's deadline, the drawer alarm's or the idle basket's, whichever is first."""
    times = (state.deadline_at, _drawer_alarm_at(state), idle.next_deadline(state))
    due = [t for t in times if t is not None]
    return min(due) if due else None

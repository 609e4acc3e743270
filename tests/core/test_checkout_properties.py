"""Properties of the checkout machine over random event sequences (hypothesis).

Whatever arrives, in whatever order: the drawer opens only for staff with a badge, a paid
sale is never dropped, step never mutates its input, and the open sale always survives
a restart as the same basket.
"""

from __future__ import annotations

import contextlib
import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.core import buttons, checkout, snapshot
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.barcodes import parse
from appliance.core.basket import Basket
from appliance.core.products import Product
from appliance.core.records import Report, SoldLine, SoldSale
from appliance.core.state import PAYMENT_STATES, Checkout, KioskState

MILK = Product("05901234123457", "Milk", 349, 500)
BEER = Product("04006381333931", "Beer", 449, 2300, age_limit=18)
PILLS = Product("00036000291452", "Pills", 699, 800, quantity_limit=1)
SOLD = SoldSale("3b2e0c1a-0000", 41, "EUR", "card", (SoldLine(1, MILK.gtin, "Milk", 2, 698, 500),))
REPORT = Report("X", None, "EUR", "a", "b", 0, 0, 0, 0, (), (), 0, 0)
at = st.just(1.0)

EVENTS = st.one_of(
    st.builds(
        ev.BarcodeScanned,
        at=at,
        text=st.sampled_from(
            ["5901234123457", "1", "STAFF-0042", "SUSP-3", "S41-3B2E0C1A", "036000291452"]
        ),
    ),
    st.builds(
        ev.ItemLookedUp,
        at=at,
        scan=st.sampled_from([parse("5901234123457"), parse("036000291452")]),
        product=st.sampled_from([MILK, BEER, PILLS, None]),
        today=st.just("2026-11-23"),
    ),
    st.builds(
        ev.Touched,
        at=at,
        button=st.sampled_from(sorted(buttons.ALL_BUTTONS)),
        arg=st.sampled_from(["", "1", "2", "1 100 damaged", "1 999999 x"]),
    ),
    st.builds(ev.KeyTurned, at=at, position=st.sampled_from(list(ev.KeyPosition))),
    st.builds(ev.PaymentApproved, at=at, method=st.just("card"), reference=st.just("r")),
    st.builds(ev.PaymentDeclined, at=at, reason=st.just("no")),
    st.builds(ev.SaleCommitted, at=at, sale_id=st.just("s"), seq=st.just(1), wall_at=st.just("")),
    st.builds(ev.SaleCommitFailed, at=at, reason=st.just("disk full")),
    st.builds(ev.ReceiptPrinted, at=at, sale_id=st.just("s")),
    st.builds(ev.PrintFailed, at=at, sale_id=st.just("s"), reason=st.just("paper out")),
    st.builds(ev.Tick, at=st.floats(0, 100)),
    st.builds(ev.HelpButtonPressed, at=at),
    st.builds(ev.SaleSuspended, at=at, number=st.just(3)),
    st.builds(
        ev.SuspendedLoaded,
        at=at,
        number=st.just(3),
        basket=st.sampled_from([None, Basket().add(BEER, 449)]),
    ),
    st.builds(ev.SaleLookedUp, at=at, code=st.just("S41"), sale=st.sampled_from([None, SOLD])),
    st.builds(
        ev.RefundCommitted, at=at, refund_id=st.just("r"), seq=st.just(1), wall_at=st.just("")
    ),
    st.builds(ev.ReportReady, at=at, report=st.just(REPORT)),
    st.builds(ev.StoreFailed, at=at, action=st.just("x"), reason=st.just("disk full")),
)


def walk(events: list[ev.Event]):  # type: ignore[no-untyped-def]
    state = KioskState()
    for event in events:
        try:
            new, effects = checkout.step(state, event)
        except checkout.IllegalTransition:
            continue
        yield state, event, new, effects
        state = new


@settings(max_examples=400, deadline=None)
@given(st.lists(EVENTS, max_size=50))
def test_the_drawer_opens_only_for_staff_with_a_badge(events: list[ev.Event]) -> None:
    for before, _event, _after, effects in walk(events):
        if any(isinstance(e, fx.OpenDrawer) for e in effects):
            assert before.key is ev.KeyPosition.STAFF and before.staff_id


@settings(max_examples=400, deadline=None)
@given(st.lists(EVENTS, max_size=50))
def test_a_paid_sale_is_never_dropped(events: list[ev.Event]) -> None:
    """From payment approval until the store answers, the basket and state hold."""
    for before, event, after, _effects in walk(events):
        if before.checkout is Checkout.COMMITTING and not isinstance(
            event, ev.SaleCommitted | ev.SaleCommitFailed
        ):
            assert after.basket == before.basket and after.checkout is Checkout.COMMITTING
        if before.checkout in PAYMENT_STATES and after.checkout is Checkout.WELCOME:
            raise AssertionError(f"{event} dropped a sale in {before.checkout}")


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENTS, max_size=40))
def test_step_never_mutates_its_input(events: list[ev.Event]) -> None:
    for before, event, _after, _effects in walk(events):
        frozen = copy.deepcopy(before)
        with contextlib.suppress(checkout.IllegalTransition):
            checkout.step(before, event)
        assert before == frozen


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENTS, max_size=50))
def test_the_open_sale_survives_a_restart(events: list[ev.Event]) -> None:
    """Whatever state the lane is in, restoring its snapshot gives back the same basket,
    and a sale caught mid-payment comes back blocked for staff to check the terminal."""
    for _before, _event, after, _effects in walk(events):
        saved = snapshot.open_sale(after)
        if saved is None:
            continue
        restored = snapshot.restore(KioskState(), saved)
        assert restored.basket == after.basket
        assert restored.deferred == after.deferred
        if after.checkout in (Checkout.PAYING, Checkout.COMMITTING):
            assert restored.checkout is Checkout.BLOCKED
            assert restored.blocking is not None
            assert restored.blocking.need.value == "payment-uncertain"

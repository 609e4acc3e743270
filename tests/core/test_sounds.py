"""Sounds (rule 7 in appliance/core/checkout.py): one ITEM beep per item that goes into the
basket, one PROBLEM sound per problem that stops the customer, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from appliance.core import buttons as b
from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.barcodes import parse
from appliance.core.products import Product
from appliance.core.state import KioskState

MILK = Product("05901234123457", "Milk", 349, 500)
BEER = Product("04006381333931", "Beer", 449, 2300, age_limit=18)
PILLS = Product("00036000291452", "Paracetamol", 699, 800, quantity_limit=1)
ITEM, PROBLEM = fx.PlaySound(fx.Sound.ITEM), fx.PlaySound(fx.Sound.PROBLEM)


def sounds(effects: list[fx.Effect]) -> list[fx.Sound]:
    return [e.sound for e in effects if isinstance(e, fx.PlaySound)]


def feed(state: KioskState, *events: ev.Event) -> tuple[KioskState, list[fx.Sound]]:
    """Step each event; a refused one plays what its refusal carries, as the loop does."""
    heard: list[fx.Sound] = []
    for event in events:
        try:
            state, effects = checkout.step(state, event)
        except checkout.IllegalTransition as refused:
            effects = refused.effects
        heard += sounds(effects)
    return state, heard


def sold(product: Product | None, code: str = "5901234123457") -> list[ev.Event]:
    return [
        ev.BarcodeScanned(at=1, text=code),
        ev.ItemLookedUp(at=1, scan=parse(code), product=product, today=""),
    ]


def test_a_happy_sale_beeps_once_per_item_and_nothing_more() -> None:
    _, heard = feed(
        KioskState(),
        *sold(MILK),
        *sold(MILK),
        ev.Touched(at=2, button=b.PAY),
        ev.PaymentApproved(at=3, method="card", reference="R"),
        ev.SaleCommitted(at=4, sale_id="S", seq=1, wall_at=""),
        ev.ReceiptPrinted(at=5, sale_id="S"),
        ev.Tick(at=60),
    )
    assert heard == [fx.Sound.ITEM, fx.Sound.ITEM]


PROBLEMS: dict[str, Callable[[], list[ev.Event]]] = {
    "unknown item": lambda: sold(None, "5000000000012"),
    "unreadable barcode": lambda: [ev.BarcodeScanned(at=1, text="5901234123458")],
    "over the quantity limit": lambda: sold(PILLS, "036000291452") + sold(PILLS, "036000291452"),
    "remove item asked for": lambda: [*sold(MILK), ev.Touched(at=2, button=b.REMOVE_ITEM)],
    "card declined": lambda: [
        *sold(MILK),
        ev.Touched(at=2, button=b.PAY),
        ev.PaymentDeclined(at=3, reason="declined"),
    ],
    "pay while an age check waits": lambda: [
        *sold(BEER, "4006381333931"),
        ev.Touched(at=2, button=b.PAY),
    ],
    "a receipt scanned by a customer": lambda: [ev.BarcodeScanned(at=1, text="S41-3B2E0C1A")],
    "the scanner lost": lambda: [ev.ScannerLost(at=1, reason="unplugged")],
    "a store failure": lambda: [ev.StoreFailed(at=1, action="look the item up", reason="disk")],
}


@pytest.mark.parametrize("name", PROBLEMS)
def test_each_problem_sounds_the_problem_tone_once(name: str) -> None:
    _, heard = feed(KioskState(), *PROBLEMS[name]())
    assert heard.count(fx.Sound.PROBLEM) == 1, heard
    assert heard[-1] is fx.Sound.PROBLEM


def test_a_scan_refused_while_blocked_sounds_each_time_but_changes_nothing() -> None:
    blocked, _ = feed(KioskState(), *sold(None, "5000000000012"))
    state, heard = feed(blocked, ev.BarcodeScanned(at=2, text="5901234123457"))
    assert state == blocked and heard == [fx.Sound.PROBLEM]


def test_a_problem_that_goes_on_does_not_sound_again() -> None:
    """GIVEN a problem already sounded WHEN its cause repeats THEN silence: the scanner
    reported lost again, the same store failure again, Pay touched again while waiting."""
    lost = [ev.ScannerLost(at=1, reason="unplugged"), ev.ScannerLost(at=9, reason="unplugged")]
    assert feed(KioskState(), *lost)[1] == [fx.Sound.PROBLEM]
    failed = ev.StoreFailed(at=1, action="keep the open sale", reason="disk full")
    assert feed(KioskState(), failed, failed)[1] == [fx.Sound.PROBLEM]
    pays = [ev.Touched(at=2, button=b.PAY), ev.Touched(at=3, button=b.PAY)]
    assert feed(KioskState(), *sold(BEER, "4006381333931"), *pays)[1] == [
        fx.Sound.ITEM,
        fx.Sound.PROBLEM,
    ]


def test_calm_events_are_silent() -> None:
    """Help, a price check, an age check's item, paper low, staff actions: no problem tone
    (the age-restricted item still gets its item beep)."""
    _, heard = feed(
        KioskState(),
        *sold(BEER, "4006381333931"),
        ev.Touched(at=2, button=b.HELP),
        ev.HelpButtonPressed(at=3),
        ev.Touched(at=4, button=b.PRICE_CHECK),
        ev.PrinterStatusChanged(at=5, online=True, paper=ev.PaperState.LOW),
        ev.KeyTurned(at=6, position=ev.KeyPosition.STAFF),
        ev.BarcodeScanned(at=7, text="STAFF-0042"),
        ev.Touched(at=8, button=b.STAFF_APPROVE_AGE),
        ev.Touched(at=9, button=b.STAFF_HELP_GIVEN),
        ev.KeyTurned(at=10, position=ev.KeyPosition.NORMAL),
    )
    assert heard == [fx.Sound.ITEM]

"""Idle timeouts: an abandoned basket is asked "Still there?", then handed to staff (pure).

Rules:
1. The clock runs while the customer's basket is open and waits on them: SCANNING or
   PAYMENT_DECLINED, at least one item, the key in the normal position, and nobody
   already called (no help asked for, not waiting at Pay for a check).
2. Every touch (also one the UI handles itself: ShopperActive), scan, key turn or help
   press restarts it and answers the prompt.
3. After Rules.idle_prompt_s without input the lane asks "Still there?" with one problem
   sound (the only one: never a repeat, never a voice).
4. After a further Rules.idle_staff_s without an answer the lane calls staff: the basket
   is BLOCKED on an ABANDONED_BASKET intervention (amber: nobody is waiting at the lane),
   audited as "abandoned-basket". Staff resume it (Approve) or cancel, suspend or void
   with the usual actions. No timer ever drops a basket.
"""

from __future__ import annotations

from dataclasses import replace

from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.interventions import Intervention, Need
from appliance.core.selling import Refused, Result
from appliance.core.state import Checkout, KioskState
from appliance.core.text import Text

# what only a person at the lane does (ShopperActive: a touch the UI handled itself)
PEOPLE = (ev.BarcodeScanned, ev.Touched, ev.KeyTurned, ev.HelpButtonPressed, ev.ShopperActive)
WAITING_ON_CUSTOMER = frozenset({Checkout.SCANNING, Checkout.PAYMENT_DECLINED})
CALLED = Text("Are you still there? A member of staff is coming to help.")


def _clock_runs(state: KioskState) -> bool:
    return (
        state.checkout in WAITING_ON_CUSTOMER
        and not state.basket.is_empty
        and state.key is ev.KeyPosition.NORMAL
        and not state.help_requested
        and not state.waiting_to_pay
        and state.last_input_at is not None
    )


def prompt_at(state: KioskState) -> float | None:
    """When "Still there?" is due, or None when the clock is not running or it shows."""
    if state.still_there_since is not None or not _clock_runs(state):
        return None
    assert state.last_input_at is not None
    return state.last_input_at + state.rules.idle_prompt_s


def staff_at(state: KioskState) -> float | None:
    """When staff are called because nobody answered, or None."""
    if state.still_there_since is None or not _clock_runs(state):
        return None
    return state.still_there_since + state.rules.idle_staff_s


def next_deadline(state: KioskState) -> float | None:
    due = prompt_at(state)
    return due if due is not None else staff_at(state)


def asking(state: KioskState) -> bool:
    """The "Still there?" prompt is on screen."""
    return state.still_there_since is not None and state.checkout in WAITING_ON_CUSTOMER


def input_seen(state: KioskState, event: ev.Event) -> KioskState:
    """A person touched, scanned, turned the key or pressed help: restart the clock."""
    if not isinstance(event, PEOPLE):
        return state
    return replace(state, last_input_at=event.at, still_there_since=None)


def on_tick(state: KioskState, at: float) -> Result:
    due = prompt_at(state)
    if due is not None and at >= due:
        return replace(state, still_there_since=at), [fx.PlaySound(fx.Sound.PROBLEM)]
    due = staff_at(state)
    if due is not None and at >= due:
        return _call_staff(state, at)
    return state, []


def _call_staff(state: KioskState, at: float) -> Result:
    idle_s = at - (state.last_input_at or at)
    items = state.basket.item_count
    detail = (
        Text("{n} item, no answer for {s} s", n=items, s=round(idle_s))
        if items == 1
        else Text("{n} items, no answer for {s} s", n=items, s=round(idle_s))
    )
    new = replace(
        state,
        checkout=Checkout.BLOCKED,
        blocking=Intervention(Need.ABANDONED_BASKET, detail),
        notice=CALLED,
        still_there_since=None,
    )
    return new, [fx.Audit("abandoned-basket", detail)]


def still_here(state: KioskState, event: ev.Event) -> Result:
    """The customer answered; input_seen (in checkout.step) restarts the clock."""
    if not asking(state):
        raise Refused("nobody asked")
    return state, []

"""Light-tower semantics: the one table from kiosk state to a lamp (pure).

One colour at a time, red over amber over green:
green steady = available, green blinking = paper low, amber = help or approval pending
(blinking once the customer is at payment and waits for it: staff should come now),
red = blocking or out of service, red blinking = the cash drawer alarm (open longer than
Rules.drawer_alarm_s). An abandoned basket (nobody answered "Still there?") is blocked but
amber: staff should come, yet nobody stands waiting. The same Signal is what head office
is told.

The buzzer stays calm for shoppers: silent while selling and for every customer signal,
pulsing (in step with the red lamp) only for the drawer alarm, until the drawer is shut.
Buzz.CHIRP (one short beep when a signal starts) is there for a signal that wants staff
to look up without alarming anyone; no signal uses it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.core.events import KeyPosition, PaperState
from appliance.core.interventions import Need
from appliance.core.state import BLOCKING_STATES, PAYMENT_STATES, Checkout, KioskState


class Signal(StrEnum):
    AVAILABLE = "available"
    PAPER_LOW = "paper-low"
    ASSIST = "assist"
    APPROVAL_AT_PAYMENT = "approval-at-payment"
    BLOCKED = "blocked"
    OUT_OF_SERVICE = "out-of-service"
    DRAWER_ALARM = "drawer-alarm"


class Colour(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    OFF = "off"


class Buzz(StrEnum):
    """The tower's buzzer: silent, one short chirp when the signal starts, or pulsing."""

    OFF = "off"
    CHIRP = "chirp"
    PULSE = "pulse"


@dataclass(frozen=True, slots=True)
class Lamp:
    colour: Colour
    blinking: bool = False
    buzzer: Buzz = Buzz.OFF


TOWER: dict[Signal, Lamp] = {
    Signal.AVAILABLE: Lamp(Colour.GREEN),
    Signal.PAPER_LOW: Lamp(Colour.GREEN, blinking=True),
    Signal.ASSIST: Lamp(Colour.AMBER),
    Signal.APPROVAL_AT_PAYMENT: Lamp(Colour.AMBER, blinking=True),
    Signal.BLOCKED: Lamp(Colour.RED),
    Signal.OUT_OF_SERVICE: Lamp(Colour.RED),
    Signal.DRAWER_ALARM: Lamp(Colour.RED, blinking=True, buzzer=Buzz.PULSE),
}


def signal_for(state: KioskState) -> Signal:
    """The one signal the state shows, highest priority first. The drawer alarm is first:
    open cash matters whatever the lane is doing, and it is cleared by shutting the drawer."""
    if state.devices.drawer_alarm:
        return Signal.DRAWER_ALARM
    if state.checkout is Checkout.OUT_OF_SERVICE or (
        state.key is KeyPosition.SERVICE and state.checkout not in PAYMENT_STATES
    ):
        return Signal.OUT_OF_SERVICE
    abandoned = state.blocking is not None and state.blocking.need is Need.ABANDONED_BASKET
    if (state.checkout in BLOCKING_STATES and not abandoned) or not state.devices.scanner_ok:
        return Signal.BLOCKED
    if state.waiting_to_pay and state.deferred:
        return Signal.APPROVAL_AT_PAYMENT
    if (
        state.help_requested
        or abandoned
        or state.deferred
        or state.devices.paper is PaperState.OUT
        or not state.devices.printer_online
    ):
        return Signal.ASSIST
    if state.devices.paper is PaperState.LOW:
        return Signal.PAPER_LOW
    return Signal.AVAILABLE


def lamp_for(state: KioskState) -> Lamp:
    return TOWER[signal_for(state)]

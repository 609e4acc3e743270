"""The card terminal twin: approves by default; can decline on purpose, or stay silent.

`delay_s` > 0 answers from a timer thread, as a real terminal answers after the card
is presented; 0 answers at once (scenarios and tests, which never sleep).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from appliance.core.events import PaymentApproved, PaymentDeclined
from appliance.ports import Emit

_NO_ANSWER = "\0no answer"


class SimCardTerminal:
    def __init__(self, monotonic: Callable[[], float], delay_s: float = 0.0) -> None:
        self._monotonic = monotonic
        self._delay_s = delay_s
        self._emit: Emit | None = None
        self._outcomes: list[str | None] = []
        self._refs = itertools.count(1)
        self._timers: list[threading.Timer] = []
        self.requests: list[tuple[int, str]] = []

    def start(self, emit: Emit) -> None:
        self._emit = emit

    def decline_next(self, reason: str = "card declined") -> None:
        self._outcomes.append(reason)

    def approve_next(self) -> None:
        self._outcomes.append(None)

    def ignore_next(self) -> None:
        """The next request gets no answer at all (a terminal that hangs or loses power)."""
        self._outcomes.append(_NO_ANSWER)

    def request_payment(self, amount_minor: int, currency: str) -> None:
        self.requests.append((amount_minor, currency))
        outcome = self._outcomes.pop(0) if self._outcomes else None
        if outcome == _NO_ANSWER:
            return
        if self._delay_s > 0:
            timer = threading.Timer(self._delay_s, self._answer, (outcome,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        else:
            self._answer(outcome)

    def _answer(self, decline_reason: str | None) -> None:
        if self._emit is None:
            return
        at = self._monotonic()
        if decline_reason is None:
            self._emit(
                PaymentApproved(at=at, method="card", reference=f"SIM{next(self._refs):06d}")
            )
        else:
            self._emit(PaymentDeclined(at=at, reason=decline_reason))

    def close(self) -> None:
        self._emit = None
        for timer in self._timers:
            timer.cancel()

"""The main loop: the only caller of core.step. Other threads only put events in the inbox.

`process_pending()` steps every queued event and the events its effects produce at once;
`wait()` blocks until an event arrives or the core's next deadline passes. The scenario
runner drives the same loop with a simulated clock, so tests never sleep.

Head office's acks that queued up one behind another are stepped as one ReportAcked: the
core answers each with MarkDelivered of its ids and nothing else, so one store transaction
(one fsync) does for all of them. A kiosk draining a backlog gets an ack every round of
head office's ingest, and one transaction each held its main loop up under disk load.
"""

from __future__ import annotations

import logging
import queue
from collections import deque
from collections.abc import Callable
from typing import Any

from appliance.core import checkout, snapshot
from appliance.core.events import Event, ReportAcked, Tick
from appliance.core.signals import Lamp, lamp_for
from appliance.core.state import KioskState
from appliance.ports import Clock, LightTower
from appliance.shell.runner import Runner

log = logging.getLogger(__name__)


_NOTHING = object()  # no failed save waiting


class Loop:
    def __init__(self, state: KioskState, runner: Runner, clock: Clock, tower: LightTower) -> None:
        self.state = state
        self._runner = runner
        self._clock = clock
        self._tower = tower
        self._inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._lamp: Lamp | None = None
        self._open_sale: dict[str, Any] | None = snapshot.open_sale(state)
        self._lane: dict[str, Any] | None = snapshot.lane(state)
        # what a save last failed to write: not tried again until it changes, or a store
        # that refuses every write (a full disk) would answer each StoreFailed's step with
        # another save and another StoreFailed, for ever, inside one process_pending()
        self._open_sale_failed: object = _NOTHING
        self._lane_failed: object = _NOTHING
        self.rejected: list[checkout.IllegalTransition] = []
        # events the shell handles before the core (a raw MQTT command): type → handler,
        # which returns the events for the core
        self.shell_handlers: dict[type[Event], Callable[[Event], list[Event]]] = {}
        self._show_lamp()

    def emit(self, event: Event) -> None:
        """Thread-safe: queue an event for the main loop."""
        self._inbox.put(event)

    def process_pending(self) -> int:
        """Step every queued event (and what they lead to). Returns how many were stepped."""
        count = 0
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                return count
            count += self._step_taken(event)

    def tick(self) -> None:
        """Deliver a Tick when the core's deadline has passed."""
        deadline = checkout.next_deadline(self.state)
        if deadline is not None and self._clock.monotonic() >= deadline:
            self._step_all(Tick(at=self._clock.monotonic()))

    def wait(self, timeout_s: float) -> None:
        """Block until an event arrives, the next deadline passes, or timeout_s."""
        deadline = checkout.next_deadline(self.state)
        if deadline is not None:
            timeout_s = max(0.0, min(timeout_s, deadline - self._clock.monotonic()))
        try:
            event = self._inbox.get(timeout=timeout_s)
        except queue.Empty:
            pass
        else:
            self._step_taken(event)
        self.process_pending()
        self.tick()

    def _step_taken(self, event: Event) -> int:
        """Step an event taken from the inbox; an ack takes the acks queued right behind it
        along (in order: the first other event is stepped after them)."""
        if not isinstance(event, ReportAcked):
            return self._step_all(event)
        merged = event
        while True:
            try:
                following = self._inbox.get_nowait()
            except queue.Empty:
                following = None
                break
            if not isinstance(following, ReportAcked):
                break
            ids = merged.event_ids + following.event_ids
            merged = ReportAcked(at=following.at, event_ids=ids)
        count = self._step_all(merged)
        if following is not None:
            count += self._step_all(following)
        return count

    def _step_all(self, first: Event) -> int:
        pending = deque([first])
        count = 0
        while pending:
            event = pending.popleft()
            handler = self.shell_handlers.get(type(event))
            if handler is not None:
                pending.extend(handler(event))
                continue
            try:
                self.state, effects = checkout.step(self.state, event)
            except checkout.IllegalTransition as exc:
                log.warning("ignored %s: %s", type(event).__name__, exc.why)
                self.rejected.append(exc)
                for effect in exc.effects:  # the state is unchanged; a refused scan beeps
                    pending.extend(self._runner.run(effect))
                continue
            count += 1
            for effect in effects:
                pending.extend(self._runner.run(effect))
            pending.extend(self._keep_open_sale())
            pending.extend(self._keep_lane())
        self._show_lamp()
        return count

    def _keep_lane(self) -> list[Event]:
        """Save the lane's closure (and head office's waiting request) when it changes, so
        a lane staff closed is still closed after a power cut."""
        body = snapshot.lane(self.state)
        if body == self._lane or body == self._lane_failed:
            return []
        events = self._runner.save_lane(body)
        if events:
            self._lane_failed = body
        else:
            self._lane, self._lane_failed = body, _NOTHING
        return events

    def _keep_open_sale(self) -> list[Event]:
        """Save the unpaid sale whenever it changes, so a restart brings it back."""
        body = snapshot.open_sale(self.state)
        if body == self._open_sale or body == self._open_sale_failed:
            return []
        events = self._runner.save_open_sale(body)
        if events:
            self._open_sale_failed = body
        else:
            self._open_sale, self._open_sale_failed = body, _NOTHING
        return events

    def _show_lamp(self) -> None:
        lamp = lamp_for(self.state)
        if lamp != self._lamp:
            self._tower.show(lamp)
            self._lamp = lamp

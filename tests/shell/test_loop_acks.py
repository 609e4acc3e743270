"""The main loop steps head office's acks that queued up back to back as one: one store
transaction removes their rows, and every other event keeps its place in the order."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.core.events import BrokerLinkChanged, ReportAcked
from appliance.shell.clock import SimClock
from tests.support.sales import commit_sale

KIOSK = "k-loop"


@pytest.fixture
def kiosk(tmp_path: Path) -> Kiosk:
    settings = {
        "kiosk": {"id": KIOSK, "data_dir": str(tmp_path), "currency": "EUR"},
        "broker": {"enabled": False},
    }
    config = config_mod.merge(config_mod.Config(), settings, "loop test")
    with build(config, SimClock(), sim=True) as built:
        yield built


def test_acks_queued_back_to_back_leave_the_outbox_in_one_transaction(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN four sales in the outbox and, queued in this order, an ack of the first, an ack
    of the second, the broker link coming up, and acks of the third and the fourth
    WHEN the loop steps what is pending
    THEN the first two acks leave in one transaction, before the link event is stepped,
    the last two in another after it; the outbox is empty."""
    sales = [commit_sale(kiosk.store, KIOSK).event_id for _ in range(4)]
    transactions: list[tuple[tuple[str, ...], bool]] = []
    mark_delivered = kiosk.store.mark_delivered

    def recording(event_ids: tuple[str, ...]) -> int:
        transactions.append((tuple(event_ids), kiosk.state.devices.broker_connected))
        return mark_delivered(event_ids)

    monkeypatch.setattr(kiosk.store, "mark_delivered", recording)
    emit = kiosk.loop.emit
    emit(ReportAcked(at=1.0, event_ids=(sales[0],)))
    emit(ReportAcked(at=2.0, event_ids=(sales[1],)))
    emit(BrokerLinkChanged(at=3.0, connected=True))
    emit(ReportAcked(at=4.0, event_ids=(sales[2],)))
    emit(ReportAcked(at=5.0, event_ids=(sales[3],)))

    kiosk.loop.process_pending()

    assert transactions == [((sales[0], sales[1]), False), ((sales[2], sales[3]), True)]
    assert kiosk.store.outbox_depth() == 0
    assert kiosk.state.devices.broker_connected


def test_an_ack_alone_is_stepped_as_it_came(kiosk: Kiosk) -> None:
    """GIVEN two sales WHEN one ack of the second arrives THEN only that row leaves."""
    first, second = (commit_sale(kiosk.store, KIOSK).event_id for _ in range(2))
    kiosk.loop.emit(ReportAcked(at=1.0, event_ids=(second,)))
    kiosk.loop.wait(0.0)
    assert [row.event_id for row in kiosk.store.outbox_pending(10)] == [first]

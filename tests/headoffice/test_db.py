"""Head office's ledger: each event once, sales with their ordering fields, presence; every
test against SQLite and PostgreSQL (the `ledger_db` fixture)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from appliance import wire
from headoffice.db import Applied, LedgerError, open_ledger
from tests.support.sales import WALL_AT, sale_envelope


def _clock(*times: str) -> Callable[[], str]:
    it = iter(times)
    return lambda: next(it)


def test_the_same_event_twice_is_stored_once(ledger_db: str) -> None:
    """GIVEN an empty ledger WHEN one sale event is applied twice
    THEN the first apply stores it, the second is a duplicate (to ack) and changes nothing."""
    envelope = sale_envelope("k1", 1)
    with open_ledger(ledger_db) as ledger:
        assert ledger.apply(envelope) == Applied("evt-k1-1", applied=("evt-k1-1",))
        before = (ledger.events(), ledger.sales(), ledger.kiosks())

        again = ledger.apply(envelope)
        assert again == Applied("evt-k1-1", duplicate=True)
        assert again.acks == ("evt-k1-1",)

        assert (ledger.events(), ledger.sales(), ledger.kiosks()) == before
        assert len(ledger.sales()) == 1


def test_ordering_fields_are_stored(ledger_db: str) -> None:
    """GIVEN two sales of one kiosk arriving out of order WHEN applied
    THEN both are applied when the first arrives, with the kiosk's stream seq, sale number
    and time, and head office's time of applying them, listed in order."""
    now = _clock("2026-11-23T10:00:05.000+00:00", "2026-11-23T10:00:06.000+00:00")
    with open_ledger(ledger_db, now=now) as ledger:
        ledger.apply(sale_envelope("k1", 2))
        ledger.apply(sale_envelope("k1", 1))

        events = ledger.events()
        sales = ledger.sales()

    assert [(e.kiosk_id, e.stream, e.seq) for e in events] == [
        ("k1", "sales", 1),
        ("k1", "sales", 2),
    ]
    assert [e.received_at for e in events] == ["2026-11-23T10:00:06.000+00:00"] * 2
    assert all(e.at == WALL_AT and e.clock_synced for e in events)
    assert [s.sale_seq for s in sales] == [1, 2]
    assert sales[0].sale_id == "sale-k1-1" and sales[0].event_id == "evt-k1-1"
    assert sales[0].currency == "EUR" and sales[0].total_minor == 129 + 249
    assert sales[0].body["lines"][0]["name"] == "Milk 1 l"


def test_a_stored_sale_survives_reopening(ledger_db: str) -> None:
    """GIVEN a sale applied and the ledger closed WHEN it is opened again
    THEN the sale is there and applying it again is still a no-op."""
    with open_ledger(ledger_db) as ledger:
        ledger.apply(sale_envelope("k1", 1))
    with open_ledger(ledger_db) as ledger:
        assert [s.sale_id for s in ledger.sales()] == ["sale-k1-1"]
        assert ledger.apply(sale_envelope("k1", 1)).duplicate


def test_a_different_event_claiming_a_stored_sale_is_refused_whole(ledger_db: str) -> None:
    """GIVEN a stored sale WHEN another event id carries the same seq (and sale id), or the
    next seq with the same sale id THEN LedgerError, and nothing is stored twice; the
    stream is not wedged: the real next event still applies."""
    reused_sale = dataclasses.replace(sale_envelope("k1", 1), event_id="e2", seq=2)
    with open_ledger(ledger_db) as ledger:
        ledger.apply(sale_envelope("k1", 1))
        with pytest.raises(LedgerError, match="conflicts"):
            ledger.apply(sale_envelope("k1", 1, event_id="another-event"))
        with pytest.raises(LedgerError, match="conflicts"):
            ledger.apply(reused_sale)

        assert [e.event_id for e in ledger.events()] == ["evt-k1-1"]
        assert len(ledger.sales()) == 1
        assert ledger.apply(sale_envelope("k1", 2)).applied == ("evt-k1-2",)


def test_non_sale_events_are_stored_without_a_sale(ledger_db: str) -> None:
    """GIVEN a stock event WHEN applied THEN it is an event but not a sale."""
    envelope = wire.Envelope("e-stock-1", "k1", "stock", 1, WALL_AT, False, {"gtin": "1"})
    with open_ledger(ledger_db) as ledger:
        assert ledger.apply(envelope).applied == ("e-stock-1",)
        assert [(e.stream, e.clock_synced) for e in ledger.events()] == [("stock", False)]
        assert ledger.sales() == []


def test_kiosk_presence_follows_status_and_events(ledger_db: str) -> None:
    """GIVEN a kiosk that says online, sends a sale, then goes offline
    THEN the kiosks table shows it offline, last seen at the latest of those."""
    now = _clock("t1", "t2", "t3")
    with open_ledger(ledger_db, now=now) as ledger:
        ledger.set_kiosk_online("k1", True)
        assert [(k.kiosk_id, k.online, k.last_seen) for k in ledger.kiosks()] == [
            ("k1", True, "t1")
        ]
        ledger.apply(sale_envelope("k1", 1))
        ledger.set_kiosk_online("k1", False)
        assert [(k.kiosk_id, k.online, k.last_seen) for k in ledger.kiosks()] == [
            ("k1", False, "t3")
        ]

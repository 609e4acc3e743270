"""Ordering per kiosk and stream in the ledger: early events are held (durably) and applied
in seq order once the gap fills; a gap the reorder window does not close is claimed for
exactly one resync request. Every test runs against SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance import wire
from headoffice.db import Applied, LedgerError, open_ledger
from headoffice.reorder import Gap, ReorderWindow, Resync
from tests.support.sales import WALL_AT, sale_envelope

WINDOW = ReorderWindow(seconds=5.0, count=50, retry_s=600.0)


class Clock:
    """Head office's wall clock in Unix seconds, moved by the test."""

    def __init__(self) -> None:
        self.now_s = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now_s


def ids(*seqs: int, kiosk: str = "k1") -> tuple[str, ...]:
    return tuple(f"evt-{kiosk}-{seq}" for seq in seqs)


def test_out_of_order_delivery_applies_in_order(ledger_db: str) -> None:
    """GIVEN a new stream WHEN seq 3, then 2, then 1 arrive
    THEN 3 and 2 are held (nothing applied, nothing to ack), and 1 applies 1, 2, 3 in that
    order in one go, all three acked; the sales are listed 1, 2, 3 and nothing stays held."""
    with open_ledger(ledger_db) as ledger:
        assert ledger.apply(sale_envelope("k1", 3)) == Applied("evt-k1-3", held=True)
        assert ledger.apply(sale_envelope("k1", 2)).acks == ()
        assert ledger.sales() == [] and ledger.held() == [("k1", "sales", 2), ("k1", "sales", 3)]

        freed = ledger.apply(sale_envelope("k1", 1))

        assert freed == Applied("evt-k1-1", applied=ids(1, 2, 3))
        assert freed.acks == ids(1, 2, 3)
        assert [s.sale_seq for s in ledger.sales()] == [1, 2, 3]
        assert ledger.held() == []
        assert ledger.apply(sale_envelope("k1", 4)).applied == ids(4)


def test_streams_and_kiosks_are_ordered_independently(ledger_db: str) -> None:
    """GIVEN k1's sales at seq 1 WHEN k1's stock seq 1 and k2's sales seq 1 arrive
    THEN each applies at once: a gap in one stream never holds up another."""
    stock = wire.Envelope("e-stock-1", "k1", "stock", 1, WALL_AT, True, {"gtin": "1"})
    with open_ledger(ledger_db) as ledger:
        ledger.apply(sale_envelope("k1", 1))
        assert ledger.apply(sale_envelope("k1", 3)).held
        assert ledger.apply(stock).applied == ("e-stock-1",)
        assert ledger.apply(sale_envelope("k2", 1)).applied == ids(1, kiosk="k2")


def test_a_duplicate_changes_nothing(ledger_db: str) -> None:
    """GIVEN seq 1 and 2 applied and 4 held WHEN 1 and 4 arrive again
    THEN the applied one is a duplicate (acked again, nothing stored twice) and the held
    one stays held (still not acked): events, sales and held rows are as before."""
    with open_ledger(ledger_db) as ledger:
        for seq in (1, 2, 4):
            ledger.apply(sale_envelope("k1", seq))
        before = (ledger.events(), ledger.sales(), ledger.held(), ledger.kiosks())

        assert ledger.apply(sale_envelope("k1", 1)) == Applied("evt-k1-1", duplicate=True)
        assert ledger.apply(sale_envelope("k1", 4)) == Applied("evt-k1-4", held=True)

        assert (ledger.events(), ledger.sales(), ledger.held(), ledger.kiosks()) == before


def test_another_event_at_a_held_seq_is_refused(ledger_db: str) -> None:
    """GIVEN seq 3 held WHEN a different event id claims seq 3 THEN LedgerError; the held
    one stays, and applies when the gap fills."""
    with open_ledger(ledger_db) as ledger:
        ledger.apply(sale_envelope("k1", 1))
        ledger.apply(sale_envelope("k1", 3))
        with pytest.raises(LedgerError, match="conflicts"):
            ledger.apply(sale_envelope("k1", 3, event_id="impostor"))
        assert ledger.apply(sale_envelope("k1", 2)).applied == ids(2, 3)


def test_a_gap_past_the_window_gets_exactly_one_resync_naming_the_missing_seq(
    ledger_db: str,
) -> None:
    """GIVEN seq 1 applied and 3, 4 held (2 missing)
    WHEN the window has not passed THEN no resync
    WHEN it passes THEN exactly one resync, from seq 2, however often ingest looks again
    WHEN 2 arrives THEN 2, 3, 4 apply and no gap is left to ask about."""
    clock = Clock()
    with open_ledger(ledger_db, clock_s=clock) as ledger:
        ledger.apply(sale_envelope("k1", 1))
        ledger.apply(sale_envelope("k1", 3))
        clock.now_s += 1
        ledger.apply(sale_envelope("k1", 4))

        clock.now_s += WINDOW.seconds - 1.5
        assert ledger.due_resyncs(WINDOW) == []

        clock.now_s += 0.5
        assert ledger.due_resyncs(WINDOW) == [Resync("k1", "sales", 2)]
        for _ in range(3):
            clock.now_s += WINDOW.seconds
            assert ledger.due_resyncs(WINDOW) == []

        assert ledger.apply(sale_envelope("k1", 2)).applied == ids(2, 3, 4)
        clock.now_s += WINDOW.retry_s
        assert ledger.due_resyncs(WINDOW) == []
        assert [s.sale_seq for s in ledger.sales()] == [1, 2, 3, 4]


def test_an_unanswered_resync_is_asked_again_after_retry_s(ledger_db: str) -> None:
    """GIVEN a resync asked for seq 2 WHEN retry_s passes without it THEN one more resync."""
    clock = Clock()
    with open_ledger(ledger_db, clock_s=clock) as ledger:
        ledger.apply(sale_envelope("k1", 1))
        ledger.apply(sale_envelope("k1", 3))
        clock.now_s += WINDOW.seconds
        assert ledger.due_resyncs(WINDOW) == [Resync("k1", "sales", 2)]
        clock.now_s += WINDOW.retry_s - 1
        assert ledger.due_resyncs(WINDOW) == []
        clock.now_s += 1
        assert ledger.due_resyncs(WINDOW) == [Resync("k1", "sales", 2)]


def test_a_new_gap_after_a_filled_one_waits_its_own_window(ledger_db: str) -> None:
    """GIVEN 1 applied, 3 and 5 held, a resync asked for 2 WHEN 2 arrives (3 applies)
    THEN the gap at 4 is not asked for at once (the kiosk is likely resending) but after a
    window of no progress, once."""
    clock = Clock()
    with open_ledger(ledger_db, clock_s=clock) as ledger:
        for seq in (1, 3, 5):
            ledger.apply(sale_envelope("k1", seq))
        clock.now_s += WINDOW.seconds
        assert ledger.due_resyncs(WINDOW) == [Resync("k1", "sales", 2)]

        assert ledger.apply(sale_envelope("k1", 2)).applied == ids(2, 3)
        assert ledger.due_resyncs(WINDOW) == []
        clock.now_s += WINDOW.seconds
        assert ledger.due_resyncs(WINDOW) == [Resync("k1", "sales", 4)]
        assert ledger.due_resyncs(WINDOW) == []


def test_a_full_window_asks_before_the_time_is_up(ledger_db: str) -> None:
    """GIVEN a window of 3 events WHEN 3 events wait behind a gap THEN a resync at once."""
    window = ReorderWindow(seconds=3600.0, count=3)
    with open_ledger(ledger_db) as ledger:
        ledger.apply(sale_envelope("k1", 1))
        ledger.apply(sale_envelope("k1", 3))
        ledger.apply(sale_envelope("k1", 4))
        assert ledger.due_resyncs(window) == []
        ledger.apply(sale_envelope("k1", 5))
        assert ledger.due_resyncs(window) == [Resync("k1", "sales", 2)]


def test_held_events_survive_a_restart(ledger_db: str) -> None:
    """GIVEN seq 2 and 3 held (their MQTT delivery already confirmed to the broker)
    WHEN the ledger is closed and opened again (an ingest restart) and seq 1 arrives
    THEN all three apply: the reorder buffer is in the ledger, not in memory."""
    with open_ledger(ledger_db) as ledger:
        ledger.apply(sale_envelope("k1", 3))
        ledger.apply(sale_envelope("k1", 2))
    with open_ledger(ledger_db) as ledger:
        assert ledger.apply(sale_envelope("k1", 1)).applied == ids(1, 2, 3)


def test_two_ingests_sharing_a_ledger_ask_for_a_gap_once(ledger_db: str) -> None:
    """GIVEN two ingests on one database (a shared subscription) and a gap past the window
    WHEN both look for gaps THEN only one of them is handed the resync to send."""
    clock = Clock()
    with open_ledger(ledger_db, clock_s=clock) as one, open_ledger(ledger_db, clock_s=clock) as two:
        one.apply(sale_envelope("k1", 1))
        two.apply(sale_envelope("k1", 3))
        clock.now_s += WINDOW.seconds
        claimed = one.due_resyncs(WINDOW) + two.due_resyncs(WINDOW)
        assert claimed == [Resync("k1", "sales", 2)]
        assert two.apply(sale_envelope("k1", 2)).applied == ids(2, 3)
        assert one.apply(sale_envelope("k1", 3)).duplicate


def test_gap_rule() -> None:
    """The decision alone: the window counts from the later of the oldest held event and the
    stream's last progress; a gap already asked for waits retry_s."""
    gap = Gap(next_seq=2, held=1, oldest_held_at=100.0, advanced_at=90.0, resync_from=None,
              resync_at=None)  # fmt: skip
    assert not gap.is_due(WINDOW, 104.9) and gap.is_due(WINDOW, 105.0)
    later = Gap(2, 1, 100.0, 103.0, None, None)
    assert not later.is_due(WINDOW, 107.9) and later.is_due(WINDOW, 108.0)
    asked = Gap(2, 1, 100.0, 90.0, 2, 105.0)
    assert not asked.is_due(WINDOW, 704.9) and asked.is_due(WINDOW, 705.0)
    other_gap_asked = Gap(4, 1, 100.0, 90.0, 2, 105.0)
    assert other_gap_asked.is_due(WINDOW, 106.0)
    with pytest.raises(ValueError, match="out of range"):
        ReorderWindow(seconds=0)


# one ledger for all examples, a new kiosk for each: examples never see each other's rows
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(1, 7)), repeats=st.lists(st.integers(1, 6), max_size=4))
def test_any_delivery_order_with_repeats_converges_to_the_same_ledger(
    ledger_db: str, order: list[int], repeats: list[int]
) -> None:
    """Research §7.2: any permutation of deliveries with any duplicates ends with every
    event applied once, in seq order, each acked at least once, and nothing held."""
    kiosk = f"k-{uuid.uuid4().hex[:8]}"
    with open_ledger(ledger_db) as ledger:
        acked: list[str] = []
        for seq in itertools.chain(order, repeats):
            acked.extend(ledger.apply(sale_envelope(kiosk, seq)).acks)
        sales = [s.sale_seq for s in ledger.sales() if s.kiosk_id == kiosk]
        assert sales == [1, 2, 3, 4, 5, 6]
        assert set(acked) == set(ids(1, 2, 3, 4, 5, 6, kiosk=kiosk))
        assert [h for h in ledger.held() if h[0] == kiosk] == []


def test_a_round_applied_together_is_what_applying_one_by_one_gives(ledger_db: str) -> None:
    """GIVEN one round of messages (ingest applies a round in one transaction) holding an
    early event, the events before it, a repeat and one that conflicts WHEN applied with
    apply_many THEN each gets the outcome apply() would give, in order, and the conflicting
    one alone is refused: the rest of the round is stored."""
    with open_ledger(ledger_db) as ledger:
        ledger.apply(sale_envelope("k1", 1))
        clash = sale_envelope("k1", 3, event_id="evt-other-3")
        round_ = [
            sale_envelope("k1", 3),
            sale_envelope("k1", 1),
            clash,
            sale_envelope("k1", 2),
            sale_envelope("k2", 1),
        ]
        outcomes = ledger.apply_many(round_)
        assert outcomes[0] == Applied("evt-k1-3", held=True)
        assert outcomes[1] == Applied("evt-k1-1", duplicate=True)
        assert isinstance(outcomes[2], LedgerError)
        assert outcomes[3] == Applied("evt-k1-2", applied=ids(2, 3))
        assert outcomes[4] == Applied("evt-k2-1", applied=ids(1, kiosk="k2"))
        assert [(s.kiosk_id, s.sale_seq) for s in ledger.sales()] == [
            ("k1", 1),
            ("k1", 2),
            ("k1", 3),
            ("k2", 1),
        ]
        assert ledger.held() == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations(range(1, 9)),
    repeats=st.lists(st.integers(1, 8), max_size=4),
    cuts=st.lists(st.integers(1, 11), max_size=5),
)
def test_any_rounds_of_any_order_converge_like_one_by_one(
    ledger_db: str, order: list[int], repeats: list[int], cuts: list[int]
) -> None:
    """The same as above with the deliveries cut into rounds applied with apply_many
    (whose fast path takes a run that follows on from the stream's next seq): every event
    once, in seq order, each acked, nothing held; and a round's outcomes are those apply()
    would give, one per event, in order."""
    kiosk = f"k-{uuid.uuid4().hex[:8]}"
    deliveries = [sale_envelope(kiosk, seq) for seq in itertools.chain(order, repeats)]
    bounds = sorted({0, len(deliveries), *(c for c in cuts if c < len(deliveries))})
    with open_ledger(ledger_db) as ledger:
        acked: list[str] = []
        for start, end in itertools.pairwise(bounds):
            outcomes = ledger.apply_many(deliveries[start:end])
            assert [o.event_id for o in outcomes if isinstance(o, Applied)] == [
                d.event_id for d in deliveries[start:end]
            ]
            acked.extend(a for o in outcomes if isinstance(o, Applied) for a in o.acks)
        sales = [s.sale_seq for s in ledger.sales() if s.kiosk_id == kiosk]
        assert sales == list(range(1, 9))
        assert set(acked) == set(ids(*range(1, 9), kiosk=kiosk))
        assert [h for h in ledger.held() if h[0] == kiosk] == []


def test_a_run_with_a_sale_already_stored_under_another_event_falls_back_to_one_by_one(
    ledger_db: str,
) -> None:
    """GIVEN a run of three in-order events whose middle one carries a sale id already
    stored under another event WHEN applied together THEN the fast path gives way: the
    first is applied, the clash refused alone, and the third (now after a gap) held."""
    with open_ledger(ledger_db) as ledger:
        first = sale_envelope("k1", 1)
        ledger.apply(first)
        clash = sale_envelope("k1", 3)
        clash = replace(clash, body={**clash.body, "sale_id": first.body["sale_id"]})
        outcomes = ledger.apply_many([sale_envelope("k1", 2), clash, sale_envelope("k1", 4)])
        assert outcomes[0] == Applied("evt-k1-2", applied=ids(2))
        assert isinstance(outcomes[1], LedgerError)
        assert outcomes[2] == Applied("evt-k1-4", held=True)
        assert [s.sale_seq for s in ledger.sales()] == [1, 2]

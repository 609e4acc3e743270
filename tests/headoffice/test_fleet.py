"""The fleet view: presence by the bdSeq rule, health from birth and telemetry, as a table
and as JSON. The payloads are built by the kiosk's own builders (appliance/shell/telemetry.py),
so what the kiosk says and what head office reads are tested end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance import wire
from appliance.shell import telemetry
from headoffice import fleet
from headoffice.db import open_ledger
from tests.support.sales import sale_envelope

T = "2026-11-23T10:00:{:02d}.000+00:00"


def ticking() -> Callable[[], str]:
    """Head office's clock: one second later at every call."""
    seconds = iter(range(60))
    return lambda: T.format(next(seconds))


def status(online: bool, conn_seq: int) -> wire.Status:
    state = "online" if online else "lost"
    return wire.parse_status(wire.status_payload(online, "", conn_seq, state))


def birth(kiosk: str = "k1", conn_seq: int = 7, **facts: object) -> wire.Birth:
    fields: dict[str, object] = {
        "kiosk_id": kiosk,
        "conn_seq": conn_seq,
        "at": "2026-11-23T09:59:58.000+00:00",
        "clock_synced": True,
        "config": {"kiosk": {"id": kiosk}},
        "catalog_version": 12,
        "catalog_waiting": None,
        "devices": {"printer": "ok", "scanner": "ok"},
        "signal": "available",
        "outbox_depth": 3,
        "outbox_heads": {"sales": 40},
        "command_counters": {},
    }
    payload = telemetry.birth_payload(**(fields | facts))
    return wire.parse_birth(payload)


def sample(tmp_path: Path, kiosk: str = "k1", **facts: object) -> wire.Telemetry:
    fields: dict[str, object] = {
        "kiosk_id": kiosk,
        "at": "2026-11-23T10:00:30.000+00:00",
        "clock_synced": False,
        "data_dir": tmp_path,
        "devices": {"printer": "paper-low", "scanner": "ok"},
        "signal": "paper-low",
        "outbox_depth": 5,
        "sales_today": 17,
    }
    payload = telemetry.telemetry_payload(**(fields | facts))
    return wire.parse_telemetry(payload)


# -- the bdSeq rule ------------------------------------------------------------------------


def test_a_will_from_an_older_connection_after_the_new_online_is_ignored(ledger_db: str) -> None:
    """GIVEN a kiosk back online on connection 8 WHEN the broker then delivers connection 7's
    Will (late, research §1.3) THEN the kiosk stays online, since its reconnection."""
    with open_ledger(ledger_db, now=ticking()) as ledger:
        assert ledger.record_status("k1", status(True, 7))
        assert ledger.record_status("k1", status(True, 8))

        assert ledger.record_status("k1", status(False, 7)) is False

        [state] = ledger.kiosk_states()
        [presence] = ledger.kiosks()
    assert (state.online, state.conn_seq, state.online_since) == (True, 8, T.format(1))
    assert presence.online and presence.last_seen == T.format(1)


def test_the_will_of_the_current_connection_takes_the_kiosk_offline(ledger_db: str) -> None:
    """GIVEN a kiosk online on connection 8 WHEN its own Will (8) arrives THEN it is offline
    from then, and its last sign of life stays the online status (a Will is the broker's)."""
    with open_ledger(ledger_db, now=ticking()) as ledger:
        ledger.record_status("k1", status(True, 8))
        assert ledger.record_status("k1", status(False, 8))
        [state] = ledger.kiosk_states()
    assert (state.online, state.online_since, state.last_seen) == (False, T.format(1), T.format(0))


def test_a_status_without_a_counter_always_counts(ledger_db: str) -> None:
    """A kiosk from before conn_seq (`{"online": false}` only) is never ignored."""
    with open_ledger(ledger_db, now=ticking()) as ledger:
        ledger.record_status("k1", status(True, 8))
        old = wire.parse_status(wire.online_payload(False, ""))
        assert ledger.record_status("k1", old)
        assert ledger.kiosk_states()[0].online is False


# -- the fleet view ------------------------------------------------------------------------


def test_the_fleet_shows_presence_health_and_sales_from_birth_and_telemetry(
    tmp_path: Path,
    ledger_db: str,
) -> None:
    """GIVEN k1 online with a birth then a newer telemetry sample, k2 known only by a sale
    WHEN the fleet is listed THEN k1 shows online since its status, the telemetry's devices,
    signal, outbox depth, clock and sales today, the birth's software and catalog; k2 '?'."""
    with open_ledger(ledger_db, now=ticking()) as ledger:
        ledger.record_status("k1", status(True, 7))
        ledger.record_birth(birth())
        ledger.record_telemetry(sample(tmp_path))
        ledger.apply(sale_envelope("k2", 1))
        rows = fleet.fleet(ledger.kiosk_states())

    k1, k2 = rows
    assert (k1.kiosk_id, k1.online, k1.since, k1.last_seen) == (
        "k1",
        True,
        T.format(0),
        T.format(2),
    )
    assert (k1.signal, k1.outbox_depth, k1.sales_today, k1.clock_synced) == (
        "paper-low",
        5,
        17,
        False,
    )
    assert k1.devices == {"printer": "paper-low", "scanner": "ok"}
    assert (k1.software, k1.catalog_version, k1.conn_seq) == ("0.1.0", 12, 7)
    assert (k2.kiosk_id, k2.online, k2.signal, k2.last_seen) == ("k2", None, None, T.format(3))

    table = fleet.render_table(rows)
    assert "k1  " in table and "online" in table and "UNSYNCED" in table
    assert "printer=paper-low scanner=ok" in table
    assert table.splitlines()[-1] == "2 kiosk(s), 1 online"
    as_json = json.loads(fleet.to_json(rows))
    assert as_json[0]["outbox_depth"] == 5 and as_json[0]["signal"] == "paper-low"
    assert as_json[1]["online"] is None


def test_a_birth_newer_than_the_telemetry_wins(tmp_path: Path, ledger_db: str) -> None:
    """A rebirth after a sample carries the fresher outbox depth and signal."""
    with open_ledger(ledger_db, now=ticking()) as ledger:
        ledger.record_telemetry(sample(tmp_path))
        ledger.record_birth(birth(outbox_depth=0, signal="out-of-service"))
        [row] = fleet.fleet(ledger.kiosk_states())
    assert (row.outbox_depth, row.signal, row.sales_today) == (0, "out-of-service", 17)


def test_retained_copies_replayed_to_a_restarted_ingest_are_not_signs_of_life(
    tmp_path: Path,
    ledger_db: str,
) -> None:
    """GIVEN a kiosk whose last birth and online status head office stored, then silence
    WHEN the ingest restarts and the broker replays the retained birth and status
    THEN when the birth arrived and when the kiosk was last seen stay as they were; and a
    kiosk known only from replayed copies has never been seen."""
    with open_ledger(ledger_db, now=ticking()) as ledger:
        ledger.record_status("k1", status(True, 7))
        ledger.record_birth(birth())
        ledger.record_status("k1", status(True, 7), replayed=True)
        ledger.record_birth(birth(), replayed=True)
        ledger.record_status("k2", status(True, 3), replayed=True)
        k1, k2 = ledger.kiosk_states()
    assert (k1.online_since, k1.birth_at, k1.last_seen) == (T.format(0), T.format(1), T.format(1))
    assert (k2.online, k2.last_seen) == (True, None)


def test_a_stored_birth_and_telemetry_survive_reopening(tmp_path: Path, ledger_db: str) -> None:
    health = sample(tmp_path)  # once: the disk's free space moves as the test writes
    with open_ledger(ledger_db) as ledger:
        ledger.record_birth(birth())
        ledger.record_telemetry(health)
    with open_ledger(ledger_db) as ledger:
        [state] = ledger.kiosk_states()
    assert state.birth == birth() and state.telemetry == health


# -- what the kiosk reports (appliance/shell/telemetry.py) ----------------------------------


def test_health_readers_parse_proc_and_sys(tmp_path: Path) -> None:
    """GIVEN /proc and /sys files as a Pi writes them THEN uptime, load, memory (KiB → bytes)
    and temperature (millidegrees → °C) come out in the documented units."""
    (tmp_path / "uptime").write_text("12345.67 40000.00\n")
    (tmp_path / "loadavg").write_text("0.52 0.40 0.31 1/230 4242\n")
    (tmp_path / "meminfo").write_text(
        "MemTotal:        3884844 kB\nMemFree:          100000 kB\nMemAvailable:    2000000 kB\n"
    )
    (tmp_path / "temp").write_text("48312\n")

    t = sample(tmp_path, proc=tmp_path, thermal_zone=tmp_path / "temp")

    assert t.uptime_s == 12345.67 and (t.load_1m, t.load_5m, t.load_15m) == (0.52, 0.40, 0.31)
    assert (t.mem_total_bytes, t.mem_available_bytes) == (3884844 * 1024, 2000000 * 1024)
    assert t.cpu_temp_c == pytest.approx(48.312)
    assert t.disk_total_bytes and t.disk_free_bytes is not None


def test_missing_sources_are_none_not_errors(tmp_path: Path) -> None:
    """GIVEN no /proc files, no thermal zone, a data dir that does not exist
    THEN every reading is None and the payload is still valid."""
    missing = tmp_path / "nothing"
    (tmp_path / "meminfo").write_text("garbage\n")

    t = sample(tmp_path, proc=missing, thermal_zone=missing, data_dir=missing)
    assert (t.uptime_s, t.load_1m, t.mem_total_bytes, t.disk_free_bytes, t.cpu_temp_c) == (
        (None,) * 5
    )
    assert telemetry.memory_bytes(tmp_path) is None


def test_the_connection_counter_goes_up_and_survives_a_restart(tmp_path: Path) -> None:
    """GIVEN a fresh data dir WHEN the kiosk connects three times (restarting between)
    THEN the counters are 1, 2, 3, and a garbled file jumps ahead rather than back."""
    assert [telemetry.next_connection_counter(tmp_path) for _ in range(3)] == [1, 2, 3]
    assert (tmp_path / telemetry.COUNTER_FILE).read_text() == "3\n"
    assert not (tmp_path / f"{telemetry.COUNTER_FILE}.tmp").exists()

    (tmp_path / telemetry.COUNTER_FILE).write_text("\x00\x00garbage")
    assert telemetry.next_connection_counter(tmp_path) > 1_000_000_000


def test_the_config_digest_changes_with_the_config() -> None:
    a = telemetry.config_digest({"kiosk": {"thank_you_s": 5.0}})
    assert a == telemetry.config_digest({"kiosk": {"thank_you_s": 5.0}})
    assert a != telemetry.config_digest({"kiosk": {"thank_you_s": 4.0}}) and len(a) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"outbox_depth": -1},
        {"outbox_depth": True},
        {"devices": {"printer": 3}},
        {"load_1m": "high"},
        {"kiosk_id": "a/b"},
        {"kiosk_id": None},
    ],
)
def test_a_malformed_telemetry_is_a_wire_error(tmp_path: Path, change: dict[str, object]) -> None:
    good = json.loads(sample(tmp_path).to_json())
    with pytest.raises(wire.WireError):
        wire.parse_telemetry(json.dumps(good | change).encode())
    missing = {k: v for k, v in good.items() if k != "signal"}
    with pytest.raises(wire.WireError):
        wire.parse_telemetry(json.dumps(missing).encode())


def test_a_nan_in_telemetry_is_a_wire_error(tmp_path: Path) -> None:
    text = sample(tmp_path, proc=tmp_path / "none").to_json()
    text = text.replace(b'"load_1m":null', b'"load_1m":NaN')
    assert b"NaN" in text
    with pytest.raises(wire.WireError):
        wire.parse_telemetry(text)

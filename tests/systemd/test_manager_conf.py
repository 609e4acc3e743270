"""The manager's drop-ins: systemd feeds the Pi's hardware watchdog within what the chip can
count, and timesyncd has servers and saves the clock often enough."""

from __future__ import annotations

from tests.systemd.unitfiles import SYSTEMD_DIR, parse, seconds, value

WATCHDOG = SYSTEMD_DIR / "system.conf.d" / "kiosk-watchdog.conf"
TIMESYNCD = SYSTEMD_DIR / "timesyncd.conf.d" / "kiosk.conf"
BCM2835_MAX_S = 15  # Linux drivers/watchdog/bcm2835_wdt.c: max_timeout from PM_WDOG_TIME_SET


def test_runtime_watchdog_is_on_and_within_the_pis_15_s() -> None:
    """A value over 15 s is refused by the bcm2835 driver: the watchdog would stay off."""
    conf = parse(WATCHDOG)
    assert set(conf) == {"Manager"}
    assert 0 < seconds(value(conf, "Manager", "RuntimeWatchdogSec")) <= BCM2835_MAX_S


def test_a_hung_reboot_is_forced() -> None:
    conf = parse(WATCHDOG)
    assert 30 <= seconds(value(conf, "Manager", "RebootWatchdogSec")) <= 600
    assert set(conf["Manager"]) == {"RuntimeWatchdogSec", "RebootWatchdogSec"}


def test_timesyncd_keys_are_ones_it_reads_and_servers_are_set() -> None:
    """timesyncd.conf(5) [Time] keys only (an unknown key is only a warning in the journal)."""
    conf = parse(TIMESYNCD)
    known = {
        "NTP",
        "FallbackNTP",
        "RootDistanceMaxSec",
        "PollIntervalMinSec",
        "PollIntervalMaxSec",
        "ConnectionRetrySec",
        "SaveIntervalSec",
    }
    assert set(conf) == {"Time"} and set(conf["Time"]) <= known
    assert len(value(conf, "Time", "FallbackNTP").split()) >= 2
    assert 0 < seconds(value(conf, "Time", "SaveIntervalSec")) <= 300


def test_the_kiosk_starts_after_the_clock_is_set_from_its_saved_value() -> None:
    """time-set.target: timesyncd has moved the clock to the saved (or build) time, so the
    kiosk never stamps a sale before the image was built."""
    unit = parse(SYSTEMD_DIR / "kiosk.service")
    after = " ".join(unit["Unit"]["After"]).split()
    assert "time-set.target" in after

"""What every booted image must show, shared by the amd64 and arm64 boot tests.

Each function is a pytest test taking the module's `booted` fixture (a tests.image.vm.Boot).
"""

from __future__ import annotations

import json

from tests.image.vm import Boot

__all__ = [
    "test_a_sale_scanned_on_a_uinput_keyboard_is_paid_and_stored",
    "test_data_partition_is_writable_grown_and_holds_the_store",
    "test_gpiozero_loads_the_lgpio_pin_factory",
    "test_kiosk_doctor_runs",
    "test_kiosk_service_reaches_ready",
    "test_no_password_no_ssh_and_the_kiosk_user_groups",
    "test_no_unit_failed",
    "test_root_is_mounted_read_only",
    "test_the_guest_ran_its_checks_and_powered_off",
]


def _why(booted: Boot) -> str:
    tail = "\n".join(booted.console.splitlines()[-40:])
    return (
        f"report: {json.dumps(booted.report, indent=1)}\nkiosk log:\n"
        + "\n".join(booted.log_lines)
        + f"\nconsole tail:\n{tail}"
    )


def test_the_guest_ran_its_checks_and_powered_off(booted: Boot) -> None:
    """GIVEN the built image WHEN qemu boots it THEN the guest's checks run to the end and
    the machine powers itself off (no hang, no kernel panic)."""
    assert "done" in booted.report, _why(booted)
    assert booted.returncode == 0, _why(booted)


def test_kiosk_service_reaches_ready(booted: Boot) -> None:
    """THEN kiosk.service (Type=notify, as user kiosk) is active: it sent READY=1."""
    assert booted.report.get("kiosk_state") == "active", _why(booted)
    assert booted.report.get("kiosk_type", "").startswith("notify user=kiosk"), _why(booted)
    assert float(booted.report["kiosk_ready_s"]) > 0, _why(booted)


def test_root_is_mounted_read_only(booted: Boot) -> None:
    """THEN / is mounted ro and even root cannot write to it."""
    assert "ro" in booted.report.get("root_options", "").split(","), _why(booted)
    assert booted.report.get("root_writable") == "no", _why(booted)
    assert booted.report.get("boot_options", "").startswith("ro"), _why(booted)


def test_data_partition_is_writable_grown_and_holds_the_store(booted: Boot) -> None:
    """THEN /var/lib/kiosk is the rw data partition, the kiosk user can write there, the
    first boot grew it into the space behind it, and the store file is on it."""
    assert "rw" in booted.report.get("data_options", "").split(","), _why(booted)
    assert booted.report.get("data_writable") == "yes", _why(booted)
    assert booted.report.get("store_exists") == "yes", _why(booted)
    before, after = (int(n) for n in booted.report["data_grown"].split(","))
    assert after - before >= 500 * 2**20, _why(booted)
    assert booted.report.get("provision") == "success", _why(booted)
    assert booted.report.get("timesync_dir", "").endswith("[/.system/timesync]"), _why(booted)


def test_a_sale_scanned_on_a_uinput_keyboard_is_paid_and_stored(booted: Boot) -> None:
    """WHEN a uinput keyboard named like a scanner types an EAN-13 and Enter, and Pay is
    touched THEN the real evdev adapter read the scan, the simulated card terminal paid,
    and the store holds one sale."""
    assert booted.report.get("catalog_import_rc") == "0", _why(booted)
    assert booted.report.get("scanner", "").startswith("1 "), _why(booted)
    assert '"items":1' in booted.report.get("after_scan", ""), _why(booted)
    assert booted.report.get("sales") == "1", _why(booted)


def test_kiosk_doctor_runs(booted: Boot) -> None:
    """THEN `kiosk doctor --json` runs on the lane and prints its checks as JSON."""
    assert booted.report.get("doctor_rc") in ("0", "1"), _why(booted)
    assert booted.report.get("doctor", "").startswith("ok="), _why(booted)


def test_gpiozero_loads_the_lgpio_pin_factory(booted: Boot) -> None:
    """THEN gpiozero's lgpio pin factory imports (Debian's kernel has no /dev/gpiomem)."""
    assert booted.report.get("lgpio_import") == "ok", _why(booted)
    assert "LG_WD=/tmp" in booted.report.get("kiosk_env", ""), _why(booted)


def test_no_password_no_ssh_and_the_kiosk_user_groups(booted: Boot) -> None:
    """THEN root has no password (locked), SSH is off without the technician's file, and
    the kiosk user is in exactly its device groups."""
    assert booted.report.get("root_password") in ("*", "!"), _why(booted)
    assert booted.report.get("ssh") in ("inactive", "unknown"), _why(booted)
    groups = set(booted.report.get("kiosk_groups", "").split(","))
    assert groups == {"kiosk", "input", "gpio", "dialout", "lp", "video", "render"}, _why(booted)


def test_no_unit_failed(booted: Boot) -> None:
    """THEN no systemd unit failed on the read-only root, and the kiosk never restarted."""
    assert booted.report.get("failed_units", "x") == "", _why(booted)
    assert booted.report.get("kiosk_restarts") == "0", _why(booted)

"""`kiosk doctor` against real peers: a network printer peer, a real mosquitto, a closed port,
a missing input device, a damaged SQLite file; and the command itself as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from appliance import config as config_mod
from appliance import doctor
from appliance.doctor import FAULT, OK, WARN, Check, examine
from appliance.doctor_probes import HostSources
from appliance.shell import store_health
from tests.support.broker import Broker, free_port
from tests.support.printer_peer import PrinterPeer

REPO = Path(__file__).resolve().parents[2]
NETWORK_PRINTER = config_mod.DevicesSection().printer  # the default: the real adapter
SYNCED = HostSources(kernel_clock_synced=lambda: True)
NO_SUCH_SCANNER = "/dev/input/by-id/usb-No_Such_Scanner-event-kbd"


def kiosk_doctor(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", "doctor", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def config(tmp_path: Path, **sections: dict[str, Any]) -> config_mod.Config:
    """Twins for whatever a test does not name; broker off unless it is named."""
    settings: dict[str, dict[str, Any]] = {
        "kiosk": {"data_dir": str(tmp_path / "data")},
        "devices": {"scanner": "sim", "printer": "sim", "gpio": "sim"},
        "broker": {"enabled": False},
    }
    for name, values in sections.items():
        settings[name] = {**settings.get(name, {}), **values}
    return config_mod.merge(config_mod.Config(), settings, "test")


def check(checks: list[Check], name: str) -> Check:
    return next(c for c in checks if c.name == name)


def real_printer(tmp_path: Path, peer: PrinterPeer) -> config_mod.Config:
    """The real network printer adapter, at the peer."""
    at = {"host": peer.host, "port": peer.port, "timeout_s": 2.0}
    return config(tmp_path, devices={"printer": NETWORK_PRINTER}, printer=at)


def test_the_command_on_twins_exits_0_with_json_listing_every_device(tmp_path: Path) -> None:
    """GIVEN no kiosk config on this machine WHEN `kiosk doctor --sim --json` runs with its
    store in a fresh directory THEN it exits 0 and prints one JSON document with a check
    for every configured device and service, each OK or (the host's clock) a warning."""
    done = kiosk_doctor("--sim", "--json", "--data-dir", tmp_path / "data")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    names = [c["name"] for c in report["checks"]]
    assert names[:6] == [
        "scanner",
        "printer",
        "drawer",
        "key switch",
        "help button",
        "card terminal",
    ]
    assert {"broker", "disk space", "store", "clock"} <= set(names)
    for item in report["checks"]:
        assert item["status"] in ((OK, WARN) if item["name"] == "clock" else (OK,)), item
        assert set(item) == {"status", "name", "ok", "needed_for_selling", "state", "reason"}
    assert not (tmp_path / "data" / store_health.STORE_FILE).exists()  # only looked


def test_no_broker_on_a_closed_port_warns_and_still_exits_0(tmp_path: Path) -> None:
    port = free_port()  # bound and released: nothing listens there
    done = kiosk_doctor("--sim", "--broker", f"127.0.0.1:{port}", "--data-dir", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["broker"])
    assert line.startswith("WARN ") and f"cannot connect to 127.0.0.1:{port}" in line
    assert done.stdout.splitlines()[-1] == "ready to sell"


def test_a_real_broker_answers(tmp_path: Path, broker: Broker) -> None:
    cfg = config(tmp_path, broker={"enabled": True, "host": broker.host, "port": broker.port})
    found = check(examine(cfg, host=SYNCED), "broker")
    assert (found.status, found.state) == (OK, f"connected (127.0.0.1:{broker.port})")
    assert "doctor" in broker.log_tail()  # under its own client id, not the kiosk's


def test_a_printer_out_of_paper_is_a_fault_and_the_command_exits_1(tmp_path: Path) -> None:
    with PrinterPeer(paper="out") as peer:
        toml = tmp_path / "kiosk.toml"
        toml.write_text(
            f'[devices]\nprinter = "{NETWORK_PRINTER}"\nscanner = "sim"\ngpio = "sim"\n'
            f'[printer]\nhost = "{peer.host}"\nport = {peer.port}\ntimeout_s = 2.0\n'
        )
        done = kiosk_doctor("--config", toml, "--data-dir", tmp_path / "data", "--json")
    report = json.loads(done.stdout)
    printer = next(c for c in report["checks"] if c["name"] == "printer")
    assert printer["status"] == FAULT, printer
    assert printer["reason"] == "paper out: load a new roll"
    assert done.returncode == 1 and report["ok"] is False
    assert [c["name"] for c in report["checks"] if c["status"] == FAULT] == ["printer"]


def test_a_healthy_network_printer_is_ok(tmp_path: Path) -> None:
    with PrinterPeer() as peer:
        found = check(examine(real_printer(tmp_path, peer), host=SYNCED), "printer")
    assert (found.status, found.state) == (OK, f"online, paper ok ({peer.host}:{peer.port})")


def test_a_printer_that_never_answers_a_status_query_is_a_fault(tmp_path: Path) -> None:
    """An empty answer is never read as "fine"."""
    with PrinterPeer(silent=True) as peer:
        found = check(examine(real_printer(tmp_path, peer), host=SYNCED), "printer")
    assert found.status == FAULT and found.reason.startswith("no status answer")


def test_a_missing_scanner_device_is_a_fault_naming_the_path(tmp_path: Path) -> None:
    cfg = config(tmp_path, devices={"scanner": "evdev"}, scanner={"device": NO_SUCH_SCANNER})
    checks = examine(cfg, host=SYNCED)
    found = check(checks, "scanner")
    assert found.status == FAULT
    assert found.reason.startswith(f"not found at {NO_SUCH_SCANNER}")
    assert not doctor.ready_to_sell(checks)


def test_a_damaged_store_is_a_fault(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / store_health.STORE_FILE).write_text("Not a database: the wrong file copied.\n" * 40)
    done = kiosk_doctor("--sim", "--data-dir", data)
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["store"])
    assert line.startswith("FAULT") and "kiosk store check" in line
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "NOT ready to sell: store"

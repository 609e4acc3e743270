"""Boot a built kiosk image under qemu (software emulation) and read its CI-REPORT lines.

The boot is of a copy of the built disk, changed only as a technician or the test needs:
the boot partition gets the test's kiosk.toml and the guest scripts (tests/image/guest,
with mtools), the root file system one drop-in for kiosk.service (debugfs: the display is
SDL's dummy driver and the screen's buttons can be touched through a FIFO), and the disk
grows by GROW_MIB so that the first-boot growth of the data partition is seen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "image-build" / "out"
GUEST = Path(__file__).parent / "guest"
GROW_MIB = 512
MIB = 1024 * 1024

TEST_CONFIG = """\
# the image boot test's lane: the real evdev scanner (a uinput keyboard in the guest),
# the simulated printer, GPIO, speaker and card terminal, no broker
[kiosk]
id = "ci-lane-01"
store_name = "CI Store"
currency = "PLN"
locale = "pl_PL"
[devices]
scanner = "evdev"
printer = "sim"
gpio = "sim"
speaker = "sim"
[scanner]
device = "05e0:1200"
[broker]
enabled = false
"""

DROP_IN = """\
# image boot test only (tests/image/vm.py): no display in qemu, and a FIFO for touches
[Service]
Environment=SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
RuntimeDirectory=kiosk-ci
ExecStart=
ExecStart=/opt/kiosk/venv/bin/python /boot/firmware/ci/kiosk_under_test.py
"""

CI_UNIT = """\
# image boot test only (tests/image/vm.py): the guest's checks, then power off
[Unit]
Description=kiosk image boot test checks
After=basic.target

[Service]
Type=oneshot
ExecStart=/bin/sh /boot/firmware/ci/run.sh
ExecStopPost=/bin/systemctl --no-block poweroff
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity
"""

MACHINES = {
    "amd64": {
        # max: the manylinux_2_34 wheels (lgpio, cryptography) want x86-64-v2 (SSE4.2,
        # POPCNT), which qemu's default qemu64 model lacks: SIGILL on import
        "qemu": ["qemu-system-x86_64", "-machine", "q35", "-cpu", "max"],
        "console": "ttyS0",
    },
    "arm64": {
        "qemu": ["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a72"],
        "console": "ttyAMA0",
    },
}


@dataclass
class Boot:
    arch: str
    report: dict[str, str] = field(default_factory=dict)
    log_lines: list[str] = field(default_factory=list)
    console: str = ""
    wall_s: float = 0.0
    returncode: int | None = None
    build: dict[str, object] = field(default_factory=dict)


def built(arch: str) -> tuple[Path, dict[str, object]]:
    folder = OUT / arch
    figures = sorted(folder.glob("kiosk-*.build.json"))
    if not figures:
        raise FileNotFoundError(f"no built image in {folder}: make image-test builds it first")
    build = json.loads(figures[-1].read_text())
    return folder, build


def _partitions(image: Path) -> list[dict[str, int]]:
    table = json.loads(
        subprocess.run(
            ["sfdisk", "--json", str(image)], capture_output=True, text=True, check=True
        ).stdout
    )
    return table["partitiontable"]["partitions"]  # type: ignore[no-any-return]


def prepare(arch: str, work: Path) -> tuple[Path, Path, dict[str, object]]:
    folder, build = built(arch)
    image = work / "disk.img"
    subprocess.run(
        ["cp", "--sparse=always", str(folder / str(build["image"])), str(image)], check=True
    )
    parts = _partitions(image)
    boot_at = parts[0]["start"] * 512
    root_at = parts[1]["start"] * 512
    fat = f"{image}@@{boot_at}"
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    (work / "kiosk.toml").write_text(TEST_CONFIG)
    subprocess.run(["mmd", "-i", fat, "::/ci"], check=True, env=env)
    subprocess.run(
        ["mcopy", "-o", "-i", fat, str(work / "kiosk.toml"), "::/kiosk.toml"], check=True, env=env
    )
    for script in sorted(GUEST.iterdir()):
        if script.suffix in (".sh", ".py"):
            subprocess.run(
                ["mcopy", "-o", "-i", fat, str(script), f"::/ci/{script.name}"], check=True, env=env
            )
    drop_in = work / "50-ci.conf"
    drop_in.write_text(DROP_IN)
    ci_unit = work / "kiosk-ci.service"
    ci_unit.write_text(CI_UNIT)
    commands = work / "debugfs.cmd"
    commands.write_text(
        "mkdir /etc/systemd/system/kiosk.service.d\n"
        "cd /etc/systemd/system/kiosk.service.d\n"
        f"write {drop_in} 50-ci.conf\n"
        "sif 50-ci.conf mode 0100644\n"
        "cd /etc/systemd/system\n"
        f"write {ci_unit} kiosk-ci.service\n"
        "sif kiosk-ci.service mode 0100644\n"
        "cd /etc/systemd/system/multi-user.target.wants\n"
        "symlink kiosk-ci.service /etc/systemd/system/kiosk-ci.service\n"
    )
    subprocess.run(
        ["debugfs", "-w", "-f", str(commands), f"{image}?offset={root_at}"],
        check=True,
        capture_output=True,
    )
    with open(image, "r+b") as f:
        f.truncate(image.stat().st_size + GROW_MIB * MIB)
    return image, folder, build


def boot(arch: str, work: Path, timeout_s: float = 600) -> Boot:
    image, folder, build = prepare(arch, work)
    machine = MACHINES[arch]
    report_file = work / "report.txt"
    console_file = work / "console.log"
    append = f"root=LABEL=KIOSKROOT ro console={machine['console']} panic=-1 systemd.show_status=1"
    cmd = [
        *machine["qemu"],  # type: ignore[misc]
        "-accel",
        "tcg,thread=multi",
        "-smp",
        "2",
        "-m",
        "1536",
        "-display",
        "none",
        "-monitor",
        "none",
        "-no-reboot",
        "-nic",
        "none",
        "-kernel",
        str(folder / "vmlinuz"),
        "-initrd",
        str(folder / "initrd.img"),
        "-append",
        append,
        "-drive",
        f"file={image},format=raw,if=virtio",
        "-device",
        "virtio-serial-pci",
        "-chardev",
        f"file,id=ci,path={report_file}",
        "-device",
        "virtserialport,chardev=ci,name=ci",
        "-serial",
        f"file:{console_file}",
    ]
    started = time.monotonic()
    result = Boot(arch, build=build)
    qemu_log = work / "qemu.log"
    with (
        open(qemu_log, "w") as sink,
        subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT) as qemu,
    ):
        why = ""
        while qemu.poll() is None:
            console = console_file.read_bytes() if console_file.exists() else b""
            if time.monotonic() - started > timeout_s:
                why = f"killed after {timeout_s:.0f} s"
            elif b"You are in emergency mode" in console or b"Kernel panic" in console:
                why = "killed: the guest fell into emergency mode or panicked"
            if why:
                time.sleep(2)  # the lines after it
                qemu.kill()
                break
            time.sleep(1)
        qemu.wait()
        result.returncode = qemu.returncode
    out = qemu_log.read_text(errors="replace") + (f"\n({why})" if why else "")
    result.wall_s = time.monotonic() - started
    result.console = console_file.read_text(errors="replace") if console_file.exists() else ""
    result.console += "\n" + out
    text = report_file.read_text(errors="replace") if report_file.exists() else ""
    for line in text.splitlines():
        if m := re.match(r"CI-REPORT (\w+)=?(.*)", line):
            result.report[m[1]] = m[2]
        elif line.startswith("CI-LOG "):
            result.log_lines.append(line[7:])
    shutil.copy(console_file, folder / "last-boot-console.log") if console_file.exists() else None
    if report_file.exists():
        shutil.copy(report_file, folder / "last-boot-report.txt")
    return result


def write_figures(result: Boot) -> None:
    """The figures docs/benchmarks.md shows (bench/image.py reads this file)."""
    folder = OUT / result.arch
    ready = result.report.get("kiosk_ready_s", "")
    figures = {
        "arch": result.arch,
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "build": result.build,
        "boot_wall_s": round(result.wall_s, 1),
        "boot_to_ready_s": float(ready) if re.fullmatch(r"[0-9.]+", ready) else None,
        "report": result.report,
    }
    (folder / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")

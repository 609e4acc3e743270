"""Provision a kiosk from its boot partition: grow the data partition, SSH, Wi-Fi, certs.

Run by kiosk-provision.service at every start, as root, before the kiosk. The root file
system is read-only: everything it writes goes to the data partition
(/var/lib/kiosk/.system) or to /run. Every action is one line in the journal and in
/var/lib/kiosk/.system/provision.log. It never sets a password.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

BOOT = Path("/boot/firmware")
DATA = Path("/var/lib/kiosk")
SYSTEM = DATA / ".system"
LOG = SYSTEM / "provision.log"
GROWN = SYSTEM / "data-grown"
RUN_SSH = Path("/run/kiosk-ssh")


def say(message: str) -> None:
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {message}"
    print(f"kiosk-provision: {message}", flush=True)
    try:
        with LOG.open("a") as f:
            f.write(line + "\n")
    except OSError as exc:
        print(f"kiosk-provision: cannot write {LOG}: {exc}", flush=True)


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def grow_data() -> None:
    """First start: the data partition (the card's last) takes the rest of the card."""
    if GROWN.exists():
        return
    source = sh("findmnt", "-no", "SOURCE", str(DATA))
    part = Path(source).resolve().name
    disk = "/dev/" + sh("lsblk", "-no", "PKNAME", f"/dev/{part}")
    number = Path(f"/sys/class/block/{part}/partition").read_text().strip()
    before = int(Path(f"/sys/class/block/{part}/size").read_text()) * 512
    subprocess.run(
        ["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "-N", number, disk],
        input=", +\n",
        text=True,
        check=True,
        capture_output=True,
    )
    sh("partx", "-u", "--nr", number, disk)
    sh("resize2fs", f"/dev/{part}")
    after = int(Path(f"/sys/class/block/{part}/size").read_text()) * 512
    GROWN.write_text(f"{before} {after}\n")
    say(f"data partition /dev/{part} grown from {before // 2**20} MiB to {after // 2**20} MiB")


def read_settings() -> dict:
    path = BOOT / "provision.toml"
    if not path.exists():
        say(f"{path}: not there; nothing to provision")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        say(f"{path}: not valid TOML, ignored: {exc}")
        return {}


def hostname() -> None:
    try:
        kiosk = tomllib.loads((BOOT / "kiosk.toml").read_text(encoding="utf-8")).get("kiosk", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return
    kiosk_id = str(kiosk.get("id", ""))
    if kiosk_id and all(c.isalnum() or c in "-_" for c in kiosk_id):
        name = kiosk_id.replace("_", "-")[:63]
        Path("/proc/sys/kernel/hostname").write_text(name)
        say(f"host name {name} (kiosk id from kiosk.toml)")


def ssh(settings: dict) -> None:
    enable = settings.get("enable", False) is True
    keys = [k for k in settings.get("authorized_keys", []) if isinstance(k, str) and k.strip()]
    if not enable:
        say("SSH off (provision.toml does not ask for it)")
        return
    if not keys:
        say("SSH asked for but no authorized_keys given: SSH stays off (no passwords)")
        return
    folder = SYSTEM / "ssh"
    folder.mkdir(mode=0o700, exist_ok=True)
    key = folder / "ssh_host_ed25519_key"
    if not key.exists():
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(key))
        say("SSH host key made (kept on the data partition)")
    RUN_SSH.mkdir(mode=0o755, exist_ok=True)
    auth = RUN_SSH / "authorized_keys"
    auth.write_text("\n".join(keys) + "\n")
    auth.chmod(0o600)
    subprocess.run(["systemctl", "--no-block", "start", "ssh.service"], check=True)
    say(f"SSH on: root with {len(keys)} key(s), no passwords")


def wifi(settings: dict) -> None:
    ssid, psk = settings.get("ssid", ""), settings.get("psk", "")
    if not ssid:
        return
    if not Path("/sys/class/net/wlan0").exists():
        say("Wi-Fi asked for but this machine has no wlan0")
        return
    folder = SYSTEM / "wifi"
    folder.mkdir(mode=0o700, exist_ok=True)
    conf = folder / "wpa_supplicant-wlan0.conf"
    quoted = lambda s: '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
    conf.write_text(
        "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\n"
        f"country={settings.get('country', '00')}\n"
        f"network={{\n  ssid={quoted(ssid)}\n  psk={quoted(psk)}\n}}\n"
    )
    conf.chmod(0o600)
    subprocess.run(["systemctl", "--no-block", "start", "kiosk-wifi.service"], check=False)
    say(f"Wi-Fi: network {ssid!r} configured on wlan0")


def certificates() -> None:
    source = BOOT / "kiosk-certs"
    if not source.is_dir():
        return
    dest = SYSTEM / "certs"
    dest.mkdir(exist_ok=True)
    gid = int(sh("getent", "group", "kiosk").split(":")[2])
    copied = []
    for cert in sorted(source.iterdir()):
        if cert.is_file() and cert.suffix in (".crt", ".pem", ".key"):
            target = dest / cert.name
            shutil.copyfile(cert, target)
            os.chown(target, 0, gid)
            target.chmod(0o640)
            copied.append(cert.name)
    if copied:
        say(f"certificates copied to {dest}: {', '.join(copied)}")


def main() -> int:
    SYSTEM.mkdir(exist_ok=True)
    try:
        grow_data()
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        say(f"data partition not grown: {exc} {detail.strip()}")
    settings = read_settings()
    hostname()
    for part, fn in (("ssh", ssh), ("wifi", wifi)):
        section = settings.get(part, {})
        try:
            fn(section if isinstance(section, dict) else {})
        except (subprocess.CalledProcessError, OSError) as exc:
            say(f"{part}: failed: {exc}")
    try:
        certificates()
    except (subprocess.CalledProcessError, OSError) as exc:
        say(f"certificates: failed: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

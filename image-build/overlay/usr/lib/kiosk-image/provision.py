"""Provision a kiosk from its boot partition: grow the data partition, SSH, Wi-Fi, certs.

Run by kiosk-provision.service at every start, as root, before the kiosk. The root file
system is read-only: everything it writes goes to the data partition
(/var/lib/kiosk/.system) or to /run. Every action is one line in the journal and in
/var/lib/kiosk/.system/provision.log. It never sets a password.

Python 3.11 standard library only (the image's system python3, not the kiosk's venv). The
paths below are module globals and systemctl goes through start_unit() so that
tests/image_build/test_provision.py can run it without root.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

BOOT = Path("/boot/firmware")
DATA = Path("/var/lib/kiosk")
SYSTEM = DATA / ".system"
LOG = SYSTEM / "provision.log"
GROWN = SYSTEM / "data-grown"
RUN_SSH = Path("/run/kiosk-ssh")
NET = Path("/sys/class/net")
HOSTNAME = Path("/proc/sys/kernel/hostname")

WIFI_KEYS = ("country", "open", "psk", "ssid")
# What OpenSSH 9.2 (bookworm) accepts in authorized_keys; ssh-dss is off by default there.
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


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


def start_unit(unit: str, *, check: bool = True) -> None:
    """Ask systemd to start a unit without waiting: provision runs before the kiosk."""
    subprocess.run(["systemctl", "--no-block", "start", unit], check=check)


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


def read_settings() -> dict[str, Any]:
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
        HOSTNAME.write_text(name)
        say(f"host name {name} (kiosk id from kiosk.toml)")


def ssh_key_problem(entry: object) -> str | None:
    """Why an authorized_keys entry is refused, or None: one line, `type base64 [comment]`.

    No options (from=, command=): a technician's key is a plain key. The base64 blob names
    its own type, which catches a truncated or mismatched paste."""
    if not isinstance(entry, str):
        return f"not text ({type(entry).__name__})"
    if any(unicodedata.category(c) == "Cc" for c in entry.strip()):
        return "not a single line (has a line break or control character)"
    fields = entry.split(maxsplit=2)
    if not fields or fields[0] not in SSH_KEY_TYPES:
        return f"does not start with a key type ({', '.join(SSH_KEY_TYPES)})"
    if len(fields) < 2:
        return "key type without the key"
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        return "the key is not base64"
    size = int.from_bytes(blob[:4], "big")
    if blob[4 : 4 + size] != fields[0].encode("ascii"):
        return f"the key is not a {fields[0]} key (truncated or mixed up?)"
    return None


def ssh(settings: dict[str, Any]) -> None:
    enable = settings.get("enable", False)
    given = settings.get("authorized_keys", [])
    if enable is not True:
        if enable is not False:
            say(f"[ssh] enable must be true or false, not {enable!r}: SSH stays off")
        else:
            say("SSH off (provision.toml does not ask for it)")
        return
    if not isinstance(given, list):
        say("[ssh] authorized_keys must be a list of keys in [ ]: SSH stays off")
        return
    keys = []
    for number, entry in enumerate(given, start=1):
        if isinstance(entry, str) and not entry.strip():
            continue
        problem = ssh_key_problem(entry)
        if problem is None:
            keys.append(entry.strip())
        else:
            say(f"[ssh] authorized_keys entry {number} ignored: {problem}")
    if not keys:
        if any(isinstance(k, str) and k.strip() for k in given):
            say("SSH asked for but no authorized_keys entry is usable: SSH stays off")
        else:
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
    start_unit("ssh.service")
    say(f"SSH on: root with {len(keys)} key(s), no passwords")


class WifiRefused(ValueError):
    """A [wifi] value that must not reach wpa_supplicant; says which field and why."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")


def wifi_network(settings: dict[str, Any]) -> tuple[bytes, str | None, str | None]:
    """The technician's [wifi] as (ssid bytes, psk as 64 hex digits or None when open,
    country or None), or WifiRefused.

    wpa_supplicant's file has no escaping that is safe for every byte, so nothing from the
    technician reaches it as text: the SSID is written as hex, the key as hex, the country
    only as two letters."""
    unknown = sorted(set(settings) - set(WIFI_KEYS))
    if unknown:
        raise WifiRefused(unknown[0], f"unknown key (known: {', '.join(WIFI_KEYS)})")
    ssid = settings["ssid"]
    if not isinstance(ssid, str):
        raise WifiRefused("ssid", "must be text in quotes")
    control = [c for c in ssid if unicodedata.category(c) in ("Cc", "Cs")]
    if control:
        raise WifiRefused("ssid", f"has a control character (U+{ord(control[0]):04X})")
    name = ssid.encode("utf-8")
    if not 1 <= len(name) <= 32:
        raise WifiRefused("ssid", f"must be 1 to 32 bytes in UTF-8, is {len(name)}")
    country = settings.get("country")
    if country is not None:
        letters = isinstance(country, str) and country.isascii() and country.isalpha()
        if not (letters and len(country) == 2):
            raise WifiRefused("country", f"must be a two-letter code like GB, not {country!r}")
        country = country.upper()
    is_open = settings.get("open", False)
    if not isinstance(is_open, bool):
        raise WifiRefused("open", f"must be true or false, not {is_open!r}")
    psk = settings.get("psk")
    if is_open:
        if psk is not None:
            raise WifiRefused("psk", "given with open = true: choose one")
        return name, None, country
    if psk is None:
        raise WifiRefused("psk", "missing (for a network without a password say open = true)")
    return name, wpa_key(psk, name), country


def wpa_key(psk: object, ssid: bytes) -> str:
    """The 256-bit key as 64 hex digits: a raw key as given, a passphrase through
    PBKDF2-HMAC-SHA1(passphrase, ssid, 4096), as wpa_passphrase(8) writes it (IEEE 802.11i
    H.4), so the passphrase itself is never stored on the data partition."""
    if not isinstance(psk, str):
        raise WifiRefused("psk", "must be text in quotes")
    if len(psk) == 64:
        if not all(c in "0123456789abcdefABCDEF" for c in psk):
            raise WifiRefused("psk", "64 characters but not all hex digits (a raw key)")
        return psk.lower()
    if not 8 <= len(psk) <= 63:
        raise WifiRefused("psk", f"must be 8 to 63 characters (a password), is {len(psk)}")
    if not all(" " <= c <= "~" for c in psk):
        raise WifiRefused("psk", "only printable ASCII characters (no accents, no tabs)")
    return hashlib.pbkdf2_hmac("sha1", psk.encode("ascii"), ssid, 4096, 32).hex()


def write_atomically(path: Path, text: str) -> None:
    """Replace path with text so a power cut leaves the old file or the new, never half:
    a temporary file beside it, 0600 from creation (mkstemp), fsync, rename, fsync folder."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def wifi(settings: dict[str, Any]) -> None:
    if not settings.get("ssid"):
        return
    try:
        ssid, key, country = wifi_network(settings)
    except WifiRefused as exc:
        say(f"Wi-Fi not configured: [wifi] {exc}; nothing written, any earlier Wi-Fi kept")
        return
    if not (NET / "wlan0").exists():
        say("Wi-Fi asked for but this machine has no wlan0")
        return
    lines = ["ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev"]
    if country is not None:
        lines.append(f"country={country}")
    lines += ["network={", f"  ssid={ssid.hex()}"]
    lines += ["  key_mgmt=NONE"] if key is None else ["  key_mgmt=WPA-PSK", f"  psk={key}"]
    lines.append("}")
    folder = SYSTEM / "wifi"
    folder.mkdir(mode=0o700, exist_ok=True)
    conf = folder / "wpa_supplicant-wlan0.conf"
    text = "\n".join(lines) + "\n"
    # Same network as last start: leave the card alone (every boot would rewrite it).
    if not (conf.exists() and conf.read_text(encoding="utf-8", errors="replace") == text):
        write_atomically(conf, text)
    start_unit("kiosk-wifi.service", check=False)
    how = "open network, no password" if key is None else "WPA-PSK, key stored, not the password"
    where = f"country {country}" if country else "no country: world radio rules"
    say(f"Wi-Fi: network {ssid.decode('utf-8')!r} configured on wlan0 ({how}, {where})")


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

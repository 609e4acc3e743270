"""image-build's provision.py (run as root at every boot of the SD-card image) turns the
technician's provision.toml into Wi-Fi and SSH, and never lets a value of theirs add a line
to wpa_supplicant's file; here it runs without root, its paths pointed into a temp folder."""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
# The IEEE 802.11i H.4 test vector, as `wpa_passphrase IEEE password` prints it.
IEEE_PASSWORD_KEY = "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"


def load_provision() -> ModuleType:
    path = REPO / "image-build/overlay/usr/lib/kiosk-image/provision.py"
    spec = importlib.util.spec_from_file_location("kiosk_image_provision", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("kiosk_image_provision", module)
    spec.loader.exec_module(module)
    return module


provision = load_provision()


@dataclass
class Lane:
    """One kiosk's file systems under a temp folder, and the units provision asked for."""

    root: Path
    started: list[str] = field(default_factory=list)

    @property
    def conf(self) -> Path:
        return self.root / "data/.system/wifi/wpa_supplicant-wlan0.conf"

    @property
    def authorized_keys(self) -> Path:
        return self.root / "run/kiosk-ssh/authorized_keys"

    def log(self) -> str:
        log = self.root / "data/.system/provision.log"
        return log.read_text() if log.exists() else ""

    def files(self) -> dict[str, bytes]:
        return {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and p.name != "provision.log"
        }


def lane_at(mp: pytest.MonkeyPatch, root: Path, *, wlan0: bool = True) -> Lane:
    system = root / "data/.system"
    system.mkdir(parents=True)
    (root / "run").mkdir()
    (root / "sys/class/net/eth0").mkdir(parents=True)
    if wlan0:
        (root / "sys/class/net/wlan0").mkdir()
    lane = Lane(root)
    mp.setattr(provision, "BOOT", root / "boot")
    mp.setattr(provision, "DATA", root / "data")
    mp.setattr(provision, "SYSTEM", system)
    mp.setattr(provision, "LOG", system / "provision.log")
    mp.setattr(provision, "GROWN", system / "data-grown")
    mp.setattr(provision, "RUN_SSH", root / "run/kiosk-ssh")
    mp.setattr(provision, "NET", root / "sys/class/net")
    mp.setattr(provision, "HOSTNAME", root / "hostname")
    mp.setattr(provision, "start_unit", lambda unit, check=True: lane.started.append(unit))
    return lane


@pytest.fixture
def lane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lane:
    return lane_at(monkeypatch, tmp_path)


def earlier_wifi(lane: Lane) -> bytes:
    provision.wifi({"ssid": "back-office", "psk": "an earlier good one", "country": "FR"})
    lane.started.clear()
    return lane.conf.read_bytes()


def test_a_good_network_is_written_hashed_private_and_started(
    lane: Lane, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN [wifi] ssid "IEEE", psk "password", country "gb" WHEN provision runs THEN
    wpa_supplicant gets the SSID as hex and the key wpa_passphrase would print (never the
    password), country GB, in a 0600 file; kiosk-wifi starts; journal and log say so."""
    provision.wifi({"ssid": "IEEE", "psk": "password", "country": "gb"})

    assert lane.conf.read_text() == (
        "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\n"
        "country=GB\n"
        "network={\n"
        f"  ssid={b'IEEE'.hex()}\n"
        "  key_mgmt=WPA-PSK\n"
        f"  psk={IEEE_PASSWORD_KEY}\n"
        "}\n"
    )
    assert lane.conf.stat().st_mode & 0o777 == 0o600
    assert lane.conf.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in lane.conf.parent.iterdir()] == [lane.conf.name]
    assert lane.started == ["kiosk-wifi.service"]
    said = "Wi-Fi: network 'IEEE' configured on wlan0"
    assert said in lane.log()
    assert f"kiosk-provision: {said}" in capsys.readouterr().out


def test_a_raw_key_is_kept_and_a_missing_country_means_world_rules(lane: Lane) -> None:
    key = "0123456789ABCDEF" * 4
    provision.wifi({"ssid": "shop-tills", "psk": key})

    text = lane.conf.read_text()
    assert f"  psk={key.lower()}\n" in text
    assert "country=" not in text
    assert "no country: world radio rules" in lane.log()


def test_the_same_network_at_the_next_start_leaves_the_file_alone(lane: Lane) -> None:
    wifi = {"ssid": "shop-tills", "psk": "correct horse", "country": "GB"}
    provision.wifi(wifi)
    before = lane.conf.stat()

    provision.wifi(wifi)

    assert (lane.conf.stat().st_ino, lane.conf.stat().st_mtime_ns) == (
        before.st_ino,
        before.st_mtime_ns,
    )
    assert lane.started == ["kiosk-wifi.service", "kiosk-wifi.service"]


@pytest.mark.parametrize(
    ("wifi", "field"),
    [
        ({"ssid": "shop\nnetwork={", "psk": "correct horse"}, "ssid"),
        ({"ssid": "shop\x00", "psk": "correct horse"}, "ssid"),
        ({"ssid": "é" * 16 + "x", "psk": "correct horse"}, "ssid"),  # 33 bytes
        ({"ssid": 42, "psk": "correct horse"}, "ssid"),
        ({"ssid": "shop", "psk": "7-chars"}, "psk"),
        ({"ssid": "shop", "psk": "g" * 64}, "psk"),
        ({"ssid": "shop", "psk": "x" * 65}, "psk"),
        ({"ssid": "shop", "psk": "correct\nhorse"}, "psk"),
        ({"ssid": "shop", "psk": "café au lait"}, "psk"),
        ({"ssid": "shop", "psk": 12345678}, "psk"),
        ({"ssid": "shop"}, "psk"),
        ({"ssid": "shop", "open": False}, "psk"),
        ({"ssid": "shop", "psk": "correct horse", "open": True}, "psk"),
        ({"ssid": "shop", "open": "yes"}, "open"),
        ({"ssid": "shop", "psk": "correct horse", "country": "GBR"}, "country"),
        ({"ssid": "shop", "psk": "correct horse", "country": "G\n"}, "country"),
        ({"ssid": "shop", "psk": "correct horse", "country": "00"}, "country"),
        ({"ssid": "shop", "psk": "correct horse", "country": 44}, "country"),
        ({"ssid": "shop", "password": "correct horse"}, "password"),
    ],
)
def test_bad_input_writes_nothing_and_keeps_the_earlier_network(
    lane: Lane, wifi: dict[str, Any], field: str
) -> None:
    """GIVEN a working Wi-Fi from an earlier start WHEN provision.toml's [wifi] has a bad
    value THEN the earlier file stays byte for byte, no other file appears, kiosk-wifi is not
    started, and one log line names the field (but never repeats the password)."""
    earlier = earlier_wifi(lane)
    files = lane.files()

    provision.wifi(wifi)

    assert lane.conf.read_bytes() == earlier
    assert lane.files() == files
    assert lane.started == []
    assert f"Wi-Fi not configured: [wifi] {field}: " in lane.log()
    assert "correct" not in lane.log()


def test_the_templates_wifi_example_once_uncommented_is_accepted(lane: Lane) -> None:
    """GIVEN the boot partition's provision.toml with its [wifi] example lines uncommented,
    as the comments tell the technician WHEN provision reads it THEN that network is set."""
    template = (REPO / "image-build/boot/provision.toml").read_text()
    wifi = template[template.index("[wifi]") :]
    examples = re.findall(r"^# (\w+ = .+)$", wifi, flags=re.MULTILINE)
    (lane.root / "boot").mkdir()
    (lane.root / "boot/provision.toml").write_text("[wifi]\n" + "\n".join(examples) + "\n")

    provision.wifi(provision.read_settings()["wifi"])

    assert lane.started == ["kiosk-wifi.service"]
    assert "Wi-Fi: network 'shop-tills' configured on wlan0" in lane.log()


def test_no_wlan0_is_logged_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lane = lane_at(monkeypatch, tmp_path, wlan0=False)

    provision.wifi({"ssid": "shop-tills", "psk": "correct horse"})

    assert not lane.conf.parent.exists()
    assert lane.started == []
    assert "Wi-Fi asked for but this machine has no wlan0" in lane.log()


def test_an_open_network_only_when_the_technician_says_open(lane: Lane) -> None:
    provision.wifi({"ssid": "guest", "open": True, "country": "DE"})

    text = lane.conf.read_text()
    assert "  key_mgmt=NONE\n" in text
    assert "psk" not in text
    assert "open network, no password" in lane.log()


def test_no_ssid_means_no_wifi(lane: Lane) -> None:
    provision.wifi({})
    provision.wifi({"ssid": "", "psk": "correct horse"})

    assert not lane.conf.parent.exists()
    assert lane.started == []


def test_a_failed_write_leaves_the_earlier_file_and_no_temp_file(
    lane: Lane, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a working Wi-Fi WHEN the new file cannot be renamed into place (as if the power
    went) THEN the earlier file is whole and no temporary file is left beside it."""
    earlier = earlier_wifi(lane)

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(provision.os, "replace", refuse)
    with pytest.raises(OSError):
        provision.wifi({"ssid": "new-net", "psk": "correct horse"})

    assert lane.conf.read_bytes() == earlier
    assert [p.name for p in lane.conf.parent.iterdir()] == [lane.conf.name]


def ssh_key(kind: str = "ssh-ed25519", body_kind: str | None = None) -> str:
    name = (body_kind or kind).encode()
    blob = len(name).to_bytes(4, "big") + name + (32).to_bytes(4, "big") + bytes(range(32))
    return f"{kind} {base64.b64encode(blob).decode()} tech@laptop"


def ssh_on(lane: Lane) -> None:
    # the host key exists from an earlier start: no ssh-keygen here
    (lane.root / "data/.system/ssh").mkdir(mode=0o700)
    (lane.root / "data/.system/ssh/ssh_host_ed25519_key").write_text("made earlier\n")


def test_ssh_takes_only_well_formed_single_line_keys(lane: Lane) -> None:
    """GIVEN authorized_keys with two good keys among bad ones WHEN provision runs THEN only
    the good keys reach authorized_keys, ssh starts, and each bad entry is logged by number."""
    ssh_on(lane)
    good = [ssh_key(), ssh_key("ecdsa-sha2-nistp256")]
    bad = [
        ssh_key() + "\nssh-ed25519 AAAA injected",  # 3: two lines
        'command="/bin/sh" ' + ssh_key(),  # 4: options
        ssh_key("ssh-dss"),  # 5: not a type we take
        "ssh-ed25519 not*base64 tech@laptop",  # 6
        ssh_key("ssh-ed25519", body_kind="ssh-rsa"),  # 7: label and key disagree
        "ssh-ed25519",  # 8
        42,  # 9
    ]

    provision.ssh({"enable": True, "authorized_keys": [*good, *bad, "  "]})

    assert lane.authorized_keys.read_text() == "\n".join(good) + "\n"
    assert lane.started == ["ssh.service"]
    log = lane.log()
    assert "SSH on: root with 2 key(s), no passwords" in log
    for number in range(3, 10):
        assert f"[ssh] authorized_keys entry {number} ignored: " in log
    assert "entry 10" not in log


def test_ssh_stays_off_without_a_usable_key(lane: Lane) -> None:
    ssh_on(lane)

    provision.ssh({"enable": True, "authorized_keys": ["ssh-ed25519 AAAA\nroot"]})
    provision.ssh({"enable": True, "authorized_keys": ssh_key()})  # a string, not a list
    provision.ssh({"enable": True})
    provision.ssh({"enable": "yes", "authorized_keys": [ssh_key()]})
    provision.ssh({})

    assert not lane.authorized_keys.exists()
    assert lane.started == []
    log = lane.log()
    assert "SSH asked for but no authorized_keys entry is usable: SSH stays off" in log
    assert "[ssh] authorized_keys must be a list" in log
    assert "SSH asked for but no authorized_keys given: SSH stays off (no passwords)" in log
    assert "[ssh] enable must be true or false, not 'yes': SSH stays off" in log
    assert "SSH off (provision.toml does not ask for it)" in log


@contextlib.contextmanager
def fresh_lane() -> Iterator[Lane]:
    with tempfile.TemporaryDirectory() as root, pytest.MonkeyPatch.context() as mp:
        yield lane_at(mp, Path(root))


def accepted(ssid: str, psk: str) -> bool:
    """The rule the docs give the technician, written out independently of provision.py."""
    try:
        name = ssid.encode("utf-8")
    except UnicodeEncodeError:
        return False
    no_control = all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in ssid)
    passphrase = 8 <= len(psk) <= 63 and all(0x20 <= ord(c) <= 0x7E for c in psk)
    raw_key = len(psk) == 64 and all(c in "0123456789abcdefABCDEF" for c in psk)
    return 1 <= len(name) <= 32 and no_control and (passphrase or raw_key)


PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@settings(max_examples=300, deadline=None)
@given(
    ssid=st.one_of(st.text(max_size=40), st.text(PRINTABLE_ASCII, min_size=1, max_size=33)),
    psk=st.one_of(
        st.text(max_size=70),
        st.text(PRINTABLE_ASCII, min_size=7, max_size=64),
        st.text("0123456789abcdefABCDEFg", min_size=64, max_size=64),
    ),
)
def test_any_ssid_and_psk_give_a_clean_file_or_none(ssid: str, psk: str) -> None:
    """For any text in ssid and psk: either the file is written, with exactly the lines of a
    network block and an ssid that decodes back to what the technician typed, or nothing is
    written. Never a file with an extra line."""
    with fresh_lane() as lane:
        provision.wifi({"ssid": ssid, "psk": psk, "country": "GB"})

        if not (ssid and accepted(ssid, psk)):
            assert not lane.conf.parent.exists()
            return
        lines = lane.conf.read_text(encoding="ascii").splitlines()
        assert [line.split("=", 1)[0] for line in lines] == [
            "ctrl_interface",
            "country",
            "network",
            "  ssid",
            "  key_mgmt",
            "  psk",
            "}",
        ]
        assert bytes.fromhex(lines[3].split("=", 1)[1]).decode("utf-8") == ssid
        key = lines[5].split("=", 1)[1]
        assert len(key) == 64 and set(key) <= set("0123456789abcdef")

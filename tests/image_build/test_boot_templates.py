"""The commented kiosk.toml a technician finds on the boot partition (image-build/boot):
every setting in it, once uncommented, is one the kiosk accepts."""

from __future__ import annotations

import re
from pathlib import Path

from appliance import config as config_mod

TEMPLATE = Path(__file__).resolve().parents[2] / "image-build" / "boot" / "kiosk.toml"
SETTING = re.compile(r"^# ([a-z_]+) = (.*)$")
CERTS = "/var/lib/kiosk/.system/certs/"  # where kiosk-provision copies kiosk-certs/


def uncommented(text: str) -> str:
    """Every `# key = value` line as a setting; a key given twice in a section (port 1883,
    then 8883 for TLS) keeps its last value, as a technician choosing one would."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("["):
            seen = {}
            out.append(line)
            continue
        match = SETTING.match(line)
        if match:
            value = match.group(2).split("  #", 1)[0].strip()
            if match.group(1) in seen:
                out[seen[match.group(1)]] = ""
            seen[match.group(1)] = len(out)
            out.append(f"{match.group(1)} = {value}")
    return "\n".join(out) + "\n"


def test_the_template_as_shipped_loads(tmp_path: Path) -> None:
    assert config_mod.load([TEMPLATE], env={}) == config_mod.load([], env={})


def test_every_setting_in_the_template_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(uncommented(TEMPLATE.read_text(encoding="utf-8")), encoding="utf-8")
    config = config_mod.load([path], env={})
    assert config.kiosk.id == "store042-lane03"
    assert config.broker.tls and config.broker.port == 8883
    for name in ("ca_file", "cert_file", "key_file"):
        assert getattr(config.broker, name).startswith(CERTS), name


def test_the_template_names_the_folder_provisioning_fills() -> None:
    provision = TEMPLATE.parents[1] / "overlay" / "usr" / "lib" / "kiosk-image" / "provision.py"
    text = provision.read_text(encoding="utf-8")
    assert 'DATA = Path("/var/lib/kiosk")' in text and 'SYSTEM = DATA / ".system"' in text
    assert 'dest = SYSTEM / "certs"' in text

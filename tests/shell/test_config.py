"""Config: layered, typed and strict; every key documented in docs/config.md."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from appliance.config import Config, ConfigError, load

DOC = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()


def test_layers_apply_in_order(tmp_path: Path) -> None:
    etc = tmp_path / "etc.toml"
    boot = tmp_path / "boot.toml"
    etc.write_text('[kiosk]\nid = "from-etc"\nstore_name = "Etc"\n[broker]\nport = 1884\n')
    boot.write_text('[kiosk]\nid = "from-boot"\n')
    cfg = load([etc, boot, tmp_path / "missing.toml"], env={"KIOSK_BROKER__PORT": "1885"})
    assert cfg.kiosk.id == "from-boot"
    assert cfg.kiosk.store_name == "Etc"
    assert cfg.broker.port == 1885


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[kiosk]\nidd = 'x'\n", "kiosk.idd: unknown key"),
        ("[kiosks]\nid = 'x'\n", "unknown section [kiosks]"),
        ("[broker]\nport = 'x'\n", "broker.port: expected int"),
        ("[broker]\nport = 70000\n", "broker.port: 70000 is outside 1..65535"),
        ("[broker]\nenabled = 1\n", "broker.enabled: expected bool"),
        ("[devices]\nprinter = 'laser'\n", "devices.printer: 'laser' is not one of"),
        ("[kiosk\n", "not valid TOML"),
        ("[kiosk]\nid = 'lane 3/../x'\n", "kiosk.id: 'lane 3/../x' does not match"),
        ("kiosk = 3\n", "[kiosk] must be a table"),
    ],
)
def test_bad_config_names_the_key_and_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load([path], env={})
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_environment_errors_name_the_environment() -> None:
    with pytest.raises(ConfigError, match=r"environment: gpio\.tower_red"):
        load([], env={"KIOSK_GPIO__TOWER_RED": "99"})


def test_int_is_accepted_for_float_but_not_bool_for_int(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text("[kiosk]\nthank_you_s = 3\n")
    assert load([path], env={}).kiosk.thank_you_s == 3.0


def test_every_key_is_documented() -> None:
    cfg = Config()
    for section in dataclasses.fields(cfg):
        assert f"## [{section.name}]" in DOC
        for key in dataclasses.fields(getattr(cfg, section.name)):
            assert f"| `{key.name}` |" in DOC, (
                f"{section.name}.{key.name} missing in docs/config.md"
            )


@pytest.mark.parametrize(
    "url",
    ["", "https://receipts.example.com/r", "https://r.example.pl:8443/e-receipt/", "https://x.io"],
)
def test_an_ereceipt_url_is_https_or_empty(url: str) -> None:
    cfg = load([], env={"KIOSK_KIOSK__ERECEIPT_URL": f'"{url}"'})
    assert cfg.kiosk.ereceipt_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://receipts.example.com/r",  # a receipt link in the clear
        "receipts.example.com/r",
        "https://receipts.example.com/r?sale=",  # the sale id is appended as a path
        "https://receipts.example.com/r#x",
        "https:// receipts.example.com",
        "https://",
    ],
)
def test_a_bad_ereceipt_url_is_refused_by_name(url: str) -> None:
    with pytest.raises(ConfigError, match=r"kiosk\.ereceipt_url"):
        load([], env={"KIOSK_KIOSK__ERECEIPT_URL": f'"{url}"'})

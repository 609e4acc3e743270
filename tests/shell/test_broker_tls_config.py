"""[broker] tls: the kiosk checks its TLS files and certificate at start, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import Config, ConfigError, check_broker_files, load
from tests.support.pki import Ca


def tls_config(tmp_path: Path, kiosk_id: str, cn: str) -> tuple[Path, Config]:
    ca = Ca.create(tmp_path, "server-ca")
    issued = Ca.create(tmp_path, "kiosk-ca").issue_client(tmp_path / "kiosk", cn)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(
        f'[kiosk]\nid = "{kiosk_id}"\n[broker]\ntls = true\nport = 8883\n'
        f'ca_file = "{ca.cert_path}"\ncert_file = "{issued.cert}"\nkey_file = "{issued.key}"\n'
    )
    return toml, load([toml], env={})


def test_tls_is_off_by_default_and_then_nothing_is_checked() -> None:
    cfg = Config()
    assert cfg.broker.tls is False and cfg.broker.tls_files() is None
    check_broker_files(cfg)  # the default paths do not exist here: not looked at


def test_a_kiosk_with_its_own_certificate_passes(tmp_path: Path) -> None:
    _, cfg = tls_config(tmp_path, "store12-lane3", "store12-lane3")
    check_broker_files(cfg)
    files = cfg.broker.tls_files()
    assert files is not None and files.names[1] == "broker.cert_file"


def test_a_missing_key_file_stops_the_start_naming_the_key(tmp_path: Path) -> None:
    """GIVEN tls on and the key file gone
    WHEN the kiosk starts
    THEN the error names broker.key_file and the path."""
    _, cfg = tls_config(tmp_path, "store12-lane3", "store12-lane3")
    files = cfg.broker.tls_files()
    assert files is not None
    files.key_file.unlink()
    with pytest.raises(ConfigError, match=r"broker\.key_file: .*lane3\.key: no such file"):
        check_broker_files(cfg)


def test_a_certificate_for_another_kiosk_stops_the_start(tmp_path: Path) -> None:
    _, cfg = tls_config(tmp_path, "store12-lane3", "store12-lane4")
    with pytest.raises(ConfigError, match=r"is for .store12-lane4., but kiosk\.id is"):
        check_broker_files(cfg)


def test_tls_paths_must_be_absolute(tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text('[broker]\ncert_file = "kiosk.crt"\n')
    with pytest.raises(ConfigError, match=r"broker\.cert_file: .kiosk\.crt. does not match"):
        load([toml], env={})


def test_a_disabled_broker_needs_no_tls_files(tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text("[broker]\nenabled = false\ntls = true\n")
    check_broker_files(load([toml], env={}))

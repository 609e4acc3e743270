"""Head office's `config` command: checked by the strict loader before it is written, and
read back as the last layer at the next start."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from appliance.config import Config, ConfigError
from appliance.shell import config_overlay


def test_settings_are_kept_merged_and_read_back(tmp_path: Path) -> None:
    base = replace(Config(), kiosk=replace(Config().kiosk, data_dir=str(tmp_path)))
    config_overlay.store(tmp_path, base, {"kiosk.store_name": 'Ünïcode "quoted"\n2'})
    config_overlay.store(tmp_path, base, {"printer.timeout_s": 7, "kiosk.thank_you_s": 3.5})
    loaded = config_overlay.apply(base)
    assert loaded.kiosk.store_name == 'Ünïcode "quoted"\n2'
    assert (loaded.printer.timeout_s, loaded.kiosk.thank_you_s) == (7.0, 3.5)


def test_a_value_the_loader_refuses_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="thank_you_s"):
        config_overlay.store(tmp_path, Config(), {"kiosk.thank_you_s": 999})
    assert not config_overlay.path(tmp_path).exists()

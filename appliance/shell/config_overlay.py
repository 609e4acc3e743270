"""Head office's `config` command: settings kept in `<data_dir>/remote-config.toml`, read as
the last configuration layer at the next start (docs/config.md).

The file is written only after the merged settings pass the same strict loader that reads
every config file, so a kiosk never writes a file it would refuse at its next start.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from appliance import config as config_mod

FILE = "remote-config.toml"


def path(data_dir: Path) -> Path:
    return data_dir / FILE


def read(data_dir: Path) -> dict[str, dict[str, Any]]:
    """The settings kept so far ({} when there are none); ConfigError if unreadable."""
    file = path(data_dir)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise config_mod.ConfigError(f"{file}: not valid TOML: {exc}") from None
    return data


def apply(config: config_mod.Config) -> config_mod.Config:
    """`config` with the kept settings over it (the last layer); ConfigError names the key."""
    data_dir = Path(config.kiosk.data_dir)
    return config_mod.merge(config, read(data_dir), str(path(data_dir)))


def store(data_dir: Path, base: config_mod.Config, settings: Mapping[str, Any]) -> None:
    """Add `{"section.key": value}` to the kept settings, checked first (ConfigError), then
    written whole: a temporary file, fsynced and renamed, so a power cut leaves the old
    settings or the new ones."""
    merged = read(data_dir)
    for name, value in settings.items():
        section, key = name.split(".", 1)
        merged.setdefault(section, {})[key] = value
    config_mod.merge(base, merged, "the config command")  # raises before anything is written
    text = "".join(
        f"[{section}]\n" + "".join(f"{key} = {_toml(v)}\n" for key, v in sorted(keys.items()))
        for section, keys in sorted(merged.items())
    )
    file = path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(file.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write("# written by the kiosk for head office's config commands; read at start\n")
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, file)
    dir_fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _toml(value: Any) -> str:
    """A TOML value for what a config key can hold: bool, int, float or string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):  # JSON's string escapes are TOML's (none is a surrogate)
        return json.dumps(value, ensure_ascii=False)
    raise config_mod.ConfigError(f"cannot write {value!r} as a setting")

"""A throwaway root with the kiosk's users in it, made by the real systemd-sysusers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.systemd.unitfiles import SYSTEMD_DIR

SYSUSERS_FILE = SYSTEMD_DIR / "sysusers" / "kiosk.conf"


@pytest.fixture
def kiosk_root(tmp_path: Path) -> Path:
    """tmp_path/root with etc/passwd and etc/group as the image's would be: only what
    sysusers.d/kiosk.conf creates (the image's Debian base adds the usual system users)."""
    sysusers = shutil.which("systemd-sysusers")
    assert sysusers, "systemd-sysusers is missing: `make test` installs the systemd package"
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    done = subprocess.run(
        [sysusers, f"--root={root}", str(SYSUSERS_FILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return root


def groups_in(root: Path) -> dict[str, tuple[int, set[str]]]:
    """/etc/group of `root`: name -> (gid, members)."""
    found: dict[str, tuple[int, set[str]]] = {}
    for line in (root / "etc" / "group").read_text().splitlines():
        name, _, gid, members = line.split(":")
        found[name] = (int(gid), set(filter(None, members.split(","))))
    return found


def users_in(root: Path) -> dict[str, list[str]]:
    """/etc/passwd of `root`: name -> its seven fields."""
    return {
        f[0]: f
        for f in (line.split(":") for line in (root / "etc/passwd").read_text().splitlines())
    }

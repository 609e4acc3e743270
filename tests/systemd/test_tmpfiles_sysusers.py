"""tmpfiles.d and sysusers.d: the real systemd-sysusers and systemd-tmpfiles, pointed at a
tmp root (--root), make the kiosk's user and its directories with the right owner and mode.
Nothing of this machine's /etc, /var or /run is read or written."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.systemd.conftest import groups_in, users_in
from tests.systemd.unitfiles import SYSTEMD_DIR, parse, value

TMPFILES_FILE = SYSTEMD_DIR / "tmpfiles" / "kiosk.conf"


def _tmpfiles_create(root: Path) -> subprocess.CompletedProcess[str]:
    tmpfiles = shutil.which("systemd-tmpfiles")
    assert tmpfiles, "systemd-tmpfiles is missing: `make test` installs the systemd package"
    for parent in ("var/lib", "run"):
        (root / parent).mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [tmpfiles, f"--root={root}", "--create", str(TMPFILES_FILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_sysusers_makes_the_kiosk_user_with_its_device_groups(kiosk_root: Path) -> None:
    kiosk = users_in(kiosk_root)["kiosk"]
    assert kiosk[5] == "/var/lib/kiosk" and kiosk[6] == "/usr/sbin/nologin"
    groups = groups_in(kiosk_root)
    assert int(kiosk[3]) == groups["kiosk"][0]
    unit = parse(SYSTEMD_DIR / "kiosk.service")
    for group in value(unit, "Service", "SupplementaryGroups").split():
        assert "kiosk" in groups[group][1], f"kiosk is not in group {group}"


@pytest.mark.parametrize("path", ["var/lib/kiosk", "run/kiosk"])
def test_tmpfiles_makes_the_kiosk_directories_0750_kiosk_kiosk(
    kiosk_root: Path, path: Path
) -> None:
    """GIVEN a root whose /etc/passwd has the kiosk user WHEN systemd-tmpfiles --create runs
    THEN the directory exists, mode 0750, owned by kiosk:kiosk (its uid, from that root)."""
    done = _tmpfiles_create(kiosk_root)
    assert done.returncode == 0, done.stderr
    made = (kiosk_root / path).stat()
    assert stat.S_ISDIR(made.st_mode) and stat.S_IMODE(made.st_mode) == 0o750
    if os.geteuid() != 0:
        pytest.skip("only root can hand a directory to another user: owner not checked")
    uid = int(users_in(kiosk_root)["kiosk"][2])
    gid = groups_in(kiosk_root)["kiosk"][0]
    assert (made.st_uid, made.st_gid) == (uid, gid)


def test_tmpfiles_fixes_a_mount_point_that_mkfs_left_to_root(kiosk_root: Path) -> None:
    """The data partition's top directory comes from mkfs as root's, 0755: at boot
    tmpfiles must hand it to the kiosk (d adjusts an existing directory's mode/owner)."""
    data = kiosk_root / "var/lib/kiosk"
    data.mkdir(parents=True)
    data.chmod(0o755)
    done = _tmpfiles_create(kiosk_root)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o750


def test_the_kiosk_writes_only_where_tmpfiles_prepares() -> None:
    unit = parse(SYSTEMD_DIR / "kiosk.service")
    assert value(unit, "Service", "ReadWritePaths") == "/var/lib/kiosk"
    assert value(unit, "Unit", "RequiresMountsFor") == "/var/lib/kiosk"
    assert "/var/lib/kiosk" in TMPFILES_FILE.read_text()

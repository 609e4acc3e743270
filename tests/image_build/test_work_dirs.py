"""image-build/build.py keeps each checkout's root file systems and caches in
/var/tmp/kiosk-image-<hash> (2-3 GB); a build removes those of checkouts that are gone."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("image_build", REPO / "image-build/build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("image_build", module)
    spec.loader.exec_module(module)
    return module


def work_dir(base: Path, name: str, checkout: Path | None) -> Path:
    folder = base / f"kiosk-image-{name}"
    (folder / "cache").mkdir(parents=True)
    (folder / "cache" / "big.bin").write_bytes(b"x" * 1024)
    if checkout is not None:
        (folder / "checkout").write_text(f"{checkout}\n")
    return folder


def test_only_the_folders_of_vanished_checkouts_are_removed(tmp_path: Path) -> None:
    """GIVEN work folders of: this checkout, a live checkout, a CI clone since deleted, one
    without a mark, and a vanished clone's folder with something still mounted inside
    WHEN a build prunes THEN only the deleted clone's unmounted folder goes."""
    build = load_build()
    live = tmp_path / "live-checkout"
    live.mkdir()
    base = tmp_path / "var-tmp"
    mine = work_dir(base, "mine", tmp_path / "gone-too")
    kept = work_dir(base, "live", live)
    gone = work_dir(base, "gone", tmp_path / "fresh-clone-1")
    unmarked = work_dir(base, "old", None)
    mounted = work_dir(base, "busy", tmp_path / "fresh-clone-2")
    mounts = ["/", "/proc", str(mounted / "arm64" / "rootfs" / "proc")]

    removed = build.prune_work_dirs(base, mine, mounts)

    assert removed == [gone]
    assert not gone.exists()
    for folder in (mine, kept, unmarked, mounted):
        assert (folder / "cache" / "big.bin").is_file()


def test_a_relative_or_odd_mark_removes_nothing(tmp_path: Path) -> None:
    build = load_build()
    base = tmp_path / "var-tmp"
    odd = work_dir(base, "odd", None)
    (odd / "checkout").write_text("relative/path\n")
    (base / "kiosk-image-file").write_text("not a folder")
    assert build.prune_work_dirs(base, base / "kiosk-image-mine", []) == []
    assert odd.is_dir() and (base / "kiosk-image-file").is_file()

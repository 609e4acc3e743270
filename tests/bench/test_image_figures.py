"""bench/image.py turns the boot tests' figures.json into docs/benchmarks.md rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import image

MIB = 1024 * 1024


def figures(out: Path, *, warm: bool | None, xz: bool, xz_older: bool = False) -> None:
    folder = out / "arm64"
    folder.mkdir(parents=True)
    img = folder / "kiosk-0.1.0-rpi-arm64.img"
    img.write_bytes(b"\0" * MIB)
    build = {
        "image": img.name,
        "build_s": 1642.9,
        "stages_s": {"rootfs": 1239.7},
        "image_bytes": 1500 * MIB,
        "image_allocated_bytes": 970 * MIB,
        "root_used_mib": 881,
        "wheels_cached": False,
    }
    if warm is not None:
        build["apt_cache_warm"] = warm
    report = {"kiosk_exec_start_s": "90.0"}
    data = {"measured_at": "2026-12-02 06:39 UTC", "build": build, "boot_to_ready_s": 135.1}
    (folder / "figures.json").write_text(json.dumps(data | {"report": report}))
    if xz:
        packed = folder / (img.name + ".xz")
        packed.write_bytes(b"x" * (300 * MIB // 1000))
        if xz_older:
            os.utime(packed, (1, 1))


def rows(monkeypatch: pytest.MonkeyPatch, out: Path) -> dict[str, image.Result]:
    monkeypatch.setattr(image, "OUT", out)
    return {r.what: r for r in image.run()}


def test_a_cold_build_says_so_and_the_xz_beside_the_image_is_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures(tmp_path, warm=False, xz=True)
    got = rows(monkeypatch, tmp_path)
    assert "Pi image (arm64): build, apt cache cold" in got
    packed = got["Pi image (arm64): disk image, .img.xz"]
    assert packed.figure == (300 * MIB // 1000) / MIB and packed.reference_figure == 1500
    ready = got["Pi image (arm64): boot to kiosk READY=1 (qemu, software emulation)"]
    assert (ready.figure, ready.reference_figure) == (135.1, 90.0)


def test_an_xz_older_than_the_image_is_not_its_size_and_no_cache_flag_no_claim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures(tmp_path, warm=None, xz=True, xz_older=True)
    got = rows(monkeypatch, tmp_path)
    assert "Pi image (arm64): build" in got
    assert not any(".img.xz" in what for what in got)

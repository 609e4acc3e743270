"""The disk image: build time, size and boot-to-ready, as the last image boot tests measured.

Nothing is built here (a build takes minutes and root): `make image-test` and
`make image-test-arm64` write image-build/out/<arch>/figures.json after their boot, and this
reads them. Guest times are the guest's own clock (CLOCK_MONOTONIC since its kernel
started) under qemu's software emulation on the build machine, not on a Pi.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.common import Result, compare

OUT = Path(__file__).resolve().parents[1] / "image-build" / "out"
MIB = 1024 * 1024


def _figures(arch: str) -> dict[str, Any] | None:
    path = OUT / arch / "figures.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _xz_beside(arch: str, image: str) -> int:
    """The size of `make image`'s .img.xz of the booted image, when it is there and no
    older than the image (a boot test's build does not compress)."""
    img = OUT / arch / image
    xz = img.with_name(img.name + ".xz")
    if not image or not img.exists() or not xz.exists():
        return 0
    return xz.stat().st_size if xz.stat().st_mtime >= img.stat().st_mtime else 0


def _report_s(figures: dict[str, Any], key: str) -> float | None:
    try:
        return float(figures["report"][key])
    except (KeyError, TypeError, ValueError):
        return None


def run() -> list[Result]:
    results: list[Result] = []
    for arch, name in (("amd64", "amd64 twin"), ("arm64", "Pi image (arm64)")):
        figures = _figures(arch)
        if figures is None:
            continue
        when = f"measured {figures.get('measured_at', '?')}"
        build = figures.get("build", {})
        stages = build.get("stages_s", {})
        rootfs_s = stages.get("rootfs")
        cached = "wheels cached" if build.get("wheels_cached") else "wheels built"
        apt = {True: "apt cache warm", False: "apt cache cold"}.get(build.get("apt_cache_warm"))
        if rootfs_s:
            results.append(
                compare(
                    f"{name}: build" + (f", {apt}" if apt else ""),
                    float(build["build_s"]),
                    "s",
                    "its mmdebstrap stage (packages, venv, initramfs)",
                    float(rootfs_s),
                    f"{cached}; {when}",
                )
            )
        image_mib = build.get("image_bytes", 0) / MIB
        used_mib = build.get("root_used_mib")
        if image_mib and used_mib:
            results.append(
                compare(
                    f"{name}: disk image, uncompressed",
                    image_mib,
                    "MiB",
                    "files in the root file system",
                    float(used_mib),
                    f"{build.get('image_allocated_bytes', 0) / MIB:.0f} MiB allocated (sparse)",
                )
            )
        xz_bytes = build.get("xz_bytes") or _xz_beside(arch, build.get("image", ""))
        if xz_bytes and image_mib:
            results.append(
                compare(
                    f"{name}: disk image, .img.xz",
                    xz_bytes / MIB,
                    "MiB",
                    "the image uncompressed",
                    image_mib,
                    "what is downloaded and flashed",
                )
            )
        ready = figures.get("boot_to_ready_s")
        started = _report_s(figures, "kiosk_exec_start_s")
        if ready and started:
            results.append(
                compare(
                    f"{name}: boot to kiosk READY=1 (qemu, software emulation)",
                    float(ready),
                    "s",
                    "boot to the kiosk process starting",
                    started,
                    "first boot (data partition grown);"
                    f" whole qemu run {figures.get('boot_wall_s')} s",
                )
            )
    return results

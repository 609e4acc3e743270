#!/usr/bin/env python3
"""Build the kiosk's disk image from Debian bookworm: one recipe, two architectures.

    python3 image-build/build.py --arch amd64          # the test twin (make image-test)
    python3 image-build/build.py --arch arm64 --xz     # the Pi 4 SD card (make image)

Stages, each announced on one progress line and failing loudly by name:
check, wheels, rootfs (mmdebstrap; its hooks call this file back: `hook essential|customize`),
split, data, filesystems, disk, compress (--xz). No loop device and no mount on the host:
ext4 file systems are made from folders (mkfs.ext4 -d), the FAT one with mtools, the
partition table with sfdisk on the image file. image-build/README.md has the details;
../shared/research/image-build-and-systemd.md the measured recipes behind them.

Only the standard library: this runs with the host's python3, as root.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Root file systems (with /proc and /sys mounted while mmdebstrap runs) and the apt cache
# live outside the source tree: anything that walks the tree (pip building the editable
# install, editors, linters) would otherwise walk into them, and a walker inside the
# chroot's /sys keeps mmdebstrap from unmounting it. One folder per checkout.
WORK = Path(
    os.environ.get("KIOSK_IMAGE_WORK")
    or f"/var/tmp/kiosk-image-{hashlib.sha256(str(REPO).encode()).hexdigest()[:10]}"
)
CACHE = WORK / "cache"
CHECKOUT_MARK = "checkout"  # in each work folder: the checkout it belongs to
OUT = HERE / "out"
SUITE = "bookworm"
# Debian's archive; point MIRROR at a snapshot (snapshot.debian.org/archive/debian/<date>)
# where that is reachable to rebuild bit-for-bit the same package set (README: pinning).
MIRROR = os.environ.get("MIRROR", "http://deb.debian.org/debian")
SECURITY = os.environ.get("SECURITY_MIRROR", "http://deb.debian.org/debian-security")
LABELS = {"boot": "KIOSKBOOT", "root": "KIOSKROOT", "data": "KIOSKDATA"}
MIB = 1024 * 1024
BOOT_MIB = 256
DATA_MIB = 64  # grown to fill the card by kiosk-provision.service at first boot
# the folders of systemd/ and where their files go in the image (anything else: an error)
SYSTEMD_DIRS = {
    "udev": "usr/lib/udev/rules.d",
    "tmpfiles": "usr/lib/tmpfiles.d",
    "sysusers": "usr/lib/sysusers.d",
    "system.conf.d": "usr/lib/systemd/system.conf.d",
    "journald.conf.d": "usr/lib/systemd/journald.conf.d",
    "logind.conf.d": "usr/lib/systemd/logind.conf.d",
    "timesyncd.conf.d": "usr/lib/systemd/timesyncd.conf.d",
    "network": "usr/lib/systemd/network",
}
UNIT_SUFFIXES = (".service", ".target", ".timer", ".socket", ".path", ".mount")
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}


class StageFailed(RuntimeError):
    pass


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cmd: Sequence[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    """Run a command; its failure names the command (the stage adds its own name)."""
    args = [str(c) for c in cmd]
    proc = subprocess.run(args, text=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise StageFailed(f"{shlex.join(args)} exited {proc.returncode}")
    return proc  # type: ignore[no-any-return]


def chroot(root: Path, script: str) -> None:
    run(["chroot", root, "/bin/sh", "-ec", script], env=CLEAN_ENV)


def package_list(arch: str) -> list[str]:
    names: list[str] = []
    for part in ("common", arch):
        for line in (HERE / "packages" / f"{part}.txt").read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    return names


def version() -> str:
    with open(REPO / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def source_date_epoch() -> int:
    """The newest commit's time (reproducible clocks), or now outside a git checkout."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    proc = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%ct"], capture_output=True, text=True
    )
    return (
        int(proc.stdout.strip())
        if proc.returncode == 0 and proc.stdout.strip()
        else int(time.time())
    )


# -- stages ----------------------------------------------------------------------------


class Build:
    def __init__(self, arch: str, xz: bool, out: Path, reuse_rootfs: bool = False) -> None:
        self.arch = arch
        self.xz = xz
        self.reuse_rootfs = reuse_rootfs
        self.out = out
        self.work = WORK / arch
        self.rootfs = self.work / "rootfs"
        self.bootfs = self.work / "bootfs"
        self.datafs = self.work / "datafs"
        self.version = version()
        self.epoch = source_date_epoch()
        self.times: dict[str, float] = {}

    @property
    def name(self) -> str:
        machine = "rpi-arm64" if self.arch == "arm64" else "amd64-twin"
        return f"kiosk-{self.version}-{machine}"

    def stages(self) -> list[tuple[str, Callable[[], None]]]:
        stages = [("check", self.check)]
        if not self.reuse_rootfs:
            stages += [("wheels", self.wheels), ("rootfs", self.rootfs_stage)]
        stages += [
            ("split", self.split),
            ("data", self.data),
            ("filesystems", self.filesystems),
            ("disk", self.disk),
        ]
        if self.xz:
            stages.append(("compress", self.compress))
        return stages

    def run(self) -> int:
        started = time.monotonic()
        # the figures say whether packages came from the cache or the network
        self.apt_debs_before = len(list((CACHE / f"apt-{self.arch}").glob("*.deb")))
        stages = self.stages()
        for number, (name, fn) in enumerate(stages, 1):
            log(f"[image {self.arch}] stage {number}/{len(stages)} {name} ...")
            t0 = time.monotonic()
            try:
                fn()
            except (StageFailed, OSError, subprocess.SubprocessError, ValueError) as exc:
                log(f"[image {self.arch}] BUILD FAILED in stage {name!r}: {exc}")
                return 1
            self.times[name] = time.monotonic() - t0
            took = self.times[name]
            log(f"[image {self.arch}] stage {number}/{len(stages)} {name} done in {took:.1f} s")
        total = time.monotonic() - started
        self.write_figures(total)
        log(f"[image {self.arch}] built {self.out} in {total:.0f} s")
        return 0

    def check(self) -> None:
        if os.geteuid() != 0:
            raise StageFailed("run as root (mmdebstrap --mode=root, chroot, file ownership)")
        tools = {
            "mmdebstrap": "mmdebstrap",
            "mkfs.ext4": "e2fsprogs",
            "mkfs.vfat": "dosfstools",
            "mcopy": "mtools",
            "sfdisk": "fdisk",
            "xz": "xz-utils",
        }
        if self.arch == "arm64":
            tools |= {"qemu-aarch64-static": "qemu-user-static", "arch-test": "arch-test"}
            if self.xz:
                tools["bmaptool"] = "bmap-tools"
        missing = sorted({pkg for tool, pkg in tools.items() if shutil.which(tool) is None})
        if missing:
            raise StageFailed(
                f"missing tools; apt-get install {' '.join(missing)} (make debian-deps)"
            )
        if self.arch == "arm64":
            self._binfmt()
        for folder in (self.work, CACHE / f"apt-{self.arch}", self.out):
            folder.mkdir(parents=True, exist_ok=True)
        (WORK / CHECKOUT_MARK).write_text(str(REPO) + "\n")
        for stale in prune_work_dirs(WORK.parent, WORK, _mount_points()):
            log(f"  removed {stale}: its checkout is gone")

    def _binfmt(self) -> None:
        """arm64 maintainer scripts run under qemu-user: binfmt_misc must know aarch64."""
        binfmt = Path("/proc/sys/fs/binfmt_misc")
        if not (binfmt / "register").exists():
            run(["mount", "-t", "binfmt_misc", "binfmt_misc", binfmt])
        if (
            not (binfmt / "qemu-aarch64").exists()
            or "enabled" not in (binfmt / "qemu-aarch64").read_text()
        ):
            run(["update-binfmts", "--enable", "qemu-aarch64"])
        proc = subprocess.run(["arch-test", "arm64"], capture_output=True, text=True)
        if "ok" not in proc.stdout:
            raise StageFailed(f"arm64 binaries cannot run here (arch-test: {proc.stdout.strip()})")

    # -- wheels: the venv's packages, built once per lock and architecture -------------

    def wheel_key(self) -> str:
        h = hashlib.sha256()
        for path in (REPO / "requirements.lock", HERE / "packages" / "python-extra.txt"):
            h.update(path.read_bytes())
        with open(REPO / "pyproject.toml", "rb") as f:
            h.update(json.dumps(tomllib.load(f)["project"]["dependencies"]).encode())
        return h.hexdigest()[:16]

    @property
    def wheelhouse(self) -> Path:
        return CACHE / f"wheels-{self.arch}-{self.wheel_key()}"

    def wheels(self) -> None:
        """Every dependency as a wheel for the target (evdev and lgpio are compiled, in a
        throwaway bookworm chroot of the target's architecture, so no compiler ships)."""
        if (self.wheelhouse / "done").exists():
            log(f"  cached: {self.wheelhouse.name}")
            return
        tmp = self.wheelhouse.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        include = "python3-venv,python3-dev,gcc,libc6-dev,linux-libc-dev,swig,ca-certificates"
        self.mmdebstrap(
            ["--variant=apt", f"--include={include}"],
            customize=[f'{self.self_cmd()} hook wheels "$1" {shlex.quote(str(tmp))}'],
            target="/dev/null",
        )
        if not any(tmp.glob("pygame-*.whl")):
            raise StageFailed("the wheel build left no pygame wheel")
        (tmp / "done").write_text("")
        shutil.rmtree(self.wheelhouse, ignore_errors=True)
        tmp.rename(self.wheelhouse)

    def self_cmd(self) -> str:
        env = {
            "KIOSK_ARCH": self.arch,
            "KIOSK_WHEELS": str(self.wheelhouse),
            "KIOSK_VERSION": self.version,
            **({"PIP_CERT": os.environ["PIP_CERT"]} if "PIP_CERT" in os.environ else {}),
            "SOURCE_DATE_EPOCH": str(self.epoch),
        }
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        me = shlex.quote(str(Path(__file__).resolve()))
        return f"env {prefix} {shlex.quote(sys.executable)} {me}"

    def mmdebstrap(
        self,
        extra: list[str],
        *,
        essential: Sequence[str] = (),
        customize: Sequence[str] = (),
        target: str,
    ) -> None:
        cache = CACHE / f"apt-{self.arch}"
        cmd = [
            "mmdebstrap",
            "--mode=root",
            f"--architectures={self.arch}",
            "--components=main,non-free-firmware",
            '--aptopt=APT::Install-Recommends "false"',
            '--aptopt=Acquire::Retries "3"',
            "--dpkgopt=force-confold",
            "--dpkgopt=force-confdef",
            "--dpkgopt=path-exclude=/usr/share/man/*",
            "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-include=/usr/share/doc/*/copyright",
            "--dpkgopt=path-exclude=/usr/share/locale/*",
            "--dpkgopt=path-exclude=/usr/share/info/*",
            # the .debs: kept between builds, so a warm build downloads nothing
            "--skip=download/empty",
            "--skip=essential/unlink",
            '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
            f"--setup-hook=sync-in {cache} /var/cache/apt/archives/",
            *[f"--essential-hook={h}" for h in essential],
            f"--customize-hook=sync-out /var/cache/apt/archives {cache}",
            '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb',
            *[f"--customize-hook={h}" for h in customize],
            *extra,
            SUITE,
            target,
            f"deb {MIRROR} {SUITE} main non-free-firmware",
            f"deb {MIRROR} {SUITE}-updates main non-free-firmware",
            f"deb {SECURITY} {SUITE}-security main non-free-firmware",
        ]
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(self.epoch))
        run(cmd, env=env, stdout=self.logfile("mmdebstrap"), stderr=subprocess.STDOUT)

    def logfile(self, name: str) -> object:
        path = self.work / f"{name}.log"
        log(f"  log: {path}")
        return open(path, "a")

    # -- rootfs ---------------------------------------------------------------------------

    def rootfs_stage(self) -> None:
        shutil.rmtree(self.rootfs, ignore_errors=True)
        for stale in (self.work / "mmdebstrap.log",):
            stale.unlink(missing_ok=True)
        packages = ",".join(package_list(self.arch))
        self.mmdebstrap(
            ["--variant=minbase", f"--include={packages}"],
            essential=[f'{self.self_cmd()} hook essential "$1"'],
            customize=[f'{self.self_cmd()} hook customize "$1"'],
            target=str(self.rootfs),
        )
        manifest = subprocess.run(
            [
                "dpkg-query",
                f"--admindir={self.rootfs}/var/lib/dpkg",
                "-W",
                "-f",
                "${Package}=${Version}\n",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        freeze = subprocess.run(
            ["chroot", self.rootfs, "/opt/kiosk/venv/bin/python", "-m", "pip", "freeze"],
            capture_output=True,
            text=True,
            env=CLEAN_ENV,
        ).stdout
        (self.out / f"{self.name}.manifest.txt").write_text(
            f"# {self.name}: Debian {SUITE} packages ({MIRROR}) and the venv's Python packages\n"
            + manifest
            + "\n# /opt/kiosk/venv (pip freeze)\n"
            + freeze
        )

    # -- assembling the disk ------------------------------------------------------------

    def split(self) -> None:
        """The FAT partition's files leave the root tree (its mount point stays, empty)."""
        firmware = self.rootfs / "boot" / "firmware"
        if not (self.reuse_rootfs and self.bootfs.is_dir()):
            shutil.rmtree(self.bootfs, ignore_errors=True)
            shutil.move(firmware, self.bootfs)
            firmware.mkdir()
        if self.arch == "amd64":
            # the twin boots with qemu -kernel/-initrd: keep them beside the disk
            kernels = sorted((self.rootfs / "boot").glob("vmlinuz-*"))
            initrds = sorted((self.rootfs / "boot").glob("initrd.img-*"))
            if not kernels or not initrds:
                raise StageFailed("no kernel or initrd under /boot")
            shutil.copy(kernels[-1], self.out / "vmlinuz")
            shutil.copy(initrds[-1], self.out / "initrd.img")
        else:
            self._check_firmware()
            kernels = sorted(self.bootfs.glob("vmlinuz-*"))
            initrds = sorted(self.bootfs.glob("initrd.img-*"))
            shutil.copy(kernels[-1], self.out / "vmlinuz")
            shutil.copy(initrds[-1], self.out / "initrd.img")

    def _check_firmware(self) -> None:
        """What the Pi's boot ROM and firmware need, checked here since qemu cannot."""
        need = ["start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "config.txt", "cmdline.txt"]
        missing = [n for n in need if not (self.bootfs / n).exists()]
        if missing:
            raise StageFailed(f"/boot/firmware lacks {', '.join(missing)}")
        cmdline = (self.bootfs / "cmdline.txt").read_text().split()
        if f"root=LABEL={LABELS['root']}" not in cmdline or "ro" not in cmdline:
            raise StageFailed(f"cmdline.txt wants root=LABEL={LABELS['root']} and ro: {cmdline}")
        if cmdline.index("ro") < max((i for i, w in enumerate(cmdline) if w == "rw"), default=-1):
            raise StageFailed(f"cmdline.txt: rw after ro leaves the root writable: {cmdline}")
        config = (self.bootfs / "config.txt").read_text()
        # "kernel=vmlinuz-..." and "initramfs initrd.img-... followkernel"
        for line in config.splitlines():
            words = line.replace("=", " ").split()
            named = words[1] if len(words) > 1 and words[0] in ("kernel", "initramfs") else ""
            if named and not (self.bootfs / named).exists():
                raise StageFailed(f"config.txt names {named}, which is not there")

    def data(self) -> None:
        """The data partition's first contents: the kiosk's folder and the image's state."""
        shutil.rmtree(self.datafs, ignore_errors=True)
        ids = _ids(self.rootfs)
        kiosk_uid, kiosk_gid = ids["kiosk"]
        system = self.datafs / ".system"
        for folder, owner, mode in (
            (self.datafs, (kiosk_uid, kiosk_gid), 0o750),
            (system, (0, 0), 0o755),
            (system / "timesync", ids.get("systemd-timesync", (0, 0)), 0o755),
            (system / "ssh", (0, 0), 0o700),
            (system / "certs", (0, kiosk_gid), 0o750),
            (system / "wifi", (0, 0), 0o700),
        ):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, *owner)
            folder.chmod(mode)
        (system / "image-id").write_text(self.image_id())

    def image_id(self) -> str:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        built = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.epoch))
        return f"{self.name} commit {commit or 'unknown'} built {built}\n"

    def filesystems(self) -> None:
        parts = self.work / "parts"
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir()
        root_bytes = _tree_bytes(self.rootfs)
        root_mib = int(root_bytes * 1.15 / MIB) + 96
        env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(self.epoch))
        run(
            [
                "mkfs.ext4",
                "-q",
                "-F",
                "-L",
                LABELS["root"],
                "-m",
                "0",
                "-d",
                self.rootfs,
                parts / "root.img",
                f"{root_mib}M",
            ],
            env=env,
        )
        run(
            [
                "mkfs.ext4",
                "-q",
                "-F",
                "-L",
                LABELS["data"],
                "-m",
                "1",
                "-d",
                self.datafs,
                parts / "data.img",
                f"{DATA_MIB}M",
            ],
            env=env,
        )
        boot = parts / "boot.img"
        run(
            ["mkfs.vfat", "-F", "32", "-n", LABELS["boot"], "-C", boot, str(BOOT_MIB * 1024)],
            stdout=subprocess.DEVNULL,
        )
        files = sorted(self.bootfs.iterdir())
        run(["mcopy", "-s", "-p", "-m", "-i", boot, *files, "::/"])
        self.sizes = {"root_mib": root_mib, "root_used_mib": root_bytes // MIB}

    def disk(self) -> None:
        parts = self.work / "parts"
        start = 4 * MIB
        layout = [("boot", "c", BOOT_MIB * MIB)]
        layout += [("root", "83", (parts / "root.img").stat().st_size)]
        layout += [("data", "83", (parts / "data.img").stat().st_size)]
        total = start + sum(size for _, _, size in layout)
        image = self.out / f"{self.name}.img"
        image.unlink(missing_ok=True)
        with open(image, "wb") as f:
            f.truncate(total)
        lines = ["label: dos", "unit: sectors"]
        offset = start
        for name, kind, size in layout:
            boot_flag = ", bootable" if name == "boot" else ""
            lines.append(f"start={offset // 512}, size={size // 512}, type={kind}{boot_flag}")
            offset += size
        run(["sfdisk", "--quiet", image], input="\n".join(lines) + "\n")
        offset = start
        for name, _, size in layout:
            run(
                [
                    "dd",
                    f"if={parts / (name + '.img')}",
                    f"of={image}",
                    "bs=4M",
                    "conv=notrunc,sparse",
                    f"seek={offset}",
                    "oflag=seek_bytes",
                    "status=none",
                ]
            )
            offset += size
        (self.out / f"{self.name}.layout.json").write_text(
            json.dumps({"boot_offset": start, "partitions": [n for n, _, _ in layout]}) + "\n"
        )
        self.image = image

    def compress(self) -> None:
        image = self.out / f"{self.name}.img"
        bmap = image.with_suffix(".img.bmap")
        if shutil.which("bmaptool"):
            run(["bmaptool", "create", "-o", bmap, image])
        run(["xz", "-T0", "-6", "-f", "-k", image])

    def write_figures(self, total_s: float) -> None:
        image = self.out / f"{self.name}.img"
        figures = {
            "arch": self.arch,
            "image": image.name,
            "build_s": round(total_s, 1),
            "stages_s": {k: round(v, 1) for k, v in self.times.items()},
            "image_bytes": image.stat().st_size,
            "image_allocated_bytes": image.stat().st_blocks * 512,
            "wheels_cached": "wheels" in self.times and self.times["wheels"] < 1,
            "apt_cache_debs": len(list((CACHE / f"apt-{self.arch}").glob("*.deb"))),
            "apt_cache_warm": getattr(self, "apt_debs_before", 0) > 0,
            **getattr(self, "sizes", {}),
        }
        xz = image.with_suffix(".img.xz")
        if self.xz and xz.exists():
            figures["xz_bytes"] = xz.stat().st_size
        (self.out / f"{self.name}.build.json").write_text(json.dumps(figures, indent=2) + "\n")


def prune_work_dirs(base: Path, mine: Path, mounts: Sequence[str]) -> list[Path]:
    """Remove the work folders (2-3 GB each) of checkouts that no longer exist, such as
    CI's throwaway clones: each names its checkout in CHECKOUT_MARK. A folder without the
    mark, with anything mounted inside, or whose checkout is still there is kept."""
    removed: list[Path] = []
    for folder in sorted(base.glob("kiosk-image-*")):
        mark = folder / CHECKOUT_MARK
        if folder == mine or not folder.is_dir() or folder.is_symlink() or not mark.is_file():
            continue
        checkout = Path(mark.read_text().strip())
        if not checkout.is_absolute() or checkout.exists():
            continue
        inside = str(folder.resolve()) + "/"
        if any(m == inside[:-1] or m.startswith(inside) for m in mounts):
            continue  # a build of it is running, or died with /proc or /sys mounted
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _mount_points() -> list[str]:
    with open("/proc/self/mounts", encoding="utf-8") as f:
        return [line.split()[1].replace("\\040", " ") for line in f if line.strip()]


def _ids(root: Path) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for line in (root / "etc" / "passwd").read_text().splitlines():
        name, _, uid, gid, *_ = line.split(":")
        out[name] = (int(uid), int(gid))
    return out


def _tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            total += (st.st_blocks * 512) if st.st_nlink == 1 else st.st_size
    return total


# -- hooks: run by mmdebstrap inside its build, with the target root as argument ----------


def hook_essential(root: Path) -> None:
    """Before the kernel is installed: the Pi's boot settings (root by label, ro), and
    initramfs generation deferred to one run at the end."""
    arch = os.environ["KIOSK_ARCH"]
    extra = HERE / f"overlay-{arch}"
    if extra.is_dir():
        shutil.copytree(extra, root, dirs_exist_ok=True)
    chroot(
        root,
        "dpkg-divert --quiet --local --rename --divert /usr/sbin/update-initramfs.kiosk-real"
        " --add /usr/sbin/update-initramfs\n"
        "printf '#!/bin/sh\\necho \"update-initramfs: deferred by image-build\"\\n'"
        " > /usr/sbin/update-initramfs\nchmod 755 /usr/sbin/update-initramfs",
    )


def hook_customize(root: Path) -> None:
    arch = os.environ["KIOSK_ARCH"]
    log(f"  customize: overlay, systemd/, users, venv, initramfs ({arch})")
    shutil.copytree(HERE / "overlay", root, dirs_exist_ok=True, symlinks=True)
    units = install_systemd_dir(REPO / "systemd", root)
    run(["systemd-sysusers", f"--root={root}"])
    _install_venv(root)
    # one initramfs run, now that the kernel, udev and the fstab are all in place
    chroot(
        root,
        "rm -f /usr/sbin/update-initramfs\n"
        "dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs\n"
        "update-initramfs -c -k all",
    )
    if arch == "arm64":
        # copies kernel and initrd to /boot/firmware, writes config.txt and cmdline.txt
        chroot(
            root,
            "for v in /lib/modules/*; do\n"
            "  /etc/kernel/postinst.d/z50-raspi-firmware $(basename $v)\ndone",
        )
    boot = root / "boot" / "firmware"
    boot.mkdir(parents=True, exist_ok=True)
    for name in ("kiosk.toml", "provision.toml"):
        shutil.copy(HERE / "boot" / name, boot / name)
    _enable(root, units)
    _scrub(root)


def install_systemd_dir(src: Path, root: Path) -> list[str]:
    """Everything under systemd/, by folder: units, their drop-ins, udev rules, tmpfiles,
    manager drop-ins. Returns the unit names that have an [Install] section."""
    unit_dir = root / "usr" / "lib" / "systemd" / "system"
    enable: list[str] = []
    for path in sorted(src.iterdir()):
        if path.is_file() and path.name.endswith(UNIT_SUFFIXES):
            shutil.copy(path, unit_dir / path.name)
            (unit_dir / path.name).chmod(0o644)
            if "[Install]" in path.read_text():
                enable.append(path.name)
        elif path.is_dir() and path.name.endswith(tuple(s + ".d" for s in UNIT_SUFFIXES)):
            shutil.copytree(path, unit_dir / path.name, dirs_exist_ok=True)
        elif path.is_dir() and path.name in SYSTEMD_DIRS:
            dest = root / SYSTEMD_DIRS[path.name]
            dest.mkdir(parents=True, exist_ok=True)
            for f in sorted(path.iterdir()):
                if f.is_file() and not f.name.endswith(".md"):
                    shutil.copy(f, dest / f.name)
                    (dest / f.name).chmod(0o644)
        elif path.is_dir():
            raise StageFailed(
                f"systemd/{path.name}/: no place for it in the image (build.py SYSTEMD_DIRS)"
            )
    log(f"  systemd/: units with [Install]: {', '.join(enable) or 'none'}")
    return enable


def _install_venv(root: Path) -> None:
    wheels = Path(os.environ["KIOSK_WHEELS"])
    stage = root / "tmp" / "kiosk-build"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(wheels, stage / "wheels")
    src = stage / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for pkg in ("appliance", "drivers", "ui", "headoffice"):
        shutil.copytree(
            REPO / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    extra = [
        line.split("#", 1)[0].strip()
        for line in (HERE / "packages" / "python-extra.txt").read_text().splitlines()
    ]
    extra = [e for e in extra if e]
    # offline: only the wheelhouse; the kiosk itself is built from its source here
    chroot(
        root,
        "python3 -m venv /opt/kiosk/venv\n"
        "/opt/kiosk/venv/bin/pip install --quiet --no-index --find-links /tmp/kiosk-build/wheels"
        " --disable-pip-version-check --no-cache-dir /tmp/kiosk-build/src "
        + " ".join(shlex.quote(e) for e in extra)
        + "\n/opt/kiosk/venv/bin/python -m compileall -q /opt/kiosk/venv/lib >/dev/null || true",
    )
    shutil.rmtree(stage)
    (root / "opt" / "kiosk" / "docs").mkdir(exist_ok=True)
    for doc in ("install.md", "config.md", "doctor.md"):
        if (REPO / "docs" / doc).exists():
            shutil.copy(REPO / "docs" / doc, root / "opt" / "kiosk" / "docs" / doc)


def _enable(root: Path, units: list[str]) -> None:
    own = [
        "kiosk-provision.service",
        "systemd-networkd.service",
        "systemd-resolved.service",
        "systemd-timesyncd.service",
    ]
    run(["systemctl", f"--root={root}", "enable", "--quiet", *own, *units])
    # no SSH unless provision.toml asks; no package updates on a lane (a new image instead)
    off = ["ssh.service", "apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer"]
    run(["systemctl", f"--root={root}", "disable", "--quiet", *off])
    run(["systemctl", f"--root={root}", "set-default", "--quiet", "graphical.target"])


def _scrub(root: Path) -> None:
    """Nothing machine-specific or secret ships: no SSH host keys, no machine id."""
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc" / "machine-id").write_text("")
    (root / "var" / "lib" / "dbus" / "machine-id").unlink(missing_ok=True)
    for folder in ("var/lib/apt/lists", "var/cache/apt", "var/log", "tmp", "var/tmp"):
        target = root / folder
        if target.is_dir():
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    (root / "var" / "lib" / "apt" / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    # timesyncd starts from this mtime until it has synced once (no RTC on a Pi)
    epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    clock = root / "usr" / "lib" / "clock-epoch"
    clock.touch()
    os.utime(clock, (epoch, epoch))
    (root / "etc" / "kiosk-image-id").write_text(
        f"kiosk-{os.environ['KIOSK_VERSION']} {os.environ['KIOSK_ARCH']}"
        f" built {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))}\n"
    )
    data = root / "var" / "lib" / "kiosk"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    # the fstab's bind mount point, and the StateDirectory= folders of systemd's own
    # services: on a read-only root they must exist already (logind will not start without
    # linger/); what they would keep there is lost at power-off, and that is fine
    for state in ("timesync", "linger", "rfkill", "backlight", "coredump", "pstore"):
        (root / "var" / "lib" / "systemd" / state).mkdir(parents=True, exist_ok=True)


def hook_wheels(root: Path, dest: Path) -> None:
    """In the throwaway build chroot: one wheel per locked dependency, for this arch."""
    w = root / "w"
    w.mkdir()
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    # the host's CA bundle: it may trust a TLS-inspecting proxy between here and PyPI
    shutil.copy(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"), w / "ca.crt")
    shutil.copy(REPO / "requirements.lock", w / "requirements.lock")
    shutil.copy(HERE / "packages" / "python-extra.txt", w / "python-extra.txt")
    src = w / "src"
    src.mkdir()
    shutil.copy(REPO / "pyproject.toml", src / "pyproject.toml")
    shutil.copy(REPO / "README.md", src / "README.md")
    for pkg in ("appliance", "drivers", "ui", "headoffice"):
        (src / pkg).mkdir()
        (src / pkg / "__init__.py").write_text("")
    chroot(
        root,
        "python3 -m venv /w/venv\n"
        "export PIP_CERT=/w/ca.crt\n"
        "/w/venv/bin/pip wheel --quiet --disable-pip-version-check -w /w/wheels"
        " -c /w/requirements.lock -r /w/python-extra.txt /w/src 'setuptools>=68' wheel\n"
        "rm -f /w/wheels/kiosk-*.whl",
    )
    for wheel in (w / "wheels").iterdir():
        shutil.copy(wheel, dest / wheel.name)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hook"]:
        kind, root = args[1], Path(args[2])
        try:
            if kind == "essential":
                hook_essential(root)
            elif kind == "customize":
                hook_customize(root)
            elif kind == "wheels":
                hook_wheels(root, Path(args[3]))
            else:
                raise StageFailed(f"unknown hook {kind}")
        except (StageFailed, OSError) as exc:
            log(f"[image] hook {kind} FAILED: {exc}")
            return 1
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=("amd64", "arm64"), required=True)
    parser.add_argument("--xz", action="store_true", help="also write .img.xz and .img.bmap")
    parser.add_argument("--out", type=Path, help="output folder (default image-build/out/ARCH)")
    parser.add_argument(
        "--reuse-rootfs",
        action="store_true",
        help="developers: reassemble the disk from the last build's root tree (no mmdebstrap)",
    )
    opts = parser.parse_args(args)
    out = (opts.out or OUT / opts.arch).resolve()
    return Build(opts.arch, opts.xz, out, opts.reuse_rootfs).run()


if __name__ == "__main__":
    sys.exit(main())

"""The arm64 SD-card image's own kernel and root file system, booted under
qemu-system-aarch64 -M virt (make image-test-arm64): all but the Pi firmware stage, which
image-build/build.py checks statically (config.txt, cmdline.txt, start4.elf, DTBs).

One boot for the whole module; each test asserts one thing a technician or a shopper would
notice, from the CI-REPORT lines the guest wrote (tests/image/guest/run.sh).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.image import checks
from tests.image.vm import Boot, boot, write_figures

ARCH = "arm64"
pytestmark = pytest.mark.image


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Boot]:
    work: Path = tmp_path_factory.mktemp("arm64-boot")
    result = boot(ARCH, work, timeout_s=1500)
    write_figures(result)
    yield result


for _name in checks.__all__:
    globals()[_name] = getattr(checks, _name)

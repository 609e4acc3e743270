"""The amd64 twin of the SD-card image, booted under qemu-system-x86_64: the same recipe,
packages, units and venv as the Pi image, with Debian's amd64 kernel (make image-test).

One boot for the whole module; each test asserts one thing a technician or a shopper would
notice, from the CI-REPORT lines the guest wrote (tests/image/guest/run.sh).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.image import checks
from tests.image.vm import Boot, boot, write_figures

ARCH = "amd64"
pytestmark = pytest.mark.image


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Boot]:
    work: Path = tmp_path_factory.mktemp("amd64-boot")
    result = boot(ARCH, work, timeout_s=480)
    write_figures(result)
    yield result


for _name in checks.__all__:
    globals()[_name] = getattr(checks, _name)

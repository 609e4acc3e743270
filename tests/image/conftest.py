"""The image boot tests run only from `make image-test` / `make image-test-arm64`, which
build the image first (as root, minutes): a plain `pytest` skips them."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "image: boots the built disk image under qemu")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wanted = os.environ.get("KIOSK_IMAGE_TEST", "")
    for item in items:
        arch = getattr(item.module, "ARCH", None)
        if arch is not None and arch not in wanted.split(","):
            item.add_marker(
                pytest.mark.skip(reason=f"make image-test{'-arm64' * (arch == 'arm64')}")
            )

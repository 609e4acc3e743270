"""Fixtures shared by the test rings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import Broker, BrokerError, mosquitto_path


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real mosquitto on a free loopback port, without persistence, ended after the test.

    Missing mosquitto is a failure, not a skip: `make test` installs it.
    """
    try:
        mosquitto_path()
    except BrokerError as exc:
        pytest.fail(str(exc))
    with Broker(tmp_path / "broker") as running:
        yield running

"""The functional core cannot import hardware, I/O, time or threads: the lint rule bites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).parent / "ruff"


def _ruff_on(source: str, filename: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "TID251", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    "source",
    [
        "import time\n",
        "from time import monotonic\n",
        "import threading\n",
        "import sqlite3\n",
        "import pygame\n",
        "from gpiozero import LED\n",
        "import paho.mqtt.client\n",
        "from escpos.printer import Dummy\n",
        "import os\n",
        "from datetime import datetime\ndatetime.now()\n",
        "from appliance.shell import store\n",
    ],
)
def test_banned_import_in_core_fails_lint(source: str) -> None:
    """GIVEN a core module that reaches for I/O WHEN ruff checks it THEN lint fails (TID251)."""
    result = _ruff_on(source, "appliance/core/probe.py")
    assert result.returncode == 1
    assert "TID251" in result.stdout


def test_same_import_outside_core_is_allowed() -> None:
    """GIVEN the shell importing time WHEN ruff checks it THEN the core's ban does not apply."""
    result = _ruff_on("import time\n\nprint(time.monotonic())\n", "appliance/shell/probe.py")
    assert result.returncode == 0, result.stdout


def test_the_real_core_passes() -> None:
    """GIVEN the committed core WHEN linted THEN it is clean (no banned import slipped in)."""
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "appliance/core"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout

"""python-escpos's capability cache lives in one lasting place, not a new temp dir per start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = "import os, drivers.receipt_layout; print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])"


def start(home: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env |= {"HOME": str(home), "XDG_CACHE_HOME": ""}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def test_two_starts_share_one_capability_cache_in_the_users_cache(tmp_path: Path) -> None:
    """GIVEN a user whose home is the data partition (the kiosk user's is /var/lib/kiosk)
    WHEN the drivers are imported twice THEN both use <home>/.cache/kiosk/escpos, where the
    first left the parsed capabilities for the second."""
    first, second = start(tmp_path), start(tmp_path)
    assert first == second == tmp_path / ".cache" / "kiosk" / "escpos"
    assert list(first.glob("*.capabilities.pickle"))

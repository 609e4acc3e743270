"""Hardware adapters (one per port in appliance/ports.py) and their simulated twins.

python-escpos parses its printer capability list (a large YAML file) when it is first
imported, about 0.2 s here, and caches the result in a pickle in a *new* temporary
directory each time: never reused, and one directory left behind per start. Before any
driver imports escpos, point that cache at one lasting place (the service sets
ESCPOS_CAPABILITIES_PICKLE_DIR on the data partition; elsewhere the user's cache).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _escpos_cache() -> str:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for place in (base / "kiosk" / "escpos", Path(tempfile.gettempdir()) / "kiosk-escpos"):
        try:
            place.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(place, os.W_OK):
            return str(place)
    return tempfile.gettempdir()


if not os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR"):
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = _escpos_cache()

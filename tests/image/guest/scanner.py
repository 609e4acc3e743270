"""Test image only: a USB barcode scanner made of uinput, typing the codes it is given.

python scanner.py CODE... : creates the keyboard node (vendor:product 05e0:1200, named like
a scanner), waits until the kiosk has grabbed it, then types each code and Enter as a
keyboard-wedge scanner does (a few ms a key), one code every 2 s, prints "typed all", and
stays plugged in until it is killed (its node going away is the scanner being unplugged).
"""

from __future__ import annotations

import subprocess
import sys
import time

from evdev import UInput, ecodes

KEYS = {str(d): getattr(ecodes, f"KEY_{d}") for d in range(10)}


def grabbed(path: str) -> bool:
    """The kiosk logs "scanner 05e0:1200 attached: <name> (<path>)" once it holds the node."""
    out = subprocess.run(
        ["journalctl", "-u", "kiosk.service", "-o", "cat", "--no-pager", "-g", "attached"],
        capture_output=True,
        text=True,
    ).stdout
    return f"({path})" in out


def main(codes: list[str]) -> int:
    caps = {ecodes.EV_KEY: [*KEYS.values(), ecodes.KEY_ENTER, ecodes.KEY_LEFTSHIFT]}
    with UInput(caps, name="CI Virtual Barcode Scanner", vendor=0x05E0, product=0x1200) as ui:
        path = ui.device.path
        deadline = time.monotonic() + 60
        while not grabbed(path):
            if time.monotonic() > deadline:
                print(f"scanner: {path} never grabbed by the kiosk", flush=True)
                return 1
            time.sleep(0.2)
        print(f"scanner: {path} grabbed by the kiosk", flush=True)
        for code in codes:
            for key in [KEYS[c] for c in code] + [ecodes.KEY_ENTER]:
                ui.write(ecodes.EV_KEY, key, 1)
                ui.syn()
                ui.write(ecodes.EV_KEY, key, 0)
                ui.syn()
                time.sleep(0.004)
            print(f"scanner: typed {code}", flush=True)
            time.sleep(2)
        print("scanner: typed all", flush=True)
        while True:
            time.sleep(60)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

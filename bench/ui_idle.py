"""Idle cost of the UI: the kiosk on its welcome screen vs a plain 60-fps pygame loop.

Issue 6: render only when something changed; idle on the welcome screen must use under
1 % of one core, measured over 10 s from /proc, against a plain 60-fps pygame loop
measured in the same run. Both run headless (SDL's dummy driver) in child processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Result, compare

REPO = Path(__file__).resolve().parents[1]
SETTLE_S = 3.0
WINDOW_S = 10.0

PLAIN_LOOP = """
import os, pygame
os.environ["SDL_VIDEODRIVER"] = "dummy"
pygame.display.init(); screen = pygame.display.set_mode((800, 480))
clock = pygame.time.Clock()
while True:
    pygame.event.pump(); screen.fill((30, 40, 50)); pygame.display.flip(); clock.tick(60)
"""


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _share_of_one_core(argv: list[str]) -> float:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(SETTLE_S)  # start-up is not idle
        before, started = _cpu_s(proc.pid), time.monotonic()
        time.sleep(WINDOW_S)
        used, elapsed = _cpu_s(proc.pid) - before, time.monotonic() - started
        return 100.0 * used / elapsed
    finally:
        proc.terminate()  # SDL turns SIGTERM into a QUIT event: the kiosk stops on it
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # the plain loop reads no events: end it
            proc.kill()
            proc.wait(timeout=5)


def run() -> list[Result]:
    data = Path(tempfile.mkdtemp(prefix="ui-idle-"))
    try:
        kiosk = _share_of_one_core(
            [
                sys.executable,
                "-m",
                "appliance",
                "run",
                "--sim",
                "--headless",
                "--data-dir",
                str(data),
            ]
        )
        plain = _share_of_one_core([sys.executable, "-c", PLAIN_LOOP])
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return [
        compare(
            "Kiosk idle on the welcome screen, CPU (% of one core over 10 s)",
            kiosk,
            "%",
            "a plain 60-fps pygame loop",
            plain,
            "target: under 1 %",
        ),
    ]

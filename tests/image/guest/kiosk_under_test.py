"""Test image only: `kiosk run` plus a way for the boot test to touch the screen.

The image boot test (tests/image) runs kiosk.service with this as ExecStart through a
drop-in it writes into its copy of the image; the shipped image never has it. It adds two
things to the unchanged `kiosk run`, both under /run/kiosk-ci (RuntimeDirectory=):
- touch: a FIFO; each line names a button id (appliance/core/buttons.py). The button's
  centre, as drawn on the last frame, is posted to SDL as a left click, so the touch
  takes the UI's own path (hit box, staff input, Touched into the inbox).
- state.json: checkout state, basket size and catalog version, rewritten 4 times a second.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

import pygame

from appliance import cli
from ui import app

RUN = Path("/run/kiosk-ci")
log = logging.getLogger("kiosk.ci")
screens: list[app.Touchscreen] = []
_init = app.Touchscreen.__init__


def _remember(self: app.Touchscreen, *args: object, **kwargs: object) -> None:
    _init(self, *args, **kwargs)  # type: ignore[arg-type]
    screens.append(self)


def _touches() -> None:
    fifo = RUN / "touch"
    if not fifo.exists():
        os.mkfifo(fifo, 0o600)
    while True:
        with fifo.open() as f:
            for line in f:
                button = line.strip()
                boxes = screens[-1].renderer.hit_boxes if screens else []
                box = next((b for b in boxes if b.button_id == button), None)
                if box is None:
                    log.warning(
                        "ci: no %r button on screen (%s)", button, [b.button_id for b in boxes]
                    )
                    continue
                log.info("ci: touching %r at %s", button, box.rect.center)
                pygame.event.post(
                    pygame.event.Event(
                        pygame.MOUSEBUTTONDOWN, pos=box.rect.center, button=1, touch=False
                    )
                )


def _states() -> None:
    while True:
        if screens:
            state = screens[-1].kiosk.state
            base = screens[-1].base
            doc = {
                "checkout": state.checkout.name,
                "items": state.basket.item_count,
                "catalog_version": state.catalog_version,
                "screen": getattr(base, "screen", None),
                "notice": state.notice,
            }
            tmp = RUN / "state.json.tmp"
            tmp.write_text(json.dumps(doc))
            tmp.replace(RUN / "state.json")
        time.sleep(0.25)


if __name__ == "__main__":
    app.Touchscreen.__init__ = _remember  # type: ignore[method-assign]
    threading.Thread(target=_touches, daemon=True, name="ci-touch").start()
    threading.Thread(target=_states, daemon=True, name="ci-state").start()
    sys.exit(cli.main(["run", *sys.argv[1:]]))

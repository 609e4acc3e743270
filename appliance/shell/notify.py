"""sd_notify: tell systemd the kiosk is ready, and ping its watchdog from the main loop.

The protocol is one datagram per message to the AF_UNIX socket named in $NOTIFY_SOCKET
(sd_notify(3)); a name starting with '@' is in the abstract namespace. Without the
variable (a developer's machine, tests) every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self, env: Mapping[str, str] | None = None, monotonic: Callable[[], float] | None = None
    ) -> None:
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        usec = env.get("WATCHDOG_USEC", "")
        # ping at half the watchdog period, as systemd.service(5) advises
        self.ping_every_s = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._monotonic = monotonic
        self._last_ping_at: float | None = None
        self._sock: socket.socket | None = None
        if self._address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def send(self, message: str) -> None:
        if self._sock is None:
            return
        try:
            self._sock.sendto(message.encode(), self._address)
        except OSError as exc:
            log.warning("sd_notify %r failed: %s", message, exc)

    def ready(self, status: str = "") -> None:
        self.send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def ping(self, now: float) -> None:
        """WATCHDOG=1 when half the watchdog period has passed since the last ping."""
        if self.ping_every_s is None:
            return
        if self._last_ping_at is None or now - self._last_ping_at >= self.ping_every_s:
            self.send("WATCHDOG=1")
            self._last_ping_at = now

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

"""A real mosquitto on a free loopback port for integration tests, and a probe client.

Never port 1883: that is the machine's own broker. Each Broker owns its config, its
persistence directory and its log in a temporary directory, and ends only its own process.
"""

from __future__ import annotations

import os
import pwd
import queue
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

MOSQUITTO = "/usr/sbin/mosquitto"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class BrokerError(RuntimeError):
    pass


def mosquitto_path() -> str:
    """The broker binary, or BrokerError saying how to get it."""
    found = MOSQUITTO if os.access(MOSQUITTO, os.X_OK) else shutil.which("mosquitto")
    if found is None:
        raise BrokerError(
            f"mosquitto is not installed (looked for {MOSQUITTO}); "
            "run `make test`, which installs it, or `apt-get install mosquitto`"
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Broker:
    """`with Broker(tmp_path) as broker:` starts it; `broker.port` is where it listens.

    By default one plain listener that lets anyone in. `listeners` replaces that with the
    caller's own listener and security lines (TLS, acl_file: tests/integration/
    test_tls_acl.py); `port` then names the listener the start waits for and `broker.port`
    reports. Persistence, logging and the user line are added either way.
    """

    def __init__(
        self,
        workdir: Path,
        persistence: bool = False,
        *,
        listeners: str | None = None,
        port: int | None = None,
    ) -> None:
        if (listeners is None) != (port is None):
            raise ValueError("give listeners and port together")
        self.workdir = workdir
        self.persistence = persistence
        self._listeners = listeners
        self.port = port if port is not None else free_port()
        self.host = "127.0.0.1"
        self.log_path = workdir / "mosquitto.log"
        self._conf = workdir / "mosquitto.conf"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._closed = False
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "persistence").mkdir(exist_ok=True)
        self._write_conf()
        self.start()

    def _write_conf(self) -> None:
        if self._listeners is None:
            security = [f"listener {self.port} 127.0.0.1", "allow_anonymous true"]
        else:
            security = [self._listeners]
        lines = [
            *security,
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.workdir / 'persistence'}/",
            "set_tcp_nodelay true",  # as docs/mosquitto/mosquitto.conf: no Nagle delay
            "max_queued_messages 250000",  # as docs/mosquitto/mosquitto.conf: none dropped
            "log_dest stderr",
            "log_type all",
        ]
        if os.geteuid() == 0:
            # as root mosquitto would switch to the `mosquitto` user, which cannot write here
            lines.append(f"user {pwd.getpwuid(0).pw_name}")
        self._conf.write_text("\n".join(lines) + "\n")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [mosquitto_path(), "-c", str(self._conf)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._reap()
                raise BrokerError(f"mosquitto exited at start:\n{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise BrokerError(f"mosquitto did not listen on {self.port} in time:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM and wait: mosquitto saves its persistence file on the way out."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: a crash; only what was already saved survives."""
        self._end(signal.SIGKILL)

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def _end(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            os.kill(proc.pid, sig)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(STOP_TIMEOUT_S)
        self._reap()

    def _reap(self) -> None:
        if self._proc is not None:
            self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.stop()

    def __enter__(self) -> Broker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Probe:
    """A plain MQTT 5 client that records what it receives on `filters`, for assertions."""

    def __init__(self, broker: Broker, filters: Iterable[str] = (), client_id: str = "") -> None:
        self.received: queue.SimpleQueue[mqtt.MQTTMessage] = queue.SimpleQueue()
        self._filters = list(filters)
        self._ready: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = lambda client, userdata, msg: self.received.put(msg)
        self._client.connect(broker.host, broker.port, keepalive=30)
        self._client.loop_start()
        try:
            self._ready.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self.close()
            raise BrokerError("probe did not connect and subscribe in time") from None

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, p: Any) -> None:
        if self._filters:
            client.subscribe([(f, 1) for f in self._filters])
        else:
            self._ready.put(True)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, codes: list[ReasonCode], p: Any
    ) -> None:
        self._ready.put(not any(code.is_failure for code in codes))

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """QoS 1, returns once the broker has it."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(START_TIMEOUT_S)

    def expect(
        self, match: Callable[[mqtt.MQTTMessage], bool], timeout_s: float = 5.0
    ) -> mqtt.MQTTMessage:
        """The next received message that `match`es (others are skipped); AssertionError."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.received.get(timeout=left)
            except queue.Empty:
                break
            if match(message):
                return message
        raise AssertionError(f"no matching message within {timeout_s} s")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        # break the callback cycle, or paho's socket pair waits for the garbage collector
        # (eclipse-paho/paho.mqtt.python#627) and filterwarnings=error sees it unclosed
        self._client.on_connect = self._client.on_subscribe = self._client.on_message = None


def on_topic(topic: str) -> Callable[[mqtt.MQTTMessage], bool]:
    return lambda message: message.topic == topic

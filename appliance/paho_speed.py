"""paho-mqtt 2.2, made cheaper per packet: its MQTT 5 objects, its reads, its wake-ups.

The backlog drain of issue 7 (docs/benchmarks.md) is bound by the CPU of `headoffice
ingest`, whose network thread is paho, and of the kiosk's reporter. paho 2.2 spends there:

- a `Properties` for every PUBLISH received, a `Properties` and two `ReasonCode`s for every
  PUBACK: each `Properties()` rebuilds its tables of 27 property names and types (27
  `list.index` calls) and `clear()`s itself (27 `str.replace` and `hasattr`), each
  `ReasonCode()` copies a 45-entry dict and searches it. About 16 µs of the ~41 µs paho took
  to take in one PUBLISH here.
- one packet per `select()` on a client that mostly receives (`loop_read` reads as many
  packets as it has messages of its own in flight), and five `recv()` calls per packet (the
  command byte, each length byte, the rest).
- a wake-up byte to its network thread for every packet queued from another thread: a
  `send()` and a wake-up per PUBACK of the ingest's round, per PUBLISH of the kiosk's;
  and then a `send()` of its own for every packet, on loopback the TCP path of both ends.

`apply()` replaces seven methods with equivalents: `Properties.__init__` and `clear` share
the tables, which paho only ever reads; `ReasonCode.__init__` remembers the id of each
(packet type, name); `Client._sock_recv` serves paho's small reads from one 64 KB read,
kept per socket (a reconnect starts empty); `Client.loop_read` reads every packet that has
arrived (the broker's flow control bounds how many); `Client._packet_queue` wakes the
network thread only when its queue was empty; `Client._packet_write` sends the queued
packets that need nothing after their write (all but a QoS 0 PUBLISH and a DISCONNECT)
joined, up to WRITE_BATCH in one `send()`. The same attributes, errors, packets and
callbacks; fewer system calls (ingest per event: 4.2 recv, 2 send and 0.7 select before,
0.1, 0.4 and 0.03 after; the kiosk's futex calls, its two threads handing the GIL to each
other, from 2.1 to 0.15). tests/shell/test_paho_speed.py checks each against paho's own
methods. It applies only to the paho version it was checked against (PAHO_CHECKED); any
other runs as shipped.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, cast

import paho.mqtt
from paho.mqtt.client import DISCONNECT, PUBLISH, Client, MQTTMessageInfo
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

PAHO_CHECKED = "2.2.0"
_OWN = frozenset({"packetType", "types", "names", "properties"})  # Properties' own fields
ORIGINAL: dict[str, Callable[..., Any]] = {
    "Properties.__init__": Properties.__init__,
    "Properties.clear": Properties.clear,
    "ReasonCode.__init__": ReasonCode.__init__,
    "Client._sock_recv": Client._sock_recv,
    "Client.loop_read": Client.loop_read,
    "Client._packet_queue": Client._packet_queue,
    "Client._packet_write": Client._packet_write,
}
READ_CHUNK = 65536  # bytes asked of the socket at once
READ_BURST = 10_000  # packets read at most per loop_read (flow control keeps it far lower)
WRITE_BATCH = 64  # queued packets sent in one send() at most
_applied = False


def apply() -> bool:
    """Install the seven replacements (once; idempotent). False when paho is not the
    version they were checked against, and nothing is changed."""
    global _applied
    if _applied:
        return True
    if paho.mqtt.__version__ != PAHO_CHECKED:
        log.info(
            "paho-mqtt %s, not %s: it runs as shipped (appliance.paho_speed not applied)",
            paho.mqtt.__version__,
            PAHO_CHECKED,
        )
        return False
    template = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho's tables
    tables = {name: template.__dict__[name] for name in ("types", "names", "properties")}

    def properties_init(self: Properties, packetType: int) -> None:
        fields = self.__dict__
        fields["packetType"] = packetType
        fields.update(tables)

    def properties_clear(self: Properties) -> None:
        for name in [name for name in self.__dict__ if name not in _OWN]:
            delattr(self, name)

    reason_ids: dict[tuple[int, str], int] = {}

    def reason_init(
        self: ReasonCode, packetType: int, aName: str = "Success", identifier: int = -1
    ) -> None:
        self.names = type(self).names  # a mappingproxy, read-only everywhere in paho
        self.packetType = packetType
        if identifier != -1:
            self.value = identifier
            self.getName()  # check it's good, as paho does
            return
        if packetType == PacketTypes.DISCONNECT and aName == "Success":
            aName = "Normal disconnection"
        known = reason_ids.get((packetType, aName))
        if known is None:
            self.set(aName)  # paho's search; raises for a name that does not exist
            reason_ids[(packetType, aName)] = self.value
        else:
            self.value = known

    original_recv = ORIGINAL["Client._sock_recv"]

    def sock_recv(self: Client, bufsize: int) -> bytes:
        # [socket, bytes read from it, position]: a new socket (a reconnect) starts empty
        state = self.__dict__.get("_speed_rx")
        if state is None or state[0] is not self._sock:
            state = [self._sock, b"", 0]
            self.__dict__["_speed_rx"] = state
        data, at = state[1], state[2]
        if at >= len(data):
            data = original_recv(self, max(bufsize, READ_CHUNK))  # paho's errors, as raised
            if not data:
                return b""  # the peer closed the connection
            state[1], at = data, 0
        state[2] = min(at + bufsize, len(data))
        return bytes(data[at : state[2]])

    def loop_read(self: Client, max_packets: int = 1) -> MQTTErrorCode:
        for _ in range(READ_BURST):
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def packet_queue(
        self: Client,
        command: int,
        packet: bytes | bytearray,
        mid: int,
        qos: int,
        info: MQTTMessageInfo | None = None,
    ) -> MQTTErrorCode:
        queued = self._out_packet
        # Wake the network thread only when ours is the only packet waiting. With more,
        # the thread is writing them (it writes until none is left, ours included) or
        # will select() on the socket for writing. paho writes a byte for every packet:
        # 100 system calls, and as many wake-ups of the thread, for a round of 100 PUBACKs.
        # Producers take turns (the lock), so of two that fill an empty queue at once the
        # first always sees its packet alone.
        with _queue_lock(self):
            queued.append(_entry(command, mid, qos, packet, info))
            alone = len(queued) == 1
        if alone and self._sockpairW is not None:
            with contextlib.suppress(BlockingIOError):
                self._sockpairW.send(b"0")
        if (
            self._thread is None
            and self._on_socket_register_write is None
            and self._in_callback_mutex.acquire(False)
        ):
            self._in_callback_mutex.release()
            return self.loop_write()
        self._call_socket_register_write()
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    original_write = ORIGINAL["Client._packet_write"]

    def packet_write(self: Client) -> MQTTErrorCode:
        # paho sends each queued packet with a send() of its own; on loopback each is the
        # whole TCP path of both ends. Packets that need nothing after they are written
        # (no QoS 0 PUBLISH, whose info and on_publish paho settles then, no DISCONNECT)
        # go out joined: the same bytes in the same order, one send().
        queued = self._out_packet
        if len(queued) > 1:
            with _queue_lock(self):  # producers wait: the queue is rebuilt in the same order
                waiting = list(queued)
                queued.clear()
                run: list[Any] = []
                for one in waiting:
                    kind = one["command"] & 0xF0
                    if (
                        one["pos"] != 0  # partly sent already
                        or kind == DISCONNECT
                        or (kind == PUBLISH and one["qos"] == 0)
                    ):
                        _put_joined(queued, run)
                        run = []
                        queued.append(one)
                        continue
                    if len(run) == WRITE_BATCH:
                        _put_joined(queued, run)
                        run = []
                    run.append(one)
                _put_joined(queued, run)
        return cast(MQTTErrorCode, original_write(self))

    Client._packet_write = packet_write  # type: ignore[method-assign]
    Client._packet_queue = packet_queue  # type: ignore[method-assign]
    Client._sock_recv = sock_recv  # type: ignore[method-assign]
    Client.loop_read = loop_read  # type: ignore[method-assign]
    Properties.__init__ = properties_init  # type: ignore[method-assign]
    Properties.clear = properties_clear  # type: ignore[method-assign]
    ReasonCode.__init__ = reason_init  # type: ignore[method-assign]
    _applied = True
    return True


def _entry(
    command: int, mid: int, qos: int, packet: bytes | bytearray, info: MQTTMessageInfo | None
) -> Any:
    """A packet as paho queues it (its _OutPacket), not yet sent."""
    return {
        "command": command,
        "mid": mid,
        "qos": qos,
        "pos": 0,
        "to_process": len(packet),
        "packet": packet,
        "info": info,
    }


def _queue_lock(client: Client) -> threading.Lock:
    """The lock under which packets join this client's queue (made on first use)."""
    lock = client.__dict__.get("_speed_queue_lock")
    if lock is None:
        lock = client.__dict__.setdefault("_speed_queue_lock", threading.Lock())
    return cast(threading.Lock, lock)


def _put_joined(queued: Any, run: list[Any]) -> None:
    """One queue entry for these packets: their bytes joined, in order."""
    if len(run) == 1:
        queued.append(run[0])
    elif run:
        blob = b"".join([one["packet"] for one in run])
        queued.append(_entry(run[0]["command"], run[0]["mid"], run[0]["qos"], blob, None))

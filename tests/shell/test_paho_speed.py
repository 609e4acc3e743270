# mypy: disable-error-code="no-untyped-call"
"""appliance.paho_speed: paho's property and reason-code objects, cheaper, and the same.

Every check builds one object with paho's own methods (paho_speed.ORIGINAL) and one with
the installed ones, and compares what paho and our code can see of them: attributes, the
bytes on the wire both ways, errors.
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from typing import Any

import paho.mqtt
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, _ConnectionState
from paho.mqtt.exception import MQTTException
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from appliance import paho_speed

PACKET_TYPES = [
    getattr(PacketTypes, name)
    for name in dir(PacketTypes)
    if name.isupper() and name not in ("INDEXES", "Names")
]
# a value of each wire type (paho's Properties.types order)
SAMPLE = {0: 1, 1: 300, 2: 70_000, 3: 5, 4: b"\x01\x02", 5: "text/json", 6: ("k", "v")}


@pytest.fixture(autouse=True, scope="module")
def applied() -> None:
    assert paho_speed.apply() is True


def as_shipped_properties(packet_type: int) -> Properties:
    made = object.__new__(Properties)
    paho_speed.ORIGINAL["Properties.__init__"](made, packet_type)
    return made


def as_shipped_reason(packet_type: int, *args: Any) -> ReasonCode:
    made = object.__new__(ReasonCode)
    paho_speed.ORIGINAL["ReasonCode.__init__"](made, packet_type, *args)
    return made


def settable(packet_type: int) -> dict[str, Any]:
    """Every property paho allows on this packet type, with a value of its type."""
    template = as_shipped_properties(packet_type)
    out: dict[str, Any] = {}
    for name, ident in template.names.items():
        kind, packets = template.properties[ident]
        if packet_type in packets:
            out[name.replace(" ", "")] = SAMPLE[kind]
    return out


def test_it_is_installed_once_and_only_on_the_checked_paho() -> None:
    assert paho.mqtt.__version__ == paho_speed.PAHO_CHECKED  # requirements.lock pins it
    assert paho_speed.apply() is True  # idempotent
    assert Properties.__init__ is not paho_speed.ORIGINAL["Properties.__init__"]


def test_another_paho_version_is_left_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    for target, method in (
        (Properties, "__init__"),
        (Properties, "clear"),
        (ReasonCode, "__init__"),
    ):
        monkeypatch.setattr(target, method, paho_speed.ORIGINAL[f"{target.__name__}.{method}"])
    monkeypatch.setattr(paho_speed, "_applied", False)
    monkeypatch.setattr(paho.mqtt, "__version__", "9.9.9")
    assert paho_speed.apply() is False
    assert Properties.__init__ is paho_speed.ORIGINAL["Properties.__init__"]
    assert ReasonCode.__init__ is paho_speed.ORIGINAL["ReasonCode.__init__"]


@pytest.mark.parametrize("packet_type", PACKET_TYPES)
def test_properties_carry_the_same_fields_and_bytes(packet_type: int) -> None:
    ours, theirs = Properties(packet_type), as_shipped_properties(packet_type)
    assert vars(ours) == vars(theirs)
    assert ours.pack() == theirs.pack() == b"\x00"
    values = settable(packet_type)
    for name, value in values.items():
        setattr(ours, name, value)
        setattr(theirs, name, value)
    assert ours.pack() == theirs.pack()
    assert str(ours) == str(theirs)
    assert ours.json() == theirs.json()
    wire = theirs.pack()
    back, back_theirs = Properties(packet_type), as_shipped_properties(packet_type)
    assert back.unpack(wire)[1] == back_theirs.unpack(wire)[1] == len(wire)
    assert vars(back) == vars(back_theirs)
    ours.clear()
    paho_speed.ORIGINAL["Properties.clear"](theirs)
    assert vars(ours) == vars(theirs) == vars(Properties(packet_type))
    assert ours.isEmpty()


def test_a_property_the_packet_does_not_take_is_refused_alike() -> None:
    for made in (Properties(PacketTypes.PUBACK), as_shipped_properties(PacketTypes.PUBACK)):
        with pytest.raises(MQTTException, match="does not apply to packet type"):
            made.SessionExpiryInterval = 10
        with pytest.raises(MQTTException, match="must be one of"):
            made.NoSuchThing = 1


def test_a_property_set_on_one_object_is_not_seen_on_another() -> None:
    """The tables are shared; the values are not."""
    first = Properties(PacketTypes.PUBLISH)
    first.MessageExpiryInterval = 30
    assert Properties(PacketTypes.PUBLISH).pack() == b"\x00"
    assert not hasattr(Properties(PacketTypes.PUBLISH), "MessageExpiryInterval")


@pytest.mark.parametrize("packet_type", PACKET_TYPES)
def test_reason_codes_have_the_same_value_name_and_bytes(packet_type: int) -> None:
    names = [
        name
        for table in ReasonCode.names.values()
        for name, packets in table.items()
        if packet_type in packets
    ]
    for args in [(), *((name,) for name in names)]:
        for _ in range(2):  # the first of a kind is searched, the second remembered
            try:
                theirs = as_shipped_reason(packet_type, *args)
            except KeyError:  # no "Success" for this packet type (CONNECT, PINGREQ, ...)
                with pytest.raises(KeyError):
                    ReasonCode(packet_type, *args)
                continue
            ours = ReasonCode(packet_type, *args)
            assert (ours.value, ours.packetType) == (theirs.value, theirs.packetType)
            assert (ours.getName(), str(ours), ours.pack()) == (
                theirs.getName(),
                str(theirs),
                theirs.pack(),
            )
            assert ours == theirs and ours.is_failure == theirs.is_failure


def test_reason_codes_by_number_and_unknown_names_behave_alike() -> None:
    ours = ReasonCode(PacketTypes.PUBACK, identifier=0x87)
    theirs = as_shipped_reason(PacketTypes.PUBACK, "Success", 0x87)
    assert (
        (ours.value, ours.getName())
        == (theirs.value, theirs.getName())
        == (
            0x87,
            "Not authorized",
        )
    )
    assert ReasonCode(PacketTypes.DISCONNECT).getName() == "Normal disconnection"
    for make in (ReasonCode, as_shipped_reason):
        with pytest.raises(KeyError):
            make(PacketTypes.PUBACK, "No such reason")


# -- reading: whole bursts, from a buffer ----------------------------------------------------


def publish_packet(mid: int, payload: bytes) -> bytes:
    """A QoS 1 MQTT 5 PUBLISH on pos/v1/k/k1/evt/sales, as a broker sends it."""
    topic = b"pos/v1/k/k1/evt/sales"
    body = len(topic).to_bytes(2, "big") + topic + mid.to_bytes(2, "big") + b"\x00" + payload
    size, length = len(body), bytearray()
    while True:
        size, digit = divmod(size, 128)
        length.append(digit | (0x80 if size else 0))
        if not size:
            return bytes([0x32]) + bytes(length) + body


class Peer:
    """A paho client whose connection is one end of a socket pair; the test is the broker."""

    def __init__(self) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="t", protocol=mqtt.MQTTv5, manual_ack=True
        )
        self.got: list[tuple[int, bytes]] = []
        self.client.on_message = lambda c, u, m: self.got.append((m.mid, bytes(m.payload)))
        self.connect()

    def connect(self) -> None:
        self.ours, self.broker = socket.socketpair()
        self.ours.setblocking(False)
        self.broker.settimeout(5.0)  # a client that stops reading fails the test, not hangs it
        self.client._sock = self.ours
        self.client._state = _ConnectionState.MQTT_CS_CONNECTED

    def close(self) -> None:
        self.ours.close()
        self.broker.close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    made = Peer()
    yield made
    made.close()


def test_one_read_takes_every_packet_already_there_with_few_system_calls(
    peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """paho 2.2 reads one packet per select() on a client that only receives, five
    recv() calls each; now one loop_read() takes all that has arrived."""
    messages = [(mid, f"sale {mid}".encode() * 40) for mid in range(1, 51)]
    peer.broker.sendall(b"".join(publish_packet(mid, body) for mid, body in messages))
    calls = 0
    real_recv = peer.ours.recv

    def counted(size: int) -> bytes:
        nonlocal calls
        calls += 1
        return real_recv(size)

    monkeypatch.setattr(peer, "ours", _Counted(peer.ours, counted))
    peer.client._sock = peer.ours
    assert peer.client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert peer.got == messages
    assert calls <= 3  # a 64 KB read or two, and the one that finds nothing more


class _Counted:
    def __init__(self, sock: socket.socket, recv: Any) -> None:
        self._sock, self.recv = sock, recv

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


@pytest.mark.parametrize("seed", range(5))
def test_packets_split_anywhere_arrive_whole_and_in_order(peer: Peer, seed: int) -> None:
    rng = random.Random(seed)
    messages = [(mid, rng.randbytes(rng.randrange(0, 3000))) for mid in range(1, 201)]
    stream = b"".join(publish_packet(mid, body) for mid, body in messages)
    at = 0
    while at < len(stream):
        cut = rng.randrange(1, 9000)
        peer.broker.sendall(stream[at : at + cut])
        at += cut
        assert peer.client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert peer.got == messages


def test_a_new_connection_never_reads_what_was_left_of_the_old_one(peer: Peer) -> None:
    peer.broker.sendall(publish_packet(1, b"old") + publish_packet(2, b"old too"))
    assert peer.client._sock_recv(1) == b"\x32"  # the rest of both packets is now buffered
    old = (peer.ours, peer.broker)
    peer.connect()  # a reconnect: a new socket
    peer.broker.sendall(publish_packet(7, b"new"))
    assert peer.client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert peer.got == [(7, b"new")]
    for sock in old:
        sock.close()


def test_a_closed_connection_is_seen_as_lost(peer: Peer) -> None:
    peer.broker.sendall(publish_packet(1, b"last"))
    peer.broker.close()
    assert peer.client.loop_read() == MQTTErrorCode.MQTT_ERR_CONN_LOST
    assert peer.got == [(1, b"last")]


def test_a_round_of_packets_wakes_the_network_thread_once(peer: Peer) -> None:
    """paho writes a wake-up byte for the network thread for every packet it queues (100
    system calls and wake-ups for a round of 100 PUBACKs); now only when the queue was
    empty: with more waiting, the thread is writing them or will select() for writing."""
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    client = peer.client
    client._sockpairW = wake_w
    client._thread = threading.current_thread()  # "threaded": queue, never write here
    try:
        for mid in range(1, 101):
            assert client.ack(mid, 1) == MQTTErrorCode.MQTT_ERR_SUCCESS
        assert wake_r.recv(1000) == b"0"  # one byte for the hundred
        assert len(client._out_packet) == 100
        client._thread = None
        assert client.loop_write() == MQTTErrorCode.MQTT_ERR_SUCCESS  # all of them go
        assert not client._out_packet
        sent = peer.broker.recv(10_000)
        assert sent == b"".join(bytes([0x40, 2]) + mid.to_bytes(2, "big") for mid in range(1, 101))
        client._thread = threading.current_thread()
        client.ack(101, 1)  # the queue was empty again: a new wake-up
        assert wake_r.recv(1000) == b"0"
    finally:
        client._thread = None
        wake_r.close()
        wake_w.close()


def test_queued_packets_go_out_joined_and_a_qos0_publish_is_still_settled(
    peer: Peer,
) -> None:
    """paho sends every queued packet with a send() of its own; now the packets that need
    nothing after their write go out joined (WRITE_BATCH at most), the same bytes in the
    same order. A QoS 0 PUBLISH, which paho marks published and reports to on_publish once
    written, goes on its own."""
    client = peer.client
    sends: list[int] = []
    real_send = peer.ours.send

    def counted(data: bytes) -> int:
        sends.append(len(data))
        return real_send(data)

    client._sock = _Sending(peer.ours, counted)
    published: list[int] = []
    client.on_publish = lambda c, u, mid, rc, props: published.append(mid)
    client._thread = threading.current_thread()  # queue only; the test writes
    try:
        for mid in range(1, 101):
            client.ack(mid, 1)
        info = client.publish("pos/v1/k/k1/telemetry", b"t", qos=0)
        for mid in range(101, 111):
            client.ack(mid, 1)
        client._thread = None
        assert client.loop_write() == MQTTErrorCode.MQTT_ERR_SUCCESS
    finally:
        client._thread = None
    acks = [bytes([0x40, 2]) + mid.to_bytes(2, "big") for mid in range(1, 111)]
    wire = peer.broker.recv(100_000)
    assert wire.startswith(b"".join(acks[:100])) and wire.endswith(b"".join(acks[100:]))
    assert len(sends) == 4  # 64 + 36 PUBACKs, the PUBLISH alone, then 10 PUBACKs
    assert sends[0] == 64 * 4 and sends[1] == 36 * 4 and sends[3] == 10 * 4
    assert info.is_published() and published == [info.mid]


class _Sending:
    def __init__(self, sock: socket.socket, send: Any) -> None:
        self._sock, self.send = sock, send

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

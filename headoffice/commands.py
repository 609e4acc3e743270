"""Head office's side of remote commands: the signing key, its counter, send and await.

The private key never leaves head office (kiosks hold the public key only); its file is
mode 0600 and refused when others can read it, as ssh refuses a private key. The counter
state lives beside the key (`command.key.counter`), locked while it is read and bumped, so
two `headoffice send` at once never sign the same counter. docs/mqtt.md shows the use.
"""

from __future__ import annotations

import fcntl
import os
import queue
import stat
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from appliance import commands, wire
from appliance.broker_tls import TlsError, TlsFiles, secure

KEY_FILE = "command.key"
PUBLIC_KEY_FILE = "command.pub"
COUNTER_SUFFIX = ".counter"
CONNECT_TIMEOUT_S = 10.0


class SendError(RuntimeError):
    """The command could not be handed to the broker; the message says why."""


@dataclass(frozen=True, slots=True)
class Sent:
    cmd_id: str
    topic: str
    counter: int
    expires_at: int  # Unix seconds
    result: dict[str, Any] | None  # the kiosk's `results` body, when awaited and received


def keygen(out_dir: Path) -> tuple[Path, Path]:
    """Write a new key pair: `command.key` (PKCS8 PEM, mode 0600) and `command.pub`
    (SubjectPublicKeyInfo PEM, for every kiosk's trust store). Never overwrites."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / KEY_FILE, out_dir / PUBLIC_KEY_FILE
    if public_path.exists():
        raise FileExistsError(f"{public_path} exists; keys are never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    public_path.chmod(0o644)
    return private_path, public_path


def load_key(path: Path) -> Ed25519PrivateKey:
    """The signing key; ValueError if unreadable, not Ed25519, or readable by others."""
    try:
        mode = path.stat().st_mode
        pem = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the key {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"{path}: mode {stat.filemode(mode)} is too open; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not an unencrypted PKCS8 PEM key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 key")
    return key


def next_counter(key_path: Path, now_ms: int) -> int:
    """The next command counter for this key, persisted before it is used.

    At least the issuing time in milliseconds, so a lost or garbled state file (or a second
    copy of the key elsewhere) still issues counters above those the kiosks have accepted.
    """
    path = key_path.with_name(key_path.name + COUNTER_SUFFIX)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        text = os.read(fd, 64).decode("ascii", errors="replace").strip()
        last = int(text) if text.isdigit() else 0
        counter = max(last + 1, now_ms)
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, f"{counter}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock
    return counter


def command_topic(target: str) -> str:
    group = target.removeprefix("group:")
    return wire.group_command_topic(group) if group != target else wire.command_topic(target)


def send(
    host: str,
    port: int,
    key_path: Path,
    target: str,
    kind: str,
    body: Mapping[str, Any],
    now_s: float,
    expires_in_s: int | None = None,
    wait_s: float | None = None,
    tls: TlsFiles | None = None,
) -> Sent:
    """Sign and publish one command (QoS 1, MQTT message expiry = its lifetime).

    With wait_s, also wait that long for the kiosk's result (one kiosk only) and return
    it, or None if none came. Raises CommandError (a command a kiosk would refuse),
    ValueError (the key) or SendError (the broker, or `tls` files it cannot use).
    """
    if wait_s is not None and target.startswith("group:"):
        raise ValueError("waiting for a result needs one kiosk, not a group")
    key = load_key(key_path)
    counter = next_counter(key_path, int(now_s * 1000))
    command = commands.new_command(
        kind, body, target, counter, int(now_s), str(uuid.uuid4()), expires_in_s
    )
    message = commands.sign(key, command)
    topic = command_topic(target)
    results = wire.event_topic(target, wire.STREAM_RESULTS) if wait_s is not None else None
    lifetime = command["expires_at"] - command["issued_at"]
    result = _publish(host, port, topic, message, lifetime, results, command["cmd_id"], wait_s, tls)
    return Sent(command["cmd_id"], topic, counter, command["expires_at"], result)


def _publish(
    host: str,
    port: int,
    topic: str,
    message: bytes,
    lifetime_s: int,
    results_topic: str | None,
    cmd_id: str,
    wait_s: float | None,
    tls: TlsFiles | None = None,
) -> dict[str, Any] | None:
    # paho's network thread runs the callbacks below; these queues carry what they learn
    ready: queue.SimpleQueue[str | None] = queue.SimpleQueue()  # None: ready, else an error
    results: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"headoffice-send-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv5,
    )
    if tls is not None:
        try:
            secure(client, tls)  # the user name is the certificate's CN
        except TlsError as exc:
            raise SendError(str(exc)) from None

    def on_connect(c: mqtt.Client, u: Any, f: Any, code: ReasonCode, p: Any) -> None:
        if code.is_failure:
            ready.put(f"the broker refused the connection: {code}")
        elif results_topic is not None:
            c.subscribe(results_topic, 1)
        else:
            ready.put(None)

    def on_subscribe(c: mqtt.Client, u: Any, mid: int, codes: list[ReasonCode], p: Any) -> None:
        failed = [str(code) for code in codes if code.is_failure]
        ready.put(f"the broker refused the subscription: {failed}" if failed else None)

    def on_message(c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            envelope = wire.parse_envelope(bytes(msg.payload))
        except wire.WireError:
            return
        if envelope.body.get("cmd_id") == cmd_id:
            results.put(envelope.body)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise SendError(f"cannot reach the broker at {host}:{port}: {exc}") from None
    client.loop_start()
    try:
        try:
            problem = ready.get(timeout=CONNECT_TIMEOUT_S)
        except queue.Empty:
            problem = f"no answer from the broker at {host}:{port}"
        if problem is not None:
            raise SendError(problem)
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho
        props.MessageExpiryInterval = lifetime_s  # hygiene only: the signed expiry rules
        info = client.publish(topic, message, qos=1, retain=False, properties=props)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise SendError(f"not published: {mqtt.error_string(info.rc)}")
        try:
            info.wait_for_publish(CONNECT_TIMEOUT_S)
        except (RuntimeError, ValueError) as exc:
            raise SendError(f"not published: {exc}") from None
        if not info.is_published():
            raise SendError("the broker did not acknowledge the command in time")
        if wait_s is None:
            return None
        try:
            return results.get(timeout=wait_s)
        except queue.Empty:
            return None
    finally:
        client.disconnect()
        client.loop_stop()

"""The reporter: drains the outbox to head office over MQTT 5 and reports acks as events.

Threads: paho's network thread runs the callbacks, which only `emit` events or set the
small flags under `_lock`. The main loop (which owns the store) calls `pump` and
`notice_acked`; the in-flight bookkeeping belongs to it alone, so it needs no lock.

Delivery: PUBACK is flow control only (a broker may PUBACK and then drop). A row leaves
the outbox when head office's application-level ack arrives (ReportAcked →
MarkDelivered). Every new connection, every time head office comes (back) online and
every `resend_after_s` without an ack, sending starts again from the first unacked row;
head office is idempotent, so the duplicates this makes are harmless.

Presence (docs/mqtt.md): before each CONNECT the persisted connection counter (bdSeq) goes
up and the Will says `lost` with it; after CONNACK the status says `online`, at close
`offline`, all with that counter. A birth is due after every connect; the main loop
builds and publishes it (`birth_due`, `publish_birth`), and telemetry (QoS 0).

Commands: the client acknowledges QoS 1 messages by hand (manual_ack). Acks and head
office's state are acknowledged as soon as they are read; a command is only emitted as
CommandReceived, and its PUBACK waits for `ack_command`, which the main loop calls once the
command's outcome is committed: a kiosk that dies before that gets it again.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from appliance import paho_speed, wire
from appliance.broker_tls import TlsFiles, secure
from appliance.core.events import BrokerLinkChanged, CommandReceived, ReportAcked
from appliance.ports import Emit
from appliance.shell import telemetry
from appliance.shell.store import Store

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600  # longer than the longest outage we plan for
MAX_RECONNECT_DELAY_S = 60
CLOSE_TIMEOUT_S = 2.0
# outbox rows published and not yet acknowledged by head office. 400 left the kiosk waiting
# for acks a quarter of the time while it flushed a backlog (head office acks a round of up
# to 100 after each commit); 1,000 keeps the pipe full: the backlog drain 25-50 % faster
# (docs/benchmarks.md), for 1 MB of rows held and paho's queue of 2,000 at most
WINDOW = 1000


class Reporter:
    """Use as a context manager or call close(). `start()` returns at once."""

    def __init__(
        self,
        kiosk_id: str,
        host: str,
        port: int,
        emit: Emit,
        monotonic: Callable[[], float],
        keepalive_s: int = 30,
        window: int = WINDOW,
        resend_after_s: float = 60.0,
        data_dir: Path | None = None,
        store_id: str = "",
        tls: TlsFiles | None = None,
    ) -> None:
        self.kiosk_id = kiosk_id
        self._host = host
        self._port = port
        self._emit = emit
        paho_speed.apply()  # paho 2.2 without its avoidable cost per packet (decision 0002)
        self._monotonic = monotonic
        self._keepalive_s = keepalive_s
        self._window = window
        self._resend_after_s = resend_after_s
        self._ack_topic = wire.ack_topic(kiosk_id)
        self._status_topic = wire.status_topic(kiosk_id)
        # the connection counter lives in data_dir (None: in memory only, for tests)
        self._data_dir = data_dir
        self._command_topics = [wire.command_topic(kiosk_id)]
        if store_id:
            self._command_topics.append(wire.group_command_topic(store_id))

        # written by the network thread, read by the main loop
        self._lock = threading.Lock()
        self._connected = False
        self._headoffice_online = False
        self._epoch = 0  # bumped whenever everything unacked must be sent again
        self._conn_seq = 0  # this connection's counter, as in its Will
        self._connection = 0  # bumped on every CONNACK: which connection a command came on
        self._birth_due = False

        # main loop only: event_id → (outbox row id, monotonic time sent)
        self._in_flight: dict[str, tuple[int, float]] = {}
        self._cursor = 0  # highest outbox row id sent since the last restart
        self._pumped_epoch = -1
        self._started = False
        self._closed = False

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=kiosk_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        if tls is not None:
            # TlsError now, not at connect; the broker's user name is the CN = kiosk_id
            secure(client, tls, kiosk_id)
        # Rows stay in the outbox until acked, so paho never needs to hold more than
        # this connection's window plus what it replays from the last one.
        client.max_queued_messages_set(2 * window)
        # No paho in-flight limit: the window above is the flow control. paho's 20 made the
        # window wait on PUBACKs, and any limit makes paho walk every unacknowledged message
        # at each PUBACK (`_update_inflight`): a step per message out, at every PUBACK.
        client.max_inflight_messages_set(0)
        client.will_set(self._status_topic, wire.online_payload(False, ""), qos=1, retain=True)
        # paho's backoff has no jitter (research §2.6); a random first delay spreads a
        # fleet that lost the same broker. paho annotates int but only does arithmetic.
        client.reconnect_delay_set(cast(int, random.uniform(1.0, 2.0)), MAX_RECONNECT_DELAY_S)
        client.on_pre_connect = self._on_pre_connect
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        self._client = client

    # -- main loop side -------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; reconnects by itself until close()."""
        if self._started or self._closed:
            return
        self._started = True
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self._client.connect_async(
            self._host,
            self._port,
            keepalive=self._keepalive_s,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connected

    @property
    def headoffice_online(self) -> bool:
        with self._lock:
            return self._headoffice_online

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def pump(self, store: Store) -> int:
        """Publish outbox rows not yet in flight, up to the window. Returns how many."""
        with self._lock:
            ready = self._connected and self._headoffice_online and not self._closed
            epoch = self._epoch
        if not ready:
            return 0
        now = self._monotonic()
        if epoch != self._pumped_epoch or self._oldest_is_overdue(now):
            self._in_flight.clear()
            self._cursor = 0
            self._pumped_epoch = epoch
        room = self._window - len(self._in_flight)
        if room <= 0:
            return 0
        sent = 0
        for row in store.outbox_pending(room, after_id=self._cursor):
            info = self._client.publish(wire.event_topic(self.kiosk_id, row.stream), row.payload, 1)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                # disconnected meanwhile (the reconnect resends) or paho's queue is full
                log.debug("outbox row %d not published: %s", row.id, mqtt.error_string(info.rc))
                break
            self._in_flight[row.event_id] = (row.id, now)
            self._cursor = row.id
            sent += 1
        return sent

    def _oldest_is_overdue(self, now: float) -> bool:
        oldest = next(iter(self._in_flight.values()), None)
        if oldest is None or now - oldest[1] < self._resend_after_s:
            return False
        log.warning("no ack from head office for %.0f s: sending again", now - oldest[1])
        return True

    def notice_acked(self, event_ids: Iterable[str]) -> None:
        """Head office has these events: they no longer count against the window."""
        for event_id in event_ids:
            self._in_flight.pop(event_id, None)

    def resend_unacked(self) -> None:
        """Send every unacknowledged row again, from the first (a `resync` command)."""
        with self._lock:
            self._epoch += 1

    def ack_command(self, mid: int, connection: int) -> None:
        """PUBACK a command whose outcome is committed. A delivery from an earlier
        connection is not acknowledged: the broker delivers it again, and it is refused
        then as a replay."""
        with self._lock:
            current = self._connected and connection == self._connection and not self._closed
        if current and mid > 0:  # a QoS 0 delivery has no packet id (0) and no PUBACK
            self._client.ack(mid, 1)

    def birth_due(self) -> int | None:
        """The connection counter when a birth is due (after a connect or `request_birth`),
        once; None otherwise."""
        with self._lock:
            if not (self._birth_due and self._connected) or self._closed:
                return None
            self._birth_due = False
            return self._conn_seq

    def request_birth(self) -> None:
        """Publish the birth again, same counter (a `rebirth` command): not a new session."""
        with self._lock:
            self._birth_due = True

    def publish_birth(self, payload: bytes) -> None:
        """QoS 1, retained: the latest birth of each kiosk stays on the broker."""
        self._client.publish(wire.birth_topic(self.kiosk_id), payload, 1, retain=True)

    def publish_telemetry(self, payload: bytes) -> bool:
        """QoS 0, not retained, and only while connected: paho drops it otherwise anyway,
        and a stale health sample is worth nothing. True if it was handed to paho."""
        if not self.connected:
            return False
        info = self._client.publish(wire.telemetry_topic(self.kiosk_id), payload, 0)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def close(self) -> None:
        """Say offline, disconnect and stop the network thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connected = self._connected
            conn_seq = self._conn_seq
        if connected:
            goodbye = wire.status_payload(False, _now_iso(), conn_seq, "offline")
            info = self._client.publish(self._status_topic, goodbye, qos=1, retain=True)
            try:
                info.wait_for_publish(CLOSE_TIMEOUT_S)
            except (RuntimeError, ValueError) as exc:
                log.warning("offline status not sent: %s", exc)
        self._client.disconnect()
        if self._started:
            self._client.loop_stop()
        # Our bound methods as callbacks make a cycle that leaves the client to the garbage
        # collector, and paho closes its wake-up socket pair only when the client is freed
        # (eclipse-paho/paho.mqtt.python#627): break the cycle so it goes with us.
        client = self._client
        client.on_pre_connect = None
        client.on_connect = client.on_disconnect = client.on_connect_fail = None
        client.on_message = client.on_publish = client.on_subscribe = None

    def __enter__(self) -> Reporter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- network thread side: emit events or set flags, nothing else ----------------------

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        """Right before each CONNECT: a new counter, and the Will that carries it."""
        with self._lock:
            previous = self._conn_seq
        try:
            conn_seq = (
                telemetry.next_connection_counter(self._data_dir)
                if self._data_dir is not None
                else previous + 1
            )
        except OSError as exc:  # disk full: still a new number, though not persisted
            log.error("connection counter not saved: %s", exc)
            conn_seq = previous + 1
        will = wire.status_payload(False, "", conn_seq, "lost")
        client.will_set(self._status_topic, will, qos=1, retain=True)
        with self._lock:
            self._conn_seq = conn_seq

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        # always resubscribe: the session may be gone even when we asked to keep it
        topics = [self._ack_topic, wire.HEADOFFICE_STATE_TOPIC, *self._command_topics]
        client.subscribe([(topic, 1) for topic in topics])
        with self._lock:
            self._connected = True
            self._headoffice_online = False  # until the retained state says otherwise
            self._epoch += 1
            self._connection += 1
            self._birth_due = True
            online = wire.status_payload(True, _now_iso(), self._conn_seq, "online")
        client.publish(self._status_topic, online, 1, retain=True)
        present = flags.session_present
        log.info("connected to %s:%d (session present: %s)", self._host, self._port, present)
        self._emit(BrokerLinkChanged(at=self._monotonic(), connected=True))

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        log.warning("cannot reach the broker at %s:%d; trying again", self._host, self._port)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            was_connected = self._connected
            self._connected = False
            self._headoffice_online = False
            level = logging.INFO if self._closed else logging.WARNING
        if was_connected:
            log.log(level, "disconnected from the broker: %s", reason_code)
            self._emit(BrokerLinkChanged(at=self._monotonic(), connected=False))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # an exception here would kill paho's network thread (research §2.5)
        if message.topic in self._command_topics:
            with self._lock:
                connection = self._connection
            at = self._monotonic()
            self._emit(
                CommandReceived(
                    at=at, payload=bytes(message.payload), mid=message.mid, connection=connection
                )
            )
            return  # acknowledged by ack_command, after its outcome is committed
        try:
            if message.topic == self._ack_topic:
                event_ids = wire.parse_ack(bytes(message.payload))
                self._emit(ReportAcked(at=self._monotonic(), event_ids=event_ids))
            elif message.topic == wire.HEADOFFICE_STATE_TOPIC:
                self._headoffice_state(wire.parse_online(bytes(message.payload)))
            else:
                log.warning("unexpected message on %s", message.topic)
        except wire.WireError as exc:
            log.warning("dropped a malformed message on %s: %s", message.topic, exc)
            if message.topic == wire.HEADOFFICE_STATE_TOPIC:
                self._headoffice_state(False)
        except Exception:
            log.exception("message on %s not handled", message.topic)
        finally:
            if message.qos > 0:  # manual_ack: everything but a command is done with now
                client.ack(message.mid, message.qos)

    def _headoffice_state(self, online: bool) -> None:
        with self._lock:
            if online and not self._headoffice_online:
                self._epoch += 1  # head office may have lost what it had not acked
            self._headoffice_online = online
        log.info("head office is %s", "online" if online else "offline")

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            # the broker took it as acknowledged and will not take it again (MQTT-4.4.0-2);
            # the row stays in the outbox and goes again (reconnect or resend_after_s)
            log.error("broker refused publish %d: %s", mid, reason_code)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        for code in reason_codes:
            if code.is_failure:
                log.error("broker refused a subscription: %s", code)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

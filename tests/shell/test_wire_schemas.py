"""docs/schemas/v1: one JSON Schema per message, held to the code.

What the kiosk and head office write validates; mutated messages are accepted by the
schema exactly when wire.py / appliance.commands accept them (but for the few rules JSON
Schema cannot say, listed in KNOWN_GAPS and docs/mqtt.md); every schema is valid, linked
from docs/mqtt.md, and named for every topic wire.py defines.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from appliance import command_bodies, commands, wire
from appliance.config import Config
from appliance.core.events import CommandReceived
from appliance.core.products import Product
from appliance.core.records import RefundDraft
from appliance.shell import command_log, refunds, telemetry
from appliance.shell.clock import SimClock
from appliance.shell.command_runner import CommandRunner
from appliance.shell.store import Store
from headoffice import commands as ho_commands
from headoffice.reorder import Resync, signed_resync
from tests.support.sales import BREAD, MILK, WALL_AT, commit_sale

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas" / "v1"
MQTT_DOC = ROOT / "docs" / "mqtt.md"
KIOSK = "store12-lane3"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # SimClock's start
NOW_S = int(NOW.timestamp())
WHOLE_MILK = Product("05900012345074", "Whole milk 1 l", 349, 500)  # a valid check digit

# Rules JSON Schema cannot say: the schema accepts, the code refuses with this reason.
KNOWN_GAPS = {
    "envelope": ("do not add up to the total", "do not equal the total"),  # sums of lines
    "command": (commands.Code.BAD_LIFETIME, "appears twice"),  # expires - issued; unique codes
    "command-message": ("the signature does not match", "is not trusted by this kiosk"),
}


def _load_schemas() -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".schema.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMAS.glob("*.schema.json"))
    }


SCHEMA_DOCS = _load_schemas()
REGISTRY: Registry[Any] = Registry().with_resources(
    (doc["$id"], Resource.from_contents(doc)) for doc in SCHEMA_DOCS.values()
)


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMA_DOCS[name], registry=REGISTRY)


def schema_accepts(name: str, doc: Any) -> bool:
    return bool(validator(name).is_valid(doc))


def assert_valid(name: str, doc: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(doc)]
    assert not errors, f"{name}: {errors}\n{doc}"


# -- the code's own verdicts: None when accepted, else the reason ---------------------


def _wire(parse: Callable[[bytes], object]) -> Callable[[Any], str | None]:
    def verdict(doc: Any) -> str | None:
        try:
            parse(json.dumps(doc).encode())
        except wire.WireError as exc:
            return str(exc)
        return None

    return verdict


def command_verdict(doc: Any) -> str | None:
    try:
        commands.check_command(doc)
    except commands.CommandError as exc:
        return str(exc)
    except TypeError as exc:  # a refusal too, if the wrong kind: see test_resync_stream_...
        return f"TypeError: {exc}"
    return None


class Signer:
    """Head office's side as `headoffice send` does it: key file, counter, sign."""

    def __init__(self, keys: Path) -> None:
        private, public = ho_commands.keygen(keys)
        self.key_path = private
        self.key = ho_commands.load_key(private)
        self.trusted = commands.trust_store([public.read_bytes()])

    def command(self, kind: str, body: dict[str, Any], target: str = KIOSK) -> dict[str, Any]:
        counter = ho_commands.next_counter(self.key_path, NOW_S * 1000)
        cmd_id = f"cmd-{kind}-{counter}"
        return commands.new_command(kind, body, target, counter, NOW_S, cmd_id)

    def message(self, kind: str, body: dict[str, Any], target: str = KIOSK) -> bytes:
        return commands.sign(self.key, self.command(kind, body, target))

    def verdict(self, doc: Any) -> str | None:
        message = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        found = commands.verify(message, self.trusted, KIOSK, ["store12"], NOW_S, {})
        return None if isinstance(found, commands.Verified) else f"{found.code}: {found.reason}"


COMMAND_BODIES: dict[str, list[dict[str, Any]]] = {
    "catalog": [
        {"mode": "full", "catalog": {"version": 1, "currency": "EUR", "catalog_version": 7}},
        {
            "mode": "delta",
            "catalog": {
                "version": 1,
                "currency": "PLN",
                "catalog_version": 8,
                "products": [{"gtin": MILK.gtin, "name": "Milk", "price_minor": 129}],
            },
        },
    ],
    "price": [
        {
            "catalog_version": 14,
            "currency": "PLN",
            "rows": [
                {"code": "5900012345074", "price_minor": 359},
                {"code": "7", "price_minor": 0},
            ],
        }
    ],
    "stock-adjust": [{"code": "5900012345074", "delta": -3, "reason": "damaged"}],
    "out-of-service": [{"on": True, "reason": "cleaning"}, {"on": False, "reason": ""}],
    "config": [
        {
            "kiosk.store_name": "Corner shop",
            "kiosk.locale": "pl_PL",
            "kiosk.thank_you_s": 3,
            "kiosk.low_stock_level": 2,
            "printer.timeout_s": 0.5,
            "broker.keepalive_s": 60,
        }
    ],
    "rebirth": [{}],
    "resync": [{"stream": "sales", "from_seq": 120}],
}


class _Link:
    def ack_command(self, mid: int, connection: int) -> None:
        pass

    def request_birth(self) -> None:
        pass

    def resend_unacked(self) -> None:
        pass


class Produced:
    """Every kind of payload, made by the functions that make them in production."""

    def __init__(self, tmp: Path) -> None:
        self.signer = Signer(tmp / "keys")
        self.messages: dict[str, list[Any]] = {name: [] for name in SCHEMA_DOCS}
        self._store_events(tmp)
        self._presence(tmp)
        self._commands()

    def _store_events(self, tmp: Path) -> None:
        store = Store.open(tmp / "kiosk.sqlite3")
        levels = {MILK.gtin: 1, BREAD.gtin: 10, WHOLE_MILK.gtin: 10}
        store.replace_catalog([MILK, BREAD, WHOLE_MILK], (), levels, WALL_AT)
        sale = commit_sale(store, KIOSK)  # takes milk out: a stock alert too
        sold = refunds.find_sale(store, sale.seq, sale.sale_id.replace("-", "")[:8])
        assert sold is not None
        refunds.commit_refund(store, RefundDraft(sold, ((1, 1),)), "staff7", KIOSK, WALL_AT, True)
        for outcome, code in (("applied", "ok"), ("rejected", "replayed"), ("failed", "gone")):
            body = wire.result_body(f"c-{code}", "resync", outcome, code, "x" * 1000)
            with store.transaction():
                command_log.report(store, KIOSK, WALL_AT, True, body)
        config = Config()
        config = replace(config, kiosk=replace(config.kiosk, id=KIOSK, data_dir=str(tmp)))
        runner = CommandRunner(
            config, store, SimClock(NOW, synced=True), self.signer.trusted, _Link(), lambda: True
        )
        adjust = self.signer.message("stock-adjust", COMMAND_BODIES["stock-adjust"][0])
        # applied (a `stock` event and a result), then refused as replayed, then as unsigned
        for mid, payload in enumerate((adjust, adjust, b'{"v":1,"command":"{}"}'), 1):
            runner.handle(CommandReceived(at=float(mid), payload=payload, mid=mid, connection=1))
        for row in store.outbox_pending(1000):
            envelope = json.loads(row.payload)
            self.messages["envelope"].append(envelope)
            body_schema = {
                "sales": "sale-body",
                "refunds": "refund-body",
                "results": "result-body",
                "stock": "stock-body",
            }[envelope["stream"]]
            self.messages[body_schema].append(envelope["body"])
        store.close()

    def _presence(self, tmp: Path) -> None:
        self.messages["ack"] += [
            json.loads(wire.ack_payload(ids)) for ids in (["e1"], [f"e{i}" for i in range(10_000)])
        ]
        self.messages["status"] += [
            json.loads(wire.status_payload(online, since, n, state))
            for online, since, n, state in (
                (True, WALL_AT, 7, "online"),
                (False, "", 7, "lost"),
                (False, WALL_AT, 0, "offline"),
            )
        ]
        self.messages["headoffice-online"] += [
            json.loads(wire.online_payload(True, WALL_AT)),
            json.loads(wire.online_payload(False, "")),
        ]
        for waiting, heads in ((None, {}), (15, {"sales": 311, "stock": 2})):
            birth = telemetry.birth_payload(
                kiosk_id=KIOSK,
                conn_seq=17,
                at=WALL_AT,
                clock_synced=True,
                config=Config(),
                catalog_version=14,
                catalog_waiting=waiting,
                devices={"printer": "ok", "scanner": "lost", "broker": "connected"},
                signal="available",
                outbox_depth=2,
                outbox_heads=heads,
                command_counters={"56475aa75463474c": 1795424400123},
            )
            self.messages["birth"].append(json.loads(birth))
        for proc in (Path("/proc"), tmp / "no-proc"):  # real readings, then none readable
            sample = telemetry.telemetry_payload(
                kiosk_id=KIOSK,
                at=WALL_AT,
                clock_synced=False,
                data_dir=tmp if proc.exists() else tmp / "gone",
                devices={"printer": "paper-low"},
                signal="paper-low",
                outbox_depth=0,
                sales_today=143,
                proc=proc,
                thermal_zone=tmp / "no-thermal",
            )
            self.messages["telemetry"].append(json.loads(sample))

    def _commands(self) -> None:
        for kind, bodies in COMMAND_BODIES.items():
            for body in bodies:
                for target in (KIOSK, "group:store12"):
                    message = json.loads(self.signer.message(kind, body, target))
                    self.messages["command-message"].append(message)
                    self.messages["command"].append(json.loads(message["command"]))
        resync = wire_resync(self.signer.key_path)
        self.messages["command-message"].append(resync)
        self.messages["command"].append(json.loads(resync["command"]))


def wire_resync(key_path: Path) -> dict[str, Any]:
    """The resync head office's ingest sends for a gap (headoffice.reorder)."""
    resync = Resync(kiosk_id=KIOSK, stream="sales", from_seq=5)
    message, _ = signed_resync(key_path, resync, NOW_S)
    loaded: dict[str, Any] = json.loads(message)
    return loaded


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> Produced:
    return Produced(tmp_path_factory.mktemp("wire-schemas"))


# -- (1) what the code writes validates ------------------------------------------------


@pytest.mark.parametrize("name", [n for n in SCHEMA_DOCS if n != "common"])
def test_every_payload_the_code_writes_matches_its_schema(produced: Produced, name: str) -> None:
    messages = produced.messages[name]
    assert messages, f"no {name} payload was produced"
    for message in messages:
        assert_valid(name, message)


def test_the_produced_set_covers_every_stream_outcome_and_kind(produced: Produced) -> None:
    streams = {e["stream"] for e in produced.messages["envelope"]}
    assert streams == {"sales", "refunds", "stock", "results"}  # alerts, audit: none sent yet
    results = produced.messages["result-body"]
    assert {r["outcome"] for r in results} == set(wire.OUTCOMES)
    assert {"replayed", "unsigned"} <= {r["code"] for r in results}
    assert {s["kind"] for s in produced.messages["stock-body"]} == {"out", "adjust"}
    assert {c["kind"] for c in produced.messages["command"]} == set(command_bodies.KINDS)
    readings = [t["uptime_s"] for t in produced.messages["telemetry"]]
    assert None in readings


def test_every_produced_payload_is_accepted_by_the_code_too(produced: Produced) -> None:
    for name, verdict in _verdicts(produced).items():
        for message in produced.messages[name]:
            assert verdict(message) is None, (name, message)


def _verdicts(produced: Produced) -> dict[str, Callable[[Any], str | None]]:
    return {
        "envelope": _wire(wire.parse_envelope),
        "ack": _wire(wire.parse_ack),
        "status": _wire(wire.parse_status),
        "headoffice-online": _wire(wire.parse_online),
        "birth": _wire(wire.parse_birth),
        "telemetry": _wire(wire.parse_telemetry),
        "command": command_verdict,
        "command-message": produced.signer.verdict,
    }


# -- (2) mutated payloads: the schema and the code agree -------------------------------

ASCII = st.characters(min_codepoint=0, max_codepoint=127)
# near the edges the schemas draw: ids, lengths, enums, currencies, signatures
_WORDS = [
    "", "k1", "k 1", "k1\n", "a" * 64, "a" * 65, "r" * 1000, "r" * 1001, "EUR", "eur", "E1R",
    "sales", "alerts", "nope", "online", "lost", "applied", "ok", "full", "delta", "price",
    "open-drawer", "group:store12", "group:", "group:a b", "5900012345074", "123456789012345",
    "56475aa75463474c", "pl_PL", "kiosk.locale", "kiosk.id", "A" * 86 + "==", "A" * 85 + "B==",
]  # fmt: skip
_NUMBERS = [0, 1, -1, 5, 60, 61, 200, 1000, 5000, 5001, 10_000, 10_001, 99_999_999,
            100_000_000, 1_000_000, 1_000_001, -1_000_001, 2**63 - 1, 2**63, -(2**63)]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from(_NUMBERS),
    # 2.0 is an integer to JSON Schema, a float to Python: see test_intended_differences
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    st.text(ASCII, max_size=70),
    st.sampled_from(_WORDS),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=4,
)


def _paths(doc: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*at, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc[:3]):  # 10,000 acked ids need not all be tried
            yield from _paths(value, (*at, i))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def near(value: Any) -> st.SearchStrategy[Any]:
    """Values just either side of the rules `value` meets: off by one, one character more
    or less, another type, null. Uniform random values rarely land on an edge."""
    options: list[Any] = [None, not value if isinstance(value, bool) else True, "", [], {}]
    if isinstance(value, int) and not isinstance(value, bool):
        options += [value - 1, value + 1, -value, 0, 1, -1, str(value), 0.5 + value % 2**52]
    elif isinstance(value, str):
        options += [value[:-1], value + "a", value + "\n", value.lower(), value.upper()]
        options += ["a" * n for n in (63, 64, 65, 80, 81, 200, 201, 1000, 1001)]
        options += [value[:1] + " " + value[1:], value[:1] + "é" + value[2:], 3]
    elif isinstance(value, list):
        options += [value[:0], value[:1], value * 2, [None], [""], [0]]
    elif isinstance(value, dict):
        options += [[value], {k: v for k, v in list(value.items())[1:]}]
    return st.sampled_from(options)


@st.composite
def mutated(draw: st.DrawFn, bases: list[Any]) -> Any:
    """A valid message with one key dropped, one value replaced or one key added."""
    doc = copy.deepcopy(draw(st.sampled_from(bases)))
    paths = list(_paths(doc))
    op = draw(st.sampled_from(["drop", "replace", "replace", "add"]))
    if op == "add":
        objects = [p for p in paths if isinstance(_at(doc, p), dict)]
        target = _at(doc, draw(st.sampled_from(objects)))
        key = draw(st.sampled_from(["extra", "x", "payment", "kiosk.store_name"]) | st.text())
        target[key] = draw(VALUES)
        return doc
    path = draw(st.sampled_from([p for p in paths if p]))
    parent = _at(doc, path[:-1])
    if op == "drop":
        del parent[path[-1]]
    else:
        others = st.sampled_from([_at(doc, p) for p in paths]).map(copy.deepcopy)
        parent[path[-1]] = draw(near(parent[path[-1]]) | VALUES | others)
    return doc


CHECKED = ["envelope", "ack", "status", "headoffice-online", "birth", "telemetry", "command",
           "command-message"]  # fmt: skip


@pytest.mark.parametrize("name", CHECKED)
@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_the_schema_accepts_a_mutated_message_exactly_when_the_code_does(
    produced: Produced, name: str, data: st.DataObject
) -> None:
    bases = produced.messages[name]
    if name == "ack":
        bases = [b for b in bases if len(b["event_ids"]) < 10]
    doc = json.loads(json.dumps(data.draw(mutated(bases))))  # as it crosses the wire
    by_schema = schema_accepts(name, doc)
    refusal = _verdicts(produced)[name](doc)
    if by_schema and refusal is not None:
        gaps = KNOWN_GAPS.get(name, ())
        assert any(str(gap) in refusal for gap in gaps), f"schema accepts, code refuses: {refusal}"
    assert by_schema or refusal is not None, f"schema refuses what the code accepts: {doc}"


def test_bad_payloads_that_wire_rejects_are_rejected_by_the_schema(produced: Produced) -> None:
    """Hand-picked: one missing field, wrong type, extra field or value out of range each."""
    sale = _sale(produced)
    birth, status = produced.messages["birth"][0], produced.messages["status"][0]
    cases: list[tuple[str, Any, Callable[[Any], str | None]]] = [
        ("envelope", _without(sale, "seq"), _wire(wire.parse_envelope)),
        ("envelope", sale | {"seq": 0}, _wire(wire.parse_envelope)),
        ("envelope", sale | {"v": True}, _wire(wire.parse_envelope)),
        ("envelope", sale | {"v": 2}, _wire(wire.parse_envelope)),
        ("envelope", sale | {"kiosk_id": "łódź-1"}, _wire(wire.parse_envelope)),
        ("envelope", sale | {"kiosk_id": "k1\n"}, _wire(wire.parse_envelope)),
        ("envelope", sale | {"stream": "nope"}, _wire(wire.parse_envelope)),
        ("envelope", sale | {"event_id": "e" * 65}, _wire(wire.parse_envelope)),
        ("envelope", _body(sale, currency="A1$"), _wire(wire.parse_envelope)),
        ("envelope", _body(sale, lines=[]), _wire(wire.parse_envelope)),
        ("envelope", _body(sale, sale_seq="17"), _wire(wire.parse_envelope)),
        ("ack", {"v": 1, "event_ids": []}, _wire(wire.parse_ack)),
        ("ack", {"v": 1, "event_ids": ["e"] * 10_001}, _wire(wire.parse_ack)),
        ("ack", {"v": 1, "event_ids": ["e", ""]}, _wire(wire.parse_ack)),
        ("status", status | {"conn_seq": -1}, _wire(wire.parse_status)),
        ("status", status | {"state": "gone"}, _wire(wire.parse_status)),
        ("status", _without(status, "online"), _wire(wire.parse_status)),
        ("birth", birth | {"conn_seq": 2**63}, _wire(wire.parse_birth)),
        ("birth", birth | {"devices": {f"d{i}": "ok" for i in range(65)}}, _wire(wire.parse_birth)),
        ("birth", birth | {"outbox_heads": {"sales": True}}, _wire(wire.parse_birth)),
        ("birth", _without(birth, "catalog_waiting"), _wire(wire.parse_birth)),
        ("telemetry", produced.messages["telemetry"][1] | {"uptime_s": 10**400},
         _wire(wire.parse_telemetry)),
        ("telemetry", produced.messages["telemetry"][1] | {"load_1m": "0.3"},
         _wire(wire.parse_telemetry)),
    ]  # fmt: skip
    command = produced.messages["command"][0]
    cases += [
        ("command", command | {"extra": 1}, command_verdict),
        ("command", command | {"kind": "open-drawer"}, command_verdict),
        ("command", command | {"target": "group:group:x"}, command_verdict),
        ("command", command | {"counter": 0}, command_verdict),
        ("command", command | {"v": True}, command_verdict),
    ]
    for name, doc, verdict in cases:
        assert verdict(doc) is not None, f"the code accepts {name}: {doc}"
        assert not schema_accepts(name, doc), f"the schema accepts {name}: {doc}"


def _sale(produced: Produced) -> dict[str, Any]:
    sale: dict[str, Any] = next(e for e in produced.messages["envelope"] if e["stream"] == "sales")
    return sale


def _without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != key}


def _body(envelope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return envelope | {"body": envelope["body"] | changes}


def test_intended_differences(produced: Produced) -> None:
    """What the schemas cannot say, or say more strictly (docs/mqtt.md lists these)."""
    sale = _sale(produced)
    # JSON has one number type: 2.0 is an integer to JSON Schema, a float that Python refuses
    assert schema_accepts("envelope", sale | {"seq": 2.0})
    assert _wire(wire.parse_envelope)(sale | {"seq": 2.0}) is not None
    # arithmetic across fields: the lines must add up
    wrong_total = _body(sale, total_minor=sale["body"]["total_minor"] + 1)
    assert schema_accepts("envelope", wrong_total)
    assert "do not equal the total" in str(_wire(wire.parse_envelope)(wrong_total))
    # a command's lifetime is expires_at - issued_at
    command = produced.messages["command"][0]
    too_long = command | {"expires_at": command["issued_at"] + commands.MAX_LIFETIME_S + 1}
    assert schema_accepts("command", too_long)
    assert commands.Code.BAD_LIFETIME in str(command_verdict(too_long))
    # appliance.command_bodies takes any upper-case letters as a price's currency (str.isupper)
    price = next(c for c in produced.messages["command"] if c["kind"] == "price")
    accented = price | {"body": price["body"] | {"currency": "ÀÉÎ"}}
    assert command_verdict(accented) is None
    assert not schema_accepts("command", accented)


def test_resync_stream_of_the_wrong_type_is_a_bad_body() -> None:
    """Found by the mutation test: a stream that is not a string was a TypeError (the kiosk
    said `malformed: unreadable`, `headoffice send` showed a traceback)."""
    command = commands.new_command("resync", {"stream": {}, "from_seq": 1}, KIOSK, 1, NOW_S, "c")
    assert not schema_accepts("command", command)
    with pytest.raises(commands.CommandError, match=commands.Code.BAD_BODY):
        commands.check_command(command)


# -- (3) the schemas themselves ---------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_schema_is_valid_versioned_and_linked_from_the_docs(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/v{wire.SCHEMA_VERSION}/{path.name}")
    assert f"](schemas/v1/{path.name})" in MQTT_DOC.read_text(encoding="utf-8")


def test_every_reference_resolves() -> None:
    for schema in SCHEMA_DOCS.values():
        resolver = REGISTRY.resolver(base_uri=schema["$id"])
        for ref in re.findall(r'"\$ref":\s*"([^"]+)"', json.dumps(schema)):
            resolver.lookup(ref)  # raises if it points nowhere


def test_the_schemas_name_what_the_code_names() -> None:
    common = SCHEMA_DOCS["common"]["$defs"]
    assert set(common["stream"]["enum"]) == wire.STREAMS
    assert SCHEMA_DOCS["command"]["properties"]["kind"]["enum"] == list(command_bodies.KINDS)
    config_keys = SCHEMA_DOCS["command"]["$defs"]["config"]["propertyNames"]["enum"]
    assert set(config_keys) == command_bodies.CONFIG_KEYS
    outcomes = SCHEMA_DOCS["result-body"]["properties"]["outcome"]["enum"]
    assert tuple(outcomes) == wire.OUTCOMES
    states = SCHEMA_DOCS["status"]["properties"]["state"]["enum"]
    assert tuple(states) == (*wire.STATUS_STATES, None)


# -- (4) the topic table names a schema for every topic ---------------------------------


def wire_topics() -> set[str]:
    """Every topic wire.py defines, with its placeholders as docs/mqtt.md writes them."""
    topics = {value for name, value in vars(wire).items() if name.endswith("_TOPIC")}
    for name, function in inspect.getmembers(wire, inspect.isfunction):
        if name.endswith("_topic") and not name.startswith("parse_"):
            params = inspect.signature(function).parameters
            topics.add(function(*(f"<{p.removesuffix('_id')}>" for p in params)))
    return topics


def test_the_topic_table_names_a_schema_for_every_topic() -> None:
    text = MQTT_DOC.read_text(encoding="utf-8")
    table = text.split("## Topics", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \|(.*)$", table, re.M)}
    topics = wire_topics()
    assert len(topics) == 8
    for topic in topics:
        assert topic in rows, f"{topic} is not in the topic table"
        linked = re.findall(r"\]\(schemas/v1/([a-z-]+\.schema\.json)\)", rows[topic])
        assert linked, f"{topic}: no schema named"
        for name in linked:
            assert (SCHEMAS / name).is_file(), name

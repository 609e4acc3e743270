"""Signed commands from head office: what a kiosk accepts, and every reason it refuses.

A refusal is a verdict, never an exception, and changes nothing: `verify` is pure and the
counters it is given stay as they were.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance import commands
from appliance.command_bodies import MAX_CATALOG_BYTES
from appliance.commands import Code, Rejected, Verified

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEY_ID = commands.key_id(KEY.public_key())
TRUST = {KEY_ID: KEY.public_key()}
KIOSK = "store12-lane3"
GROUPS = ("store12",)
NOW = 1_800_000_000  # Unix seconds
LAST = {KEY_ID: 41}
VALID_BODIES: dict[str, dict[str, Any]] = {
    "catalog": {
        "mode": "delta",
        "catalog": {
            "version": 1,
            "currency": "PLN",
            "catalog_version": 13,
            "products": [{"code": "5900012345074", "name": "Milk", "price": "3.49", "vat": 5}],
        },
    },
    "price": {
        "catalog_version": 14,
        "currency": "PLN",
        "rows": [{"code": "5900012345074", "price_minor": 359}],
    },
    "stock-adjust": {"code": "5900012345074", "delta": -2, "reason": "damaged"},
    "out-of-service": {"on": True, "reason": "cleaning the scanner"},
    "config": {"kiosk.store_name": "Store 12", "kiosk.thank_you_s": 3},
    "rebirth": {},
    "resync": {"stream": "sales", "from_seq": 120},
}


def command(kind: str = "out-of-service", body: Any = None, **fields: Any) -> dict[str, Any]:
    cmd = commands.new_command(
        kind,
        VALID_BODIES.get(kind, {}) if body is None else body,
        target=KIOSK,
        counter=42,
        issued_at=NOW - 10,
        cmd_id="6f1c3e52-0b9e-4d4e-9a57-2b1f0c1d2e3f",
    )
    return cmd | fields


def forge(cmd: dict[str, Any], key: Ed25519PrivateKey = KEY) -> bytes:
    """Signed as given, without the checks `sign` makes: what an attacker or a bug sends."""
    return commands.sign_text(key, commands.canonical(cmd))


def check(
    message: bytes, now: float | None = NOW, last: dict[str, int] | None = None
) -> Verified | Rejected:
    return commands.verify(message, TRUST, KIOSK, GROUPS, now, LAST if last is None else last)


def code_of(verdict: Verified | Rejected) -> str:
    return verdict.code if isinstance(verdict, Rejected) else "accepted"


def envelope(message: bytes, **changes: Any) -> bytes:
    outer = json.loads(message) | changes
    return json.dumps({k: v for k, v in outer.items() if v is not ...}).encode()


# -- accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", commands.KINDS)
def test_a_signed_command_of_every_kind_is_accepted_with_its_fields(kind: str) -> None:
    """GIVEN a command of each kind signed by head office's key for this kiosk
    WHEN the kiosk verifies it THEN it is accepted with the fields head office signed."""
    verdict = check(commands.sign(KEY, command(kind)))

    assert isinstance(verdict, Verified), verdict
    assert (verdict.kind, verdict.counter, verdict.key_id) == (kind, 42, KEY_ID)
    assert verdict.body == VALID_BODIES[kind] and verdict.clock_checked


def test_a_command_for_the_kiosks_store_group_is_accepted() -> None:
    verdict = check(commands.sign(KEY, command(target="group:store12")))
    assert isinstance(verdict, Verified) and verdict.target == "group:store12"


def test_an_issue_time_within_the_clock_skew_allowance_is_accepted() -> None:
    """GIVEN head office's clock 5 minutes ahead WHEN a fresh command arrives THEN accepted."""
    cmd = command(issued_at=NOW + commands.CLOCK_SKEW_S, expires_at=NOW + 3600)
    assert isinstance(check(commands.sign(KEY, cmd)), Verified)


def test_with_an_unsynced_clock_only_capability_reducing_kinds_pass_and_say_so() -> None:
    """GIVEN the kiosk's clock is not synchronised (no NTP yet, no real-time clock)
    WHEN commands arrive THEN out-of-service on, rebirth and resync are accepted on the
    counter alone (flagged), and everything that needs freshness is refused."""
    for kind in ("rebirth", "resync", "out-of-service"):
        verdict = check(commands.sign(KEY, command(kind)), now=None)
        assert isinstance(verdict, Verified) and not verdict.clock_checked
    back_in_service = command(body={"on": False, "reason": ""})
    for message in (commands.sign(KEY, back_in_service), commands.sign(KEY, command("price"))):
        assert code_of(check(message, now=None)) == Code.CLOCK_UNSYNCED


# -- refused -------------------------------------------------------------------------------

GOOD = commands.sign(KEY, command())
GOOD_TEXT = commands.canonical(command())

REFUSALS: list[tuple[str, bytes, str]] = [
    ("empty", b"", Code.MALFORMED),
    ("not JSON", b"{not json", Code.MALFORMED),
    ("not UTF-8", b'{"v":1,"command":"\xff"}', Code.MALFORMED),
    ("a list", b"[1, 2]", Code.MALFORMED),
    ("NaN", b'{"v":NaN}', Code.MALFORMED),
    ("oversized", b" " * (commands.MAX_MESSAGE_BYTES + 1), Code.TOO_LARGE),
    ("oversized but valid", GOOD + b" " * commands.MAX_MESSAGE_BYTES, Code.TOO_LARGE),
    ("message version 2", envelope(GOOD, v=2), Code.UNSUPPORTED_VERSION),
    ("no message version", envelope(GOOD, v=...), Code.UNSUPPORTED_VERSION),
    ("unknown message field", envelope(GOOD, extra=1), Code.MALFORMED),
    ("duplicate field", GOOD[:-1] + b',"v":1}', Code.MALFORMED),
    ("command not a string", envelope(GOOD, command={"kind": "rebirth"}), Code.MALFORMED),
    ("sig a number", envelope(GOOD, sig=12), Code.MALFORMED),
    ("no sig", envelope(GOOD, sig=...), Code.UNSIGNED),
    ("empty sig", envelope(GOOD, sig=""), Code.UNSIGNED),
    ("no key id", envelope(GOOD, key_id=...), Code.UNSIGNED),
    ("untrusted key id", envelope(GOOD, key_id="0123456789abcdef"), Code.UNKNOWN_KEY),
    ("another key", forge(command(), OTHER), Code.UNKNOWN_KEY),
    (
        "another key claiming ours",
        envelope(forge(command(), OTHER), key_id=KEY_ID),
        Code.BAD_SIGNATURE,
    ),
    ("sig not base64", envelope(GOOD, sig="not base64!"), Code.BAD_SIGNATURE),
    ("sig too short", envelope(GOOD, sig="AAAA"), Code.BAD_SIGNATURE),
    (
        "sig of zeros",
        envelope(GOOD, sig=base64.b64encode(bytes(64)).decode()),
        Code.BAD_SIGNATURE,
    ),
    (
        "signature of other bytes",
        envelope(GOOD, command=commands.canonical(command(counter=43)).decode()),
        Code.BAD_SIGNATURE,
    ),
    (
        "non-canonical command",
        commands.sign_text(KEY, json.dumps(command(), indent=1).encode()),
        Code.MALFORMED,
    ),
    (
        "duplicate command field",
        commands.sign_text(KEY, GOOD_TEXT[:-1] + b',"v":1}'),
        Code.MALFORMED,
    ),
    ("command not JSON", commands.sign_text(KEY, b"rebirth"), Code.MALFORMED),
    ("missing field", forge({k: v for k, v in command().items() if k != "counter"}), "malformed"),
    ("unknown field", forge(command(note="hi")), Code.MALFORMED),
    ("command version 2", forge(command(v=2)), Code.UNSUPPORTED_VERSION),
    ("command version true", forge(command(v=True)), Code.UNSUPPORTED_VERSION),
    ("message version true", envelope(GOOD, v=True), Code.UNSUPPORTED_VERSION),
    ("counter as text", forge(command(counter="43")), Code.MALFORMED),
    ("counter as bool", forge(command(counter=True)), Code.MALFORMED),
    ("counter 0", forge(command(counter=0)), Code.MALFORMED),
    ("counter too big", forge(command(counter=2**63)), Code.MALFORMED),
    ("issued_at a float", forge(command(issued_at=NOW + 0.5)), Code.MALFORMED),
    ("body a list", forge(command() | {"body": []}), Code.MALFORMED),
    ("cmd_id with a slash", forge(command(cmd_id="a/b")), Code.MALFORMED),
    ("target not a string", forge(command(target=7)), Code.MALFORMED),
    ("unknown kind", forge(command("reboot")), Code.UNKNOWN_KIND),
    ("foreign kiosk", forge(command(target="store12-lane4")), Code.FOREIGN),
    ("other group", forge(command(target="group:store13")), Code.FOREIGN),
    ("group of one's id", forge(command(target=f"group:{KIOSK}")), Code.FOREIGN),
    ("expired", forge(command(issued_at=NOW - 3600, expires_at=NOW)), Code.EXPIRED),
    (
        "issued in the future",
        forge(command(issued_at=NOW + commands.CLOCK_SKEW_S + 1, expires_at=NOW + 9000)),
        Code.NOT_YET_VALID,
    ),
    ("expires before issued", forge(command(expires_at=NOW - 10)), Code.BAD_LIFETIME),
    (
        "lives longer than 7 days",
        forge(command(expires_at=NOW - 10 + commands.MAX_LIFETIME_S + 1)),
        Code.BAD_LIFETIME,
    ),
    ("replayed counter", forge(command(counter=41)), Code.REPLAYED),
    ("older counter", forge(command(counter=3)), Code.REPLAYED),
]


@pytest.mark.parametrize(
    ("message", "code"), [(m, c) for _, m, c in REFUSALS], ids=[n for n, _, _ in REFUSALS]
)
def test_a_bad_message_is_refused_with_its_code_and_changes_nothing(
    message: bytes, code: str
) -> None:
    """GIVEN a malformed, oversized, wrongly typed, unsigned, forged, foreign, expired or
    replayed message WHEN the kiosk verifies it THEN it is refused with the stable code
    that says why, a human reason, and the accepted counters stay as they were."""
    last = dict(LAST)

    verdict = check(message, last=last)

    assert isinstance(verdict, Rejected), verdict
    assert verdict.code == code, verdict.reason
    assert verdict.reason and last == LAST


@pytest.mark.parametrize(
    "kind",
    ["open-drawer", "drawer", "cash-drawer-open", "OpenDrawer", "till-open", "payout", "refund"],
)
def test_the_cash_drawer_is_never_a_remote_command(kind: str) -> None:
    """GIVEN a perfectly signed, fresh command of a drawer-like kind THEN it is refused as
    forbidden (not just unknown), and head office's `sign` refuses to make one."""
    verdict = check(forge(command(kind, body={})))
    assert code_of(verdict) == Code.FORBIDDEN_KIND
    assert isinstance(verdict, Rejected) and verdict.kind == kind
    with pytest.raises(commands.CommandError) as raised:
        commands.sign(KEY, command(kind, body={}))
    assert raised.value.code == Code.FORBIDDEN_KIND


BAD_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("catalog", {}),
    ("catalog", {"mode": "all", "catalog": VALID_BODIES["catalog"]["catalog"]}),
    ("catalog", {"mode": "full", "catalog": {"version": 2, "currency": "PLN"}}),
    ("catalog", {"mode": "full", "catalog": {"version": 1, "currency": "PLN"}}),  # no version
    (
        "catalog",
        {
            "mode": "full",
            "catalog": {
                "version": 1,
                "currency": "PLN",
                "catalog_version": 3,
                "products": [{"name": "x" * 1000}] * (MAX_CATALOG_BYTES // 1000),
            },
        },
    ),
    ("price", {"catalog_version": 14, "currency": "PLN", "rows": []}),
    ("price", {"catalog_version": 0, "currency": "PLN", "rows": [{"code": "1", "price_minor": 1}]}),
    (
        "price",
        {"catalog_version": 14, "currency": "pln", "rows": [{"code": "1", "price_minor": 1}]},
    ),
    (
        "price",
        {"catalog_version": 14, "currency": "PLN", "rows": [{"code": "1", "price_minor": -1}]},
    ),
    (
        "price",
        {"catalog_version": 14, "currency": "PLN", "rows": [{"code": "1", "price_minor": 3.49}]},
    ),
    (
        "price",
        {"catalog_version": 14, "currency": "PLN", "rows": [{"code": "A1", "price_minor": 1}]},
    ),
    (
        "price",
        {"catalog_version": 14, "currency": "PLN", "rows": [{"code": "1", "price_minor": 1}] * 2},
    ),
    ("stock-adjust", {"code": "5900012345074", "delta": 0, "reason": "count"}),
    ("stock-adjust", {"code": "5900012345074", "delta": "3", "reason": "count"}),
    ("stock-adjust", {"code": "5900012345074", "delta": 3, "reason": ""}),
    ("stock-adjust", {"delta": 3, "reason": "count"}),
    ("out-of-service", {"on": "yes", "reason": ""}),
    ("out-of-service", {"on": True, "reason": "line\nbreak"}),
    ("out-of-service", {"on": True, "reason": "", "until": 5}),
    ("config", {}),
    ("config", {"kiosk.id": "evil"}),
    ("config", {"gpio.drawer_solenoid": 17}),
    ("config", {"broker.host": "attacker.example"}),
    ("config", {"kiosk.thank_you_s": 0}),
    ("config", {"kiosk.locale": "xx_XX"}),
    ("rebirth", {"now": True}),
    ("resync", {"stream": "nope", "from_seq": 1}),
    ("resync", {"stream": "sales", "from_seq": 0}),
]


@pytest.mark.parametrize(("kind", "body"), BAD_BODIES, ids=[k for k, _ in BAD_BODIES])
def test_a_body_that_does_not_match_its_kind_is_refused(kind: str, body: dict[str, Any]) -> None:
    verdict = check(forge(command(kind, body=body)))
    assert code_of(verdict) == Code.BAD_BODY, verdict
    with pytest.raises(commands.CommandError):
        commands.sign(KEY, command(kind, body=body))


def test_the_same_message_twice_is_accepted_once() -> None:
    """GIVEN a command accepted and its counter persisted WHEN the broker delivers it again
    (QoS 1 is at least once) THEN it is refused as replayed, naming the command."""
    last: dict[str, int] = {}
    first = check(GOOD, last=last)
    assert isinstance(first, Verified)
    last[first.key_id] = first.counter

    again = check(GOOD, last=last)

    assert isinstance(again, Rejected) and again.code == Code.REPLAYED
    assert (again.cmd_id, again.kind) == (first.cmd_id, first.kind)


def test_counters_are_per_key() -> None:
    """A second head-office key starts its own counter: the first key's does not block it."""
    trust = TRUST | {commands.key_id(OTHER.public_key()): OTHER.public_key()}
    message = commands.sign(OTHER, command(counter=1))
    verdict = commands.verify(message, trust, KIOSK, GROUPS, NOW, {KEY_ID: 10**12})
    assert isinstance(verdict, Verified)


def test_keys_round_trip_through_pem_and_a_bad_pem_is_a_value_error() -> None:
    pem = KEY.public_key().public_bytes_raw()
    with pytest.raises(ValueError):
        commands.load_public_key(pem)
    from cryptography.hazmat.primitives import serialization

    spki = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert list(commands.trust_store([spki])) == [KEY_ID]


# -- properties ----------------------------------------------------------------------------

ORIGINAL_OUTER = json.loads(GOOD)


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_flipping_any_byte_is_refused_unless_the_signed_content_is_unchanged(
    data: st.DataObject,
) -> None:
    """GIVEN a valid signed message WHEN any one byte is changed THEN it is refused, unless
    the message still says exactly the same command, signature and key id."""
    index = data.draw(st.integers(0, len(GOOD) - 1))
    flip = data.draw(st.integers(1, 255))
    mutated = GOOD[:index] + bytes([GOOD[index] ^ flip]) + GOOD[index + 1 :]
    try:
        same = json.loads(mutated.decode("utf-8")) == ORIGINAL_OUTER
    except ValueError:
        same = False

    verdict = check(mutated, last={})

    assert isinstance(verdict, Verified) == same


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(command())), value=json_values)
def test_changing_any_signed_field_is_refused(field: str, value: Any) -> None:
    """GIVEN a signed command WHEN one field is replaced and the old signature kept
    THEN it is refused, unless the canonical bytes did not change."""
    changed = command() | {field: value}
    text = commands.canonical(changed)
    outer = ORIGINAL_OUTER | {"command": text.decode()}

    verdict = check(json.dumps(outer).encode(), last={})

    assert isinstance(verdict, Verified) == (text == GOOD_TEXT)


@settings(max_examples=200, deadline=None)
@given(
    order=st.permutations(sorted(command())), outer_order=st.permutations(sorted(ORIGINAL_OUTER))
)
def test_reordering_is_refused_inside_the_signed_text_and_harmless_outside(
    order: list[str], outer_order: list[str]
) -> None:
    """GIVEN a signed command WHEN the signed text's fields are reordered THEN refused unless
    the bytes are the same; reordering the unsigned envelope changes nothing."""
    original = command()
    text = json.dumps({k: original[k] for k in order}, separators=(",", ":")).encode()
    outer = ORIGINAL_OUTER | {"command": text.decode()}
    message = json.dumps({k: outer[k] for k in outer_order}).encode()

    verdict = check(message, last={})

    assert isinstance(verdict, Verified) == (text == GOOD_TEXT)


@settings(max_examples=500, deadline=None)
@given(junk=st.binary(max_size=600) | json_values.map(lambda v: json.dumps(v).encode()))
def test_junk_never_raises_and_is_refused(junk: bytes) -> None:
    last = dict(LAST)
    verdict = check(junk, last=last)
    assert isinstance(verdict, Rejected) and last == LAST
    assert not verdict.reason.startswith("unreadable"), "a bug, caught by verify's last resort"


@settings(max_examples=200, deadline=None)
@given(
    inner=st.fixed_dictionaries(
        {k: json_values for k in sorted(command())}, optional={"extra": json_values}
    )
)
def test_any_signed_object_is_verified_or_refused_never_raises(inner: dict[str, Any]) -> None:
    """Even head office's own key signing nonsense cannot make `verify` raise."""
    verdict = check(forge(inner), last={})
    assert isinstance(verdict, Verified | Rejected)
    assert isinstance(verdict, Verified) or not verdict.reason.startswith("unreadable")
    if isinstance(verdict, Verified):
        commands.check_command(inner)  # only well-formed commands get through

"""Signed commands from head office: the catalogue of kinds, the canonical form, sign, verify.

Pure: bytes in, a verdict out. The only library is `cryptography`'s Ed25519; no clock (the
caller passes its wall time), no files (keys arrive as PEM bytes). docs/mqtt.md documents
the format and every rejection code; research §3.4 and §5 give the reasons.

The rules, in the order `verify` applies them (the first that fails is the reason):

1. the message is at most 256 KiB of JSON `{"v":1,"command":<text>,"sig":<b64>,"key_id":..}`;
2. it is signed (`sig` and `key_id` present) by a key this kiosk trusts, over the exact
   UTF-8 bytes of `command` (never a re-serialisation);
3. `command` is canonical JSON (sorted keys, no spaces, UTF-8) with exactly the fields
   below, of a kind in KINDS (anything touching the cash drawer is refused by name),
   with a body that matches that kind's schema and a lifetime of at most 7 days;
4. its target is this kiosk or one of its groups;
5. with a synchronised clock: not expired, not issued beyond CLOCK_SKEW_S in the future.
   With an unsynchronised clock (a Pi has no real-time clock) times mean nothing, so only
   kinds that need no freshness are accepted (`freshness_free`); the verdict says so;
6. its counter is above the last one accepted from that key (a replay is refused).

A command that passes is executed at most once: the caller persists the counter before it
executes (research §3.4). Applying it may still fail or be refused later (a catalog version
not newer than the live one); that outcome is the caller's, reported on stream `results`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from appliance import command_bodies
from appliance.command_bodies import MAX_INT, BodyError, check_body

COMMAND_VERSION = 1
KINDS = command_bodies.KINDS
MAX_MESSAGE_BYTES = 256 * 1024
CLOCK_SKEW_S = 300  # how far head office's clock may run ahead of a synchronised kiosk's
MAX_LIFETIME_S = 7 * 24 * 3600

# "Opening the cash drawer is never a remote command": a kind naming any of these is refused
# with its own code, so an attempt stands out in the audit log from a mere typo.
FORBIDDEN_WORDS = ("drawer", "cash", "till", "payout", "refund", "money")
# Seconds a command lives when head office does not say: short for what acts at once.
DEFAULT_LIFETIME_S = dict.fromkeys(("catalog", "price", "stock-adjust", "config"), 24 * 3600)
DEFAULT_LIFETIME_S |= {"out-of-service": 3600, "rebirth": 600, "resync": 600}
_FIELDS = frozenset({"v", "cmd_id", "kind", "target", "issued_at", "expires_at", "counter", "body"})
_ENVELOPE = frozenset({"v", "command", "sig", "key_id"})
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_GROUP = "group:"


class Code(StrEnum):
    """Why a command was refused: stable codes, sent to head office on stream `results`."""

    TOO_LARGE = "too-large"
    MALFORMED = "malformed"
    UNSUPPORTED_VERSION = "unsupported-version"
    UNSIGNED = "unsigned"
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"
    FORBIDDEN_KIND = "forbidden-kind"
    UNKNOWN_KIND = "unknown-kind"
    BAD_BODY = "bad-body"
    BAD_LIFETIME = "bad-lifetime"
    FOREIGN = "foreign"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    CLOCK_UNSYNCED = "clock-unsynced"
    REPLAYED = "replayed"


class CommandError(ValueError):
    """A command that cannot be signed or accepted: a stable code and a human reason."""

    def __init__(self, code: Code, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Verified:
    """A command to execute once. `clock_checked` is False when the kiosk's clock was
    unsynchronised and only the counter vouched for freshness."""

    cmd_id: str
    kind: str
    target: str
    issued_at: int
    expires_at: int
    counter: int
    key_id: str
    body: Mapping[str, Any]
    clock_checked: bool


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refusal. cmd_id and kind are what the message claimed, when readable (unverified)."""

    code: Code
    reason: str
    cmd_id: str | None = None
    kind: str | None = None


# -- keys: a kiosk holds public keys only; head office makes and keeps private ones ----


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's name on the wire: 16 hex digits of the SHA-256 of its raw 32 bytes."""
    return hashlib.sha256(public_key.public_bytes_raw()).hexdigest()[:16]


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """SubjectPublicKeyInfo PEM → key, or ValueError."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"not an Ed25519 key: {type(key).__name__}")
    return key


def trust_store(pems: Iterable[bytes]) -> dict[str, Ed25519PublicKey]:
    """The kiosk's trusted head-office keys by key id (ValueError on a bad file)."""
    keys = [load_public_key(pem) for pem in pems]
    return {key_id(key): key for key in keys}


# -- head office: build and sign -----------------------------------------------------------


def new_command(
    kind: str,
    body: Mapping[str, Any],
    target: str,
    counter: int,
    issued_at: int,
    cmd_id: str,
    lifetime_s: int | None = None,
) -> dict[str, Any]:
    """The signed fields of one command (not yet checked: `sign` checks)."""
    lifetime = DEFAULT_LIFETIME_S.get(kind, 600) if lifetime_s is None else lifetime_s
    return {
        "v": COMMAND_VERSION,
        "cmd_id": cmd_id,
        "kind": kind,
        "target": target,
        "issued_at": issued_at,
        "expires_at": issued_at + lifetime,
        "counter": counter,
        "body": dict(body),
    }


def canonical(command: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the exact bytes that are signed."""
    try:
        text = json.dumps(
            command, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return text.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise CommandError(Code.MALFORMED, f"cannot be written as JSON: {exc}") from None


def sign(private_key: Ed25519PrivateKey, command: Mapping[str, Any]) -> bytes:
    """Check the command as a kiosk would (CommandError if it would refuse it), then sign."""
    check_command(command)
    return sign_text(private_key, canonical(command))


def sign_text(private_key: Ed25519PrivateKey, command_text: bytes) -> bytes:
    """The wire message for these exact command bytes, unchecked (tests forge with it)."""
    message = {
        "v": COMMAND_VERSION,
        "command": command_text.decode("utf-8"),
        "sig": base64.b64encode(private_key.sign(command_text)).decode("ascii"),
        "key_id": key_id(private_key.public_key()),
    }
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- kiosk: verify -------------------------------------------------------------------------


def verify(
    message: bytes,
    public_keys: Mapping[str, Ed25519PublicKey],
    kiosk_id: str,
    groups: Iterable[str],
    now_wall: float | None,
    last_counters: Mapping[str, int],
) -> Verified | Rejected:
    """The verdict on one message; never raises.

    now_wall: the kiosk's wall clock in Unix seconds, or None while it is unsynchronised.
    last_counters: the highest counter accepted so far per key id (persisted by the
    caller, updated from a Verified before it executes).
    """
    try:
        return _verify(bytes(message), public_keys, kiosk_id, set(groups), now_wall, last_counters)
    except CommandError as exc:
        cmd_id, kind = _peek(message)
        return Rejected(exc.code, exc.reason, cmd_id, kind)
    except Exception as exc:  # a bug must not take the receiving thread down
        return Rejected(Code.MALFORMED, f"unreadable: {type(exc).__name__}")


def _verify(
    message: bytes,
    public_keys: Mapping[str, Ed25519PublicKey],
    kiosk_id: str,
    groups: set[str],
    now_wall: float | None,
    last_counters: Mapping[str, int],
) -> Verified:
    if len(message) > MAX_MESSAGE_BYTES:
        raise CommandError(Code.TOO_LARGE, f"{len(message)} bytes, at most {MAX_MESSAGE_BYTES}")
    outer = _json(message)
    if not isinstance(outer, dict):
        raise CommandError(Code.MALFORMED, "not a JSON object")
    if not _is_version(outer.get("v")):
        raise CommandError(Code.UNSUPPORTED_VERSION, f"message version {outer.get('v')!r}")
    if extra := set(outer) - _ENVELOPE:
        raise CommandError(Code.MALFORMED, f"unknown fields {sorted(extra)}")
    text, sig, kid = outer.get("command"), outer.get("sig"), outer.get("key_id")
    if not isinstance(text, str):
        raise CommandError(Code.MALFORMED, "command: expected a JSON text in a string")
    if sig in (None, "") or kid in (None, ""):
        raise CommandError(Code.UNSIGNED, "no signature or no key id")
    if not isinstance(sig, str) or not isinstance(kid, str):
        raise CommandError(Code.MALFORMED, "sig and key_id: expected strings")
    key = public_keys.get(kid)
    if key is None:
        raise CommandError(Code.UNKNOWN_KEY, f"key {kid[:64]!r} is not trusted by this kiosk")
    try:
        signed = text.encode("utf-8")
    except UnicodeEncodeError:
        raise CommandError(Code.MALFORMED, "command: not encodable as UTF-8") from None
    try:
        key.verify(_signature(sig), signed)
    except InvalidSignature:
        raise CommandError(Code.BAD_SIGNATURE, "the signature does not match") from None
    command = _json(signed)
    if canonical(command) != signed:
        raise CommandError(Code.MALFORMED, "command: not canonical JSON")
    checked = check_command(command)
    target = checked["target"]
    if target != kiosk_id and not (target.startswith(_GROUP) and target[len(_GROUP) :] in groups):
        raise CommandError(Code.FOREIGN, f"for {target!r}, not for this kiosk or its groups")
    kind, issued_at, expires_at = checked["kind"], checked["issued_at"], checked["expires_at"]
    if now_wall is None:
        if not freshness_free(kind, checked["body"]):
            raise CommandError(
                Code.CLOCK_UNSYNCED, f"the kiosk's clock is not synchronised; {kind} needs it"
            )
    elif now_wall >= expires_at:
        raise CommandError(Code.EXPIRED, f"expired {now_wall - expires_at:.0f} s ago")
    elif issued_at > now_wall + CLOCK_SKEW_S:
        raise CommandError(Code.NOT_YET_VALID, f"issued {issued_at - now_wall:.0f} s from now")
    last = last_counters.get(kid, 0)
    if checked["counter"] <= last:
        raise CommandError(
            Code.REPLAYED, f"counter {checked['counter']} is not above the last accepted {last}"
        )
    return Verified(
        cmd_id=checked["cmd_id"],
        kind=kind,
        target=target,
        issued_at=issued_at,
        expires_at=expires_at,
        counter=checked["counter"],
        key_id=kid,
        body=checked["body"],
        clock_checked=now_wall is not None,
    )


def freshness_free(kind: str, body: Mapping[str, Any]) -> bool:
    """Kinds safe to accept on the counter alone: they reduce capability or only report."""
    return kind in ("rebirth", "resync") or (kind == "out-of-service" and body.get("on") is True)


def check_command(command: Any) -> dict[str, Any]:
    """The command's fields, checked (CommandError otherwise). Clock, target and counter
    are the kiosk's to judge, not checked here."""
    if not isinstance(command, dict):
        raise CommandError(Code.MALFORMED, "command: not a JSON object")
    if set(command) != _FIELDS:
        missing, extra = sorted(_FIELDS - set(command)), sorted(set(command) - _FIELDS)
        raise CommandError(Code.MALFORMED, f"command: missing {missing}, unknown {extra}")
    if not _is_version(command["v"]):
        raise CommandError(Code.UNSUPPORTED_VERSION, f"command version {command['v']!r}")
    kind = command["kind"]
    if not isinstance(kind, str) or not 0 < len(kind) <= 64:
        raise CommandError(Code.MALFORMED, "kind: expected a string of 1-64 characters")
    if not isinstance(command["cmd_id"], str) or not _ID.fullmatch(command["cmd_id"]):
        raise CommandError(Code.MALFORMED, "cmd_id: expected an id (letters, digits, -_.)")
    target = command["target"]
    if not isinstance(target, str) or not _ID.fullmatch(target.removeprefix(_GROUP)):
        raise CommandError(Code.MALFORMED, "target: expected a kiosk id or group:<store id>")
    for name in ("issued_at", "expires_at", "counter"):
        value = command[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_INT:
            raise CommandError(Code.MALFORMED, f"{name}: expected a whole number ≥ 0")
    if command["counter"] < 1:
        raise CommandError(Code.MALFORMED, "counter: starts at 1")
    if not isinstance(command["body"], dict):
        raise CommandError(Code.MALFORMED, "body: expected a JSON object")
    lowered = kind.lower()
    if any(word in lowered for word in FORBIDDEN_WORDS):
        raise CommandError(Code.FORBIDDEN_KIND, f"{kind!r}: the cash drawer is never remote")
    if kind not in KINDS:
        raise CommandError(Code.UNKNOWN_KIND, f"{kind!r} is not one of {', '.join(KINDS)}")
    lifetime = command["expires_at"] - command["issued_at"]
    if not 0 < lifetime <= MAX_LIFETIME_S:
        raise CommandError(
            Code.BAD_LIFETIME, f"lifetime {lifetime} s, expected 1..{MAX_LIFETIME_S}"
        )
    try:
        check_body(kind, command["body"])
    except BodyError as exc:
        raise CommandError(Code.BAD_BODY, f"{kind}: {exc}") from None
    return command


# -- parsing helpers -----------------------------------------------------------------------


def _is_version(value: Any) -> bool:
    return type(value) is int and value == COMMAND_VERSION  # `true` == 1 in Python


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise CommandError(Code.MALFORMED, "a JSON object names a field twice")
    return result


def _no_constant(name: str) -> Any:
    raise CommandError(Code.MALFORMED, f"{name} is not JSON")


def _json(data: bytes) -> Any:
    try:
        return json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except CommandError:
        raise
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError too
        raise CommandError(Code.MALFORMED, f"not UTF-8 JSON: {str(exc)[:80]}") from None


def _signature(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise CommandError(Code.BAD_SIGNATURE, "sig: not base64") from None
    # only the one canonical spelling: unused low bits would let two texts mean one signature
    if len(raw) != 64 or base64.b64encode(raw).decode("ascii") != text:
        raise CommandError(Code.BAD_SIGNATURE, "sig: not a canonical 64-byte Ed25519 signature")
    return raw


def _peek(message: bytes) -> tuple[str | None, str | None]:
    """cmd_id and kind as the message claims them, for the result; (None, None) if unreadable."""
    try:
        if len(message) > MAX_MESSAGE_BYTES:
            return None, None
        outer = _json(bytes(message))
        inner = _json(outer["command"].encode("utf-8"))
        cmd_id, kind = inner.get("cmd_id"), inner.get("kind")
    except Exception:
        return None, None
    return (
        cmd_id if isinstance(cmd_id, str) and _ID.fullmatch(cmd_id) else None,
        kind if isinstance(kind, str) and _ID.fullmatch(kind) else None,
    )

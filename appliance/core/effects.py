"""Outputs of the core: imperative requests the shell carries out. The one catalogue.

An effect that fails comes back as an event (PrintFailed, SaleCommitFailed, ...);
nothing here returns a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.core.barcodes import Scan
from appliance.core.basket import Basket, Line, Totals
from appliance.core.receipt import Receipt
from appliance.core.records import Document, RefundDraft


class Sound(StrEnum):
    ITEM = "item"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Effect:
    pass


@dataclass(frozen=True, slots=True)
class LookUpItem(Effect):
    """Find the scanned item; `chosen`: it was touched on the lookup screen, not scanned."""

    scan: Scan
    chosen: bool = False


@dataclass(frozen=True, slots=True)
class StartPayment(Effect):
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class SaleDraft:
    """Everything the store needs to commit a paid sale in one transaction."""

    currency: str
    lines: tuple[Line, ...]
    totals: Totals
    payment_method: str
    payment_reference: str


@dataclass(frozen=True, slots=True)
class CommitSale(Effect):
    draft: SaleDraft


@dataclass(frozen=True, slots=True)
class PrintReceipt(Effect):
    receipt: Receipt


@dataclass(frozen=True, slots=True)
class OpenDrawer(Effect):
    reason: str


@dataclass(frozen=True, slots=True)
class MarkDelivered(Effect):
    event_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaySound(Effect):
    sound: Sound


@dataclass(frozen=True, slots=True)
class Audit(Effect):
    """A staff action or remote command to keep in the audit log, with who and why."""

    action: str
    detail: str
    staff_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SuspendSale(Effect):
    basket: Basket
    staff_id: str


@dataclass(frozen=True, slots=True)
class LoadSuspended(Effect):
    number: int


@dataclass(frozen=True, slots=True)
class LookUpSale(Effect):
    """Find a committed sale by its receipt code (number and the start of its id)."""

    seq: int
    check: str
    code: str


@dataclass(frozen=True, slots=True)
class CommitRefund(Effect):
    """Refund, stock coming back and its outbox row: one transaction."""

    draft: RefundDraft
    staff_id: str


class ReportKind(StrEnum):
    X = "X"
    Z = "Z"


@dataclass(frozen=True, slots=True)
class MakeReport(Effect):
    """X: the totals so far; Z: close the day (numbered, immutable) and report it."""

    kind: ReportKind
    staff_id: str


@dataclass(frozen=True, slots=True)
class ApplyCatalog(Effect):
    """Swap the staged catalog version in: only ever asked for between sales."""

    version: int


@dataclass(frozen=True, slots=True)
class PrintDocument(Effect):
    document: Document

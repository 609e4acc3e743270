"""Outputs of the core: imperative requests the shell carries out. The one catalogue.

An effect that fails comes back as an event (PrintFailed, SaleCommitFailed, ...);
nothing here returns a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.core.barcodes import Scan
from appliance.core.basket import Line, Totals
from appliance.core.receipt import Receipt


class Sound(StrEnum):
    ITEM = "item"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Effect:
    pass


@dataclass(frozen=True, slots=True)
class LookUpItem(Effect):
    scan: Scan


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
    """A staff action or remote command to keep in the audit log."""

    action: str
    detail: str

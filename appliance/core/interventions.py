"""What a customer cannot do alone: the one catalogue of interventions (pure).

Blocking interventions stop the sale (red, the customer waits); deferred ones let the
customer keep scanning (amber) but must be resolved before payment. Each is resolved
by a staff action, which is audited with the staff member's badge id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Need(StrEnum):
    UNKNOWN_ITEM = "unknown-item"
    VOID_REQUEST = "void-request"
    QUANTITY_LIMIT = "quantity-limit"
    EXPIRED_ITEM = "expired-item"
    PAYMENT_FAILED = "payment-failed"
    PAYMENT_UNCERTAIN = "payment-uncertain"
    AGE_CHECK = "age-check"
    PRICE_CHECK = "price-check"
    # nobody answered "Still there?" (appliance/core/idle.py): staff resume or cancel
    ABANDONED_BASKET = "abandoned-basket"


BLOCKING = frozenset(
    {
        Need.UNKNOWN_ITEM,
        Need.VOID_REQUEST,
        Need.QUANTITY_LIMIT,
        Need.EXPIRED_ITEM,
        Need.PAYMENT_FAILED,
        Need.PAYMENT_UNCERTAIN,
        Need.ABANDONED_BASKET,
    }
)
DEFERRED = frozenset({Need.AGE_CHECK, Need.PRICE_CHECK})


@dataclass(frozen=True, slots=True)
class Intervention:
    """One thing staff must resolve. `detail` is what the customer and staff read."""

    need: Need
    detail: str
    line_no: int | None = None
    age: int | None = None

    @property
    def blocking(self) -> bool:
        return self.need in BLOCKING


def with_deferred(pending: tuple[Intervention, ...], new: Intervention) -> tuple[Intervention, ...]:
    """Add a deferred intervention; one age check per sale covers every restricted item,
    so a new one only raises the age of the pending check."""
    if new.need is Need.AGE_CHECK:
        for i, old in enumerate(pending):
            if old.need is Need.AGE_CHECK:
                if (new.age or 0) <= (old.age or 0):
                    return pending
                return (*pending[:i], new, *pending[i + 1 :])
    return (*pending, new)


def without(pending: tuple[Intervention, ...], need: Need) -> tuple[Intervention, ...]:
    return tuple(i for i in pending if i.need is not need)

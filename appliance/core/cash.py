"""Cash rounding (pure): where the smallest coins are out of use, a cash amount is rounded
to a step (Switzerland 0.05, Sweden and Denmark whole or half units, Canada 0.05). Cards
pay the exact amount; only what changes hands in cash is rounded, half up, and the
difference is shown, never hidden.
"""

from __future__ import annotations


def round_cash(amount_minor: int, step_minor: int) -> int:
    """Round to the nearest multiple of `step_minor` (0 or 1: no rounding), halves up."""
    if step_minor <= 1:
        return amount_minor
    sign = -1 if amount_minor < 0 else 1
    q, r = divmod(abs(amount_minor), step_minor)
    if 2 * r >= step_minor:
        q += 1
    return sign * q * step_minor

"""Cash rounding: only cash is rounded, halves up, to the configured step."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.core.cash import round_cash


@pytest.mark.parametrize(
    ("amount", "step", "cash"),
    [
        (1047, 5, 1045),  # CHF 10.47 → 10.45
        (1048, 5, 1050),  # CHF 10.48 → 10.50
        (1025, 5, 1025),
        (1050, 100, 1100),  # SEK 10.50 → 11 (a half goes up)
        (1049, 100, 1000),
        (1049, 0, 1049),  # no rounding configured
        (1049, 1, 1049),
        (-1048, 5, -1050),  # a refund rounds as a sale does
    ],
)
def test_round_cash(amount: int, step: int, cash: int) -> None:
    assert round_cash(amount, step) == cash


@given(st.integers(-(10**9), 10**9), st.sampled_from([0, 1, 5, 10, 50, 100]))
def test_rounding_is_a_multiple_and_within_half_a_step(amount: int, step: int) -> None:
    cash = round_cash(amount, step)
    if step > 1:
        assert cash % step == 0
        assert abs(cash - amount) * 2 <= step
    else:
        assert cash == amount

"""The functional core: pure checkout logic, no I/O, no clocks, no threads.

Everything in this package is `step(state, event) -> (state, effects)` or a pure
function it calls. Time arrives inside events. A ruff rule (appliance/core/ruff.toml)
bans the imports that would break this; tests/core/test_purity.py proves the rule bites.
"""

"""Simulated twins: the same ports, a record of what happened, faults on purpose."""

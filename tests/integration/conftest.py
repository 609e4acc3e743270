"""The ledger target fixture, parametrized over SQLite and PostgreSQL (tests/support)."""

from tests.support.ledgers import ledger_db

__all__ = ["ledger_db"]

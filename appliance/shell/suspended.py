"""Suspended sales: a basket kept under a number, printed on a slip, resumed once."""

from __future__ import annotations

import json

from appliance.core.basket import Basket
from appliance.core.snapshot import basket_from_dict, basket_to_dict
from appliance.shell.store import Store


def suspend(store: Store, basket: Basket, staff_id: str, at: str) -> int:
    """Keep the basket (and forget the open sale) in one transaction; its slip number."""
    with store.transaction():
        cur = store.db.execute(
            "INSERT INTO suspended_sales (created_at, staff_id, basket) VALUES (?,?,?)",
            (at, staff_id, json.dumps(basket_to_dict(basket), sort_keys=True)),
        )
        store.db.execute("DELETE FROM open_sale")
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def resume(store: Store, number: int, at: str) -> Basket | None:
    """The basket under `number`, marked resumed; None if unknown or already resumed."""
    with store.transaction():
        row = store.db.execute(
            "SELECT basket FROM suspended_sales WHERE number = ? AND resumed_at IS NULL",
            (number,),
        ).fetchone()
        if row is None:
            return None
        store.db.execute("UPDATE suspended_sales SET resumed_at = ? WHERE number = ?", (at, number))
    return basket_from_dict(json.loads(row[0]))

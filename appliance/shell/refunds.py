"""Refunds against a committed sale: capped at what was sold, stock comes back, head office
is told through the outbox, all in one transaction."""

from __future__ import annotations

from appliance import wire
from appliance.core.records import RefundDraft, SoldLine, SoldSale
from appliance.shell.schema import LINE_KEY_SPAN
from appliance.shell.store import Store, StoreError, new_id


def find_sale(store: Store, seq: int, check: str) -> SoldSale | None:
    """The sale numbered `seq` whose id starts with `check` (the receipt's barcode)."""
    row = store.db.execute(
        "SELECT sale_id, seq, currency, payment_method FROM sales WHERE seq = ?", (seq,)
    ).fetchone()
    if row is None or row[0].replace("-", "")[:8].lower() != check.lower():
        return None
    lines = store.db.execute(
        "SELECT l.line_no, l.gtin, l.name, l.quantity, l.paid_minor, l.vat_rate_bp,"
        " COALESCE((SELECT sum(r.units) FROM refund_lines r JOIN refunds f"
        "  ON f.refund_id = r.refund_id WHERE f.sale_seq = ? AND r.line_no = l.line_no),"
        " 0) FROM sale_lines l WHERE l.line_key >= ? AND l.line_key < ? ORDER BY l.line_key",
        (row[1], row[1] * LINE_KEY_SPAN, (row[1] + 1) * LINE_KEY_SPAN),
    ).fetchall()
    return SoldSale(
        sale_id=row[0],
        seq=row[1],
        currency=row[2],
        payment_method=row[3],
        lines=tuple(SoldLine(*line) for line in lines),
    )


def commit_refund(
    store: Store, draft: RefundDraft, staff_id: str, kiosk_id: str, at: str, synced: bool
) -> tuple[str, int]:
    """Commit the refund; (refund id, refund number). Re-checks the caps inside the
    transaction, so two refunds of one receipt can never return more than was sold."""
    refund_id = new_id()
    with store.transaction():
        current = find_sale(store, draft.sale.seq, draft.sale.sale_id.replace("-", "")[:8])
        if current is None:
            raise StoreError("the sale is gone")
        caps = {line.line_no: line.refundable for line in current.lines}
        lines = RefundDraft(current, draft.units).lines()  # amounts from what is left now
        for line in lines:
            if line.units > caps.get(line.line_no, 0):
                raise StoreError(f"line {line.line_no} cannot be refunded {line.units} times")
        total = sum(line.amount_minor for line in lines)
        seq = store.next_number("refund")
        store.db.execute(
            "INSERT INTO refunds (refund_id, seq, sale_id, at, staff_id, currency,"
            " total_minor, sale_seq) VALUES (?,?,?,?,?,?,?,?)",
            (refund_id, seq, current.sale_id, at, staff_id, current.currency, total, current.seq),
        )
        store.db.executemany(
            "INSERT INTO refund_lines VALUES (?,?,?,?,?,?)",
            [
                (refund_id, ln.line_no, ln.units, ln.amount_minor, ln.gtin, ln.vat_rate_bp)
                for ln in lines
            ],
        )
        for line in lines:
            store.move_stock(line.gtin, line.units, "return", current.sale_id, at)
        body = {
            "refund_id": refund_id,
            "refund_seq": seq,
            "sale_id": current.sale_id,
            "currency": current.currency,
            "total_minor": total,
            "staff_id": staff_id,
            "lines": [
                {
                    "line_no": ln.line_no,
                    "gtin": ln.gtin,
                    "units": ln.units,
                    "amount_minor": ln.amount_minor,
                    "vat_rate_bp": ln.vat_rate_bp,
                }
                for ln in lines
            ],
        }
        store.append_outbox(new_id(), kiosk_id, wire.STREAM_REFUNDS, at, synced, body)
    return refund_id, int(seq)

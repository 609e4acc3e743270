"""X and Z reports from the store. A Z report closes the day: it is numbered, kept
immutable (database triggers refuse changes) and the next period starts after it.

Periods are cut by sequence numbers, not by the clock: a Pi without a real-time clock may
start with the wrong time, but a sale's number never lies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from appliance.core.records import Report
from appliance.core.tax import tax_table
from appliance.shell.schema import LINE_KEY_SPAN
from appliance.shell.store import Store


@dataclass(frozen=True)
class _Marks:
    sale_seq: int = 0
    refund_seq: int = 0
    audit_id: int = 0
    period_to: str = ""


def _last_marks(store: Store) -> tuple[int, _Marks]:
    row = store.db.execute(
        "SELECT number, body FROM z_reports ORDER BY number DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return 0, _Marks()
    body = json.loads(row[1])
    return int(row[0]), _Marks(
        body["marks"]["sale_seq"],
        body["marks"]["refund_seq"],
        body["marks"]["audit_id"],
        body["period_to"],
    )


def _report(
    store: Store, kind: str, number: int | None, marks: _Marks, at: str, currency: str
) -> tuple[Report, _Marks]:
    db = store.db
    sales = db.execute(
        "SELECT count(*), COALESCE(sum(total_minor), 0), COALESCE(max(seq), ?) FROM sales"
        " WHERE seq > ?",
        (marks.sale_seq, marks.sale_seq),
    ).fetchone()
    refunds = db.execute(
        "SELECT count(*), COALESCE(sum(total_minor), 0), COALESCE(max(seq), ?) FROM refunds"
        " WHERE seq > ?",
        (marks.refund_seq, marks.refund_seq),
    ).fetchone()
    gross: dict[int, int] = {}
    for rate, amount in db.execute(
        "SELECT vat_rate_bp, sum(paid_minor) FROM sale_lines"
        " WHERE line_key >= ? GROUP BY vat_rate_bp",
        ((marks.sale_seq + 1) * LINE_KEY_SPAN,),
    ):
        gross[rate] = gross.get(rate, 0) + amount
    for rate, amount in db.execute(
        "SELECT l.vat_rate_bp, sum(l.amount_minor) FROM refund_lines l JOIN refunds f"
        " ON f.refund_id = l.refund_id WHERE f.seq > ? GROUP BY l.vat_rate_bp",
        (marks.refund_seq,),
    ):
        gross[rate] = gross.get(rate, 0) - amount
    by_payment = tuple(
        (method, amount)
        for method, amount in db.execute(
            "SELECT payment_method, sum(total_minor) FROM sales WHERE seq > ?"
            " GROUP BY payment_method ORDER BY payment_method",
            (marks.sale_seq,),
        )
    )
    audit = db.execute(
        "SELECT COALESCE(sum(action = 'cancel-sale'), 0), COALESCE(sum(action = 'void-line'), 0),"
        " COALESCE(max(id), ?) FROM audit WHERE id > ?",
        (marks.audit_id, marks.audit_id),
    ).fetchone()
    first = db.execute("SELECT min(at) FROM sales WHERE seq > ?", (marks.sale_seq,)).fetchone()[0]
    report = Report(
        kind=kind,
        number=number,
        currency=currency,
        period_from=marks.period_to or first or at,
        period_to=at,
        sales_count=sales[0],
        sales_minor=sales[1],
        refunds_count=refunds[0],
        refunds_minor=refunds[1],
        tax_rows=tax_table(sorted(gross.items())),
        by_payment=by_payment,
        cancelled_sales=audit[0],
        voided_lines=audit[1],
    )
    return report, _Marks(sales[2], refunds[2], audit[2], at)


def x_report(store: Store, at: str, currency: str) -> Report:
    """The figures since the last Z report; changes nothing."""
    _, marks = _last_marks(store)
    return _report(store, "X", None, marks, at, currency)[0]


def close_day(store: Store, at: str, currency: str) -> Report:
    """Number and keep the Z report in one transaction; the next period starts after it."""
    with store.transaction():
        number, marks = _last_marks(store)
        report, covered = _report(store, "Z", number + 1, marks, at, currency)
        body = {
            "period_from": report.period_from,
            "period_to": report.period_to,
            "marks": {
                "sale_seq": covered.sale_seq,
                "refund_seq": covered.refund_seq,
                "audit_id": covered.audit_id,
            },
            "sales_count": report.sales_count,
            "sales_minor": report.sales_minor,
            "refunds_count": report.refunds_count,
            "refunds_minor": report.refunds_minor,
            "tax": [[r.rate_bp, r.gross_minor, r.tax_minor] for r in report.tax_rows],
            "by_payment": [list(p) for p in report.by_payment],
            "cancelled_sales": report.cancelled_sales,
            "voided_lines": report.voided_lines,
            "currency": currency,
        }
        store.db.execute(
            "INSERT INTO z_reports (number, period_from, period_to, body) VALUES (?,?,?,?)",
            (report.number, report.period_from, report.period_to, json.dumps(body)),
        )
    return report

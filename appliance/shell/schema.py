"""The store's schema and its migrations, one list, applied in order at open.

Each migration runs in its own transaction together with the `user_version` bump, so a
power cut leaves the database at either the old or the new version, never between.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # version 1: the walking skeleton
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sequences (name TEXT PRIMARY KEY, last INTEGER NOT NULL);
    CREATE TABLE products (
        gtin TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
        vat_rate_bp INTEGER NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
        age_limit INTEGER,
        weighed INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE promotions (
        promo_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 1),
        bundle_price_minor INTEGER,
        free_units INTEGER NOT NULL DEFAULT 0,
        gtins TEXT NOT NULL
    );
    CREATE TABLE stock (gtin TEXT PRIMARY KEY, level INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE stock_movements (
        id INTEGER PRIMARY KEY,
        gtin TEXT NOT NULL,
        delta INTEGER NOT NULL,
        reason TEXT NOT NULL,
        sale_id TEXT,
        at TEXT NOT NULL
    );
    CREATE TABLE sales (
        sale_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        at TEXT NOT NULL,
        currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        saved_minor INTEGER NOT NULL,
        payment_method TEXT NOT NULL,
        payment_reference TEXT NOT NULL
    );
    CREATE TABLE sale_lines (
        sale_id TEXT NOT NULL REFERENCES sales(sale_id),
        line_no INTEGER NOT NULL,
        gtin TEXT NOT NULL,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price_minor INTEGER NOT NULL,
        total_minor INTEGER NOT NULL,
        vat_rate_bp INTEGER NOT NULL,
        PRIMARY KEY (sale_id, line_no)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        payload BLOB NOT NULL,
        UNIQUE (stream, seq)
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    """,
    # version 2: the checkout core's staff actions, refunds, reports and restart recovery
    """
    ALTER TABLE products ADD COLUMN quantity_limit INTEGER;
    ALTER TABLE products ADD COLUMN plu TEXT;
    CREATE UNIQUE INDEX products_by_plu ON products (plu) WHERE plu IS NOT NULL;
    ALTER TABLE sale_lines ADD COLUMN paid_minor INTEGER;
    UPDATE sale_lines SET paid_minor = total_minor;
    ALTER TABLE audit ADD COLUMN staff_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE audit ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    CREATE TABLE open_sale (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE suspended_sales (
        number INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        staff_id TEXT NOT NULL,
        basket TEXT NOT NULL,
        resumed_at TEXT
    );
    CREATE TABLE refunds (
        refund_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        sale_id TEXT NOT NULL REFERENCES sales(sale_id),
        at TEXT NOT NULL,
        staff_id TEXT NOT NULL,
        currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL CHECK (total_minor > 0)
    );
    CREATE TABLE refund_lines (
        refund_id TEXT NOT NULL REFERENCES refunds(refund_id),
        line_no INTEGER NOT NULL,
        units INTEGER NOT NULL CHECK (units > 0),
        amount_minor INTEGER NOT NULL,
        gtin TEXT NOT NULL,
        vat_rate_bp INTEGER NOT NULL,
        PRIMARY KEY (refund_id, line_no)
    );
    CREATE TABLE z_reports (
        number INTEGER PRIMARY KEY,
        period_from TEXT NOT NULL,
        period_to TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TRIGGER z_reports_are_immutable_u BEFORE UPDATE ON z_reports
    BEGIN SELECT RAISE(ABORT, 'a Z report cannot be changed'); END;
    CREATE TRIGGER z_reports_are_immutable_d BEFORE DELETE ON z_reports
    BEGIN SELECT RAISE(ABORT, 'a Z report cannot be deleted'); END;
    CREATE TRIGGER sales_are_append_only_u BEFORE UPDATE ON sales
    BEGIN SELECT RAISE(ABORT, 'the sales journal is append-only'); END;
    CREATE TRIGGER sales_are_append_only_d BEFORE DELETE ON sales
    BEGIN SELECT RAISE(ABORT, 'the sales journal is append-only'); END;
    """,
    # version 3: every promotion kind, kept as its JSON (appliance/core/promotion_codec.py)
    """
    CREATE TABLE promotion_rules (
        promo_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL
    );
    INSERT INTO promotion_rules (promo_id, kind, name, body)
        SELECT promo_id, 'multibuy', name, json_object(
            'kind', 'multibuy', 'promo_id', promo_id, 'name', name, 'gtins', json(gtins),
            'quantity', quantity, 'bundle_price_minor', bundle_price_minor,
            'free_units', free_units)
        FROM promotions;
    DROP TABLE promotions;
    """,
    # version 4: the imported catalog (docs/catalog.md): categories, pictures, names per
    # language, tax rates, applied versions, and a staging area for a version waiting to be
    # applied between sales (staged_* mirror the live tables so applying is set-based SQL)
    """
    ALTER TABLE products ADD COLUMN category TEXT;
    ALTER TABLE products ADD COLUMN picture TEXT;
    CREATE TABLE product_names (
        gtin TEXT NOT NULL REFERENCES products(gtin) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (gtin, lang)
    ) WITHOUT ROWID;
    CREATE TABLE tax_rates (
        rate_bp INTEGER PRIMARY KEY CHECK (rate_bp BETWEEN 0 AND 10000),
        label TEXT NOT NULL
    );
    CREATE TABLE catalog_versions (
        version INTEGER PRIMARY KEY CHECK (version >= 1),
        applied_at TEXT NOT NULL,
        source TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),
        rows INTEGER NOT NULL
    );
    CREATE TABLE catalog_pending (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL CHECK (version >= 1),
        staged_at TEXT NOT NULL,
        source TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),
        currency TEXT NOT NULL,
        rows INTEGER NOT NULL,
        promotions TEXT NOT NULL CHECK (promotions IN ('keep', 'replace', 'upsert')),
        tax_rates TEXT NOT NULL CHECK (tax_rates IN ('keep', 'replace', 'upsert')),
        error TEXT
    );
    CREATE TABLE staged_products (
        gtin TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
        vat_rate_bp INTEGER NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
        age_limit INTEGER,
        weighed INTEGER NOT NULL DEFAULT 0,
        quantity_limit INTEGER,
        plu TEXT,
        category TEXT,
        picture TEXT,
        stock INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE staged_product_names (
        gtin TEXT NOT NULL,
        lang TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (gtin, lang)
    ) WITHOUT ROWID;
    CREATE TABLE staged_promotions (
        promo_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE staged_tax_rates (
        rate_bp INTEGER PRIMARY KEY CHECK (rate_bp BETWEEN 0 AND 10000),
        label TEXT NOT NULL
    );
    """,
    # version 5: a lighter sale commit (docs/decisions/0001). Every b-tree a sale touches is
    # a 4 KB page fsync'd into the WAL: the sales journal is keyed by its sequence number
    # (one b-tree fewer), a sale's lines live in their key's b-tree (WITHOUT ROWID), and the
    # outbox takes its ids from `sequences` instead of AUTOINCREMENT's sqlite_sequence row
    # and drops UNIQUE (stream, seq), which the one UPSERT in Store._next guarantees.
    # Runs with foreign keys off and a foreign_key_check before COMMIT (Store._migrate).
    """
    CREATE TABLE sales_v5 (
        sale_id TEXT NOT NULL UNIQUE,
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        saved_minor INTEGER NOT NULL,
        payment_method TEXT NOT NULL,
        payment_reference TEXT NOT NULL
    );
    INSERT INTO sales_v5 (sale_id, seq, at, currency, total_minor, saved_minor,
        payment_method, payment_reference)
        SELECT sale_id, seq, at, currency, total_minor, saved_minor, payment_method,
        payment_reference FROM sales;
    DROP TABLE sales;
    ALTER TABLE sales_v5 RENAME TO sales;
    CREATE TRIGGER sales_are_append_only_u BEFORE UPDATE ON sales
    BEGIN SELECT RAISE(ABORT, 'the sales journal is append-only'); END;
    CREATE TRIGGER sales_are_append_only_d BEFORE DELETE ON sales
    BEGIN SELECT RAISE(ABORT, 'the sales journal is append-only'); END;
    CREATE TABLE sale_lines_v5 (
        sale_id TEXT NOT NULL REFERENCES sales(sale_id),
        line_no INTEGER NOT NULL,
        gtin TEXT NOT NULL,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price_minor INTEGER NOT NULL,
        total_minor INTEGER NOT NULL,
        vat_rate_bp INTEGER NOT NULL,
        paid_minor INTEGER,
        PRIMARY KEY (sale_id, line_no)
    ) WITHOUT ROWID;
    INSERT INTO sale_lines_v5 (sale_id, line_no, gtin, name, quantity, unit_price_minor,
        total_minor, vat_rate_bp, paid_minor)
        SELECT sale_id, line_no, gtin, name, quantity, unit_price_minor, total_minor,
        vat_rate_bp, paid_minor FROM sale_lines;
    DROP TABLE sale_lines;
    ALTER TABLE sale_lines_v5 RENAME TO sale_lines;
    CREATE TABLE outbox_v5 (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        payload BLOB NOT NULL
    );
    INSERT INTO outbox_v5 (id, event_id, stream, seq, payload)
        SELECT id, event_id, stream, seq, payload FROM outbox;
    INSERT INTO sequences (name, last) VALUES ('outbox', max(
        COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
        COALESCE((SELECT max(id) FROM outbox), 0)))
        ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
    DROP TABLE outbox;
    ALTER TABLE outbox_v5 RENAME TO outbox;
    """,
    # version 6: head office's signed commands (docs/mqtt.md): the last counter accepted
    # from each key (a replay is refused), and every accepted command by its id (executed
    # at most once), written in the same transaction as its result
    """
    CREATE TABLE command_counters (
        key_id TEXT PRIMARY KEY,
        counter INTEGER NOT NULL CHECK (counter >= 1)
    ) WITHOUT ROWID;
    CREATE TABLE commands (
        cmd_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        key_id TEXT NOT NULL,
        counter INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        code TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # version 7: a sale's lines keyed by an integer, line_key = seq * 2^20 + line_no, in a
    # rowid table (docs/decisions/0001). Appended keys fill each page (SQLite's quick
    # balance for rowid tables) where v5's (sale_id, line_no) key split pages in half and
    # repeated a 36-byte id in every line: 2.4 pages per sale fsync'd into the WAL, now
    # ~1.1. A sale's lines are the key range [seq * 2^20, (seq + 1) * 2^20), LINE_KEY_SPAN.
    # A line whose sale is missing cannot move (seq NOT NULL): the migration stops.
    """
    CREATE TABLE sale_lines_v7 (
        line_key INTEGER PRIMARY KEY CHECK (line_key = seq * 1048576 + line_no),
        seq INTEGER NOT NULL REFERENCES sales(seq),
        line_no INTEGER NOT NULL CHECK (line_no BETWEEN 0 AND 1048575),
        gtin TEXT NOT NULL,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price_minor INTEGER NOT NULL,
        total_minor INTEGER NOT NULL,
        vat_rate_bp INTEGER NOT NULL,
        paid_minor INTEGER
    );
    INSERT INTO sale_lines_v7 (line_key, seq, line_no, gtin, name, quantity,
        unit_price_minor, total_minor, vat_rate_bp, paid_minor)
        SELECT s.seq * 1048576 + l.line_no, s.seq, l.line_no, l.gtin, l.name, l.quantity,
        l.unit_price_minor, l.total_minor, l.vat_rate_bp, l.paid_minor
        FROM sale_lines l LEFT JOIN sales s ON s.sale_id = l.sale_id
        ORDER BY s.seq, l.line_no;
    DROP TABLE sale_lines;
    ALTER TABLE sale_lines_v7 RENAME TO sale_lines;
    """,
    # version 8: two b-tree pages less fsync'd with every sale. The outbox without an index
    # on event_id: head office acknowledges by event id, and the store maps the ids of the
    # rows it handed out to their row ids (Store.mark_delivered); event ids are UUIDv7. The
    # open sale notes the last sale number when it was saved (after_sale), so a sale's
    # commit need not delete it: a later number means it was paid (Store.load_open_sale).
    # NULL (a row from before): it is unpaid, as version 7 deleted it with the sale.
    """
    ALTER TABLE open_sale ADD COLUMN after_sale INTEGER;
    CREATE TABLE outbox_v8 (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        payload BLOB NOT NULL
    );
    INSERT INTO outbox_v8 (id, event_id, stream, seq, payload)
        SELECT id, event_id, stream, seq, payload FROM outbox ORDER BY id;
    DROP TABLE outbox;
    ALTER TABLE outbox_v8 RENAME TO outbox;
    """,
    # version 9: one b-tree page less fsync'd with every sale. The journal keeps no index on
    # sale_id (a UUIDv7, unique by its 74 random bits; `kiosk store check` looks for a
    # repeat), so a refund names its sale by number too: refunds.sale_seq, the foreign key,
    # and a trigger that holds the two names of the sale together. A refund whose sale is
    # gone cannot move (sale_seq NOT NULL): the migration stops.
    """
    CREATE TABLE sales_v9 (
        sale_id TEXT NOT NULL,
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        saved_minor INTEGER NOT NULL,
        payment_method TEXT NOT NULL,
        payment_reference TEXT NOT NULL
    );
    INSERT INTO sales_v9 (sale_id, seq, at, currency, total_minor, saved_minor,
        payment_method, payment_reference)
        SELECT sale_id, seq, at, currency, total_minor, saved_minor, payment_method,
        payment_reference FROM sales ORDER BY seq;
    CREATE TABLE refunds_v9 (
        refund_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        sale_id TEXT NOT NULL,
        at TEXT NOT NULL,
        staff_id TEXT NOT NULL,
        currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL CHECK (total_minor > 0),
        sale_seq INTEGER NOT NULL REFERENCES sales(seq)
    );
    INSERT INTO refunds_v9 (refund_id, seq, sale_id, at, staff_id, currency, total_minor,
        sale_seq)
        SELECT r.refund_id, r.seq, r.sale_id, r.at, r.staff_id, r.currency, r.total_minor,
        s.seq FROM refunds r LEFT JOIN sales s ON s.sale_id = r.sale_id ORDER BY r.seq;
    DROP TABLE refunds;
    DROP TABLE sales;
    ALTER TABLE sales_v9 RENAME TO sales;
    ALTER TABLE refunds_v9 RENAME TO refunds;
    CREATE TRIGGER sales_are_append_only_u BEFORE UPDATE ON sales
    BEGIN SELECT RAISE(ABORT, 'the sales journal is append-only'); END;
    CREATE TRIGGER sales_are_append_only_d BEFORE DELETE ON sales
    BEGIN SELECT RAISE(ABORT, 'the sales journal is append-only'); END;
    CREATE TRIGGER refunds_name_their_sale BEFORE INSERT ON refunds
    WHEN NEW.sale_id IS NOT (SELECT sale_id FROM sales WHERE seq = NEW.sale_seq)
    BEGIN SELECT RAISE(ABORT, 'a refund names its sale by id and number: they disagree'); END;
    """,
)

# a sale's lines are the line_key range [seq * LINE_KEY_SPAN, (seq + 1) * LINE_KEY_SPAN)
LINE_KEY_SPAN = 1 << 20
# SQL for "the lines l of the sale s", a range seek on the lines' key
LINES_OF_SALE = (
    f"l.line_key >= s.seq * {LINE_KEY_SPAN} AND l.line_key < (s.seq + 1) * {LINE_KEY_SPAN}"
)

SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """Split a migration into statements; a trigger's body holds ';' of its own."""
    out: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                out.append(buffer.strip())
            buffer = ""
    return out

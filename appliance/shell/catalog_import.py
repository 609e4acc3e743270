"""Catalog versions: stage a validated file, then apply it between sales in one transaction.

Staging reads the file into connection-private TEMP tables first (they take no lock on the
store, so a kiosk selling in another process is never kept waiting while 100,000 rows are
parsed), then copies them into the staged_* tables in one short transaction. Applying is
set-based SQL in one transaction: the live catalog is the old version or the new one,
never a mixture. docs/catalog.md describes full and delta versions and the rules below:

- versions only go up: a declared version at or below the live (or waiting) one is refused;
- one version waits at a time: a delta staged over a waiting version is merged into it,
  a full version replaces it;
- a section the file does not carry (promotions, tax rates) is left as it is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from appliance.catalog_csv import CsvCatalog
from appliance.catalog_file import FORMATS, read_json
from appliance.catalog_rows import PICTURE, CatalogError, CatalogSource, Item
from appliance.core import barcodes
from appliance.core.promotion_codec import to_dict
from appliance.core.state import Rules
from appliance.shell.store import Store, StoreError

log = logging.getLogger(__name__)

KINDS = ("full", "delta")
_BATCH = 2000
_PRODUCT_COLUMNS = (
    "gtin, name, price_minor, vat_rate_bp, age_limit, weighed, quantity_limit, plu, category,"
    " picture"
)
# an upsert's SET list: every product column but the key takes the new row's value
_SET_ALL = ", ".join(
    f" {c.strip()} = excluded.{c.strip()}" for c in _PRODUCT_COLUMNS.split(",")[1:]
)
_SCRATCH = (
    """CREATE TEMP TABLE IF NOT EXISTS import_products (
        gtin TEXT PRIMARY KEY, name TEXT NOT NULL, price_minor INTEGER NOT NULL,
        vat_rate_bp INTEGER NOT NULL, age_limit INTEGER, weighed INTEGER NOT NULL,
        quantity_limit INTEGER, plu TEXT, category TEXT, picture TEXT, stock INTEGER,
        src TEXT NOT NULL) WITHOUT ROWID""",
    """CREATE TEMP TABLE IF NOT EXISTS import_names (
        gtin TEXT NOT NULL, lang TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY (gtin, lang)) WITHOUT ROWID""",
    "DELETE FROM temp.import_products",
    "DELETE FROM temp.import_names",
)
_STAGING = ("staged_products", "staged_product_names", "staged_promotions", "staged_tax_rates")


class CatalogVersionError(CatalogError):
    """The file declares a version that is not newer than the live or waiting one."""


@dataclass(frozen=True, slots=True)
class Pending:
    version: int
    staged_at: str
    source: str
    kind: str
    currency: str
    rows: int
    promotions: str  # keep | replace | upsert
    tax_rates: str
    error: str | None


def open_source(
    path: Path,
    fmt: str | None,
    rules: barcodes.ScanRules,
    currency: str,
    store: Store,
) -> CatalogSource:
    """The file as a stream of checked rows, in the store's currency and tax rates."""
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path}: cannot tell the format from the name; give --format csv|json")
    rates = tax_rates(store) or None
    if fmt == "csv":
        return CsvCatalog(path, rules, currency, rates)
    return read_json(path, rules, currency, rates)


def catalog_version(store: Store) -> int:
    """The live catalog's version; 0 before any version was applied."""
    row = store.db.execute("SELECT max(version) FROM catalog_versions").fetchone()
    return int(row[0] or 0)


def pending(store: Store) -> Pending | None:
    row = store.db.execute(
        "SELECT version, staged_at, source, kind, currency, rows, promotions, tax_rates, error"
        " FROM catalog_pending WHERE id = 1"
    ).fetchone()
    return None if row is None else Pending(*row)


def tax_rates(store: Store) -> dict[int, str]:
    return dict(store.db.execute("SELECT rate_bp, label FROM tax_rates ORDER BY rate_bp"))


def stage(
    store: Store,
    catalog: CatalogSource,
    source: str,
    kind: str,
    at: str,
    *,
    skip_bad: bool = False,
) -> int:
    """Check every row and stage the file as the next version; return its number.

    Full replaces every product; delta upserts only the rows given and never deletes. Any
    bad row raises CatalogError and stages nothing, unless skip_bad (then the good rows
    are staged and `catalog.problems` says what was skipped). File-level problems (header,
    currency, version) always refuse the file.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    db = store.db
    try:
        _fill_scratch(db, catalog)
        with store.transaction():
            version = _stage_scratch(store, catalog, source, kind, at, skip_bad)
    except sqlite3.Error as exc:
        raise StoreError(f"the catalog could not be staged: {exc}") from exc
    finally:
        with contextlib.suppress(sqlite3.Error):  # scratch tables: empty them if they exist
            for statement in _SCRATCH[2:]:
                db.execute(statement)
    log.info("catalog version %d staged from %s (%s)", version, source, kind)
    return version


def _fill_scratch(db: sqlite3.Connection, catalog: CatalogSource) -> None:
    """Stream the checked rows into TEMP tables: no lock on the store meanwhile."""
    db.execute("BEGIN")
    try:
        for statement in _SCRATCH:
            db.execute(statement)
        items = iter(catalog.items())
        while batch := list(islice(items, _BATCH)):
            db.executemany(
                f"INSERT INTO temp.import_products ({_PRODUCT_COLUMNS}, stock, src)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [_product_row(item) for item in batch],
            )
            db.executemany(
                "INSERT INTO temp.import_names (gtin, lang, name) VALUES (?,?,?)",
                [(item.product.gtin, lang, name) for item in batch for lang, name in item.names],
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _product_row(item: Item) -> tuple[Any, ...]:
    p = item.product
    return (
        p.gtin,
        p.name,
        p.price_minor,
        p.vat_rate_bp,
        p.age_limit,
        int(p.weighed),
        p.quantity_limit,
        p.plu,
        item.category,
        item.picture,
        item.stock,
        item.where,
    )


def _stage_scratch(
    store: Store, catalog: CatalogSource, source: str, kind: str, at: str, skip_bad: bool
) -> int:
    db = store.db
    live = catalog_version(store)
    waiting = pending(store)
    if waiting is not None and waiting.error is not None:
        log.warning(
            "dropping version %d, which failed to apply: %s", waiting.version, waiting.error
        )
        waiting = None
    newest = max(live, waiting.version if waiting else 0)
    version = catalog.catalog_version or newest + 1
    if version <= newest:
        what = "live catalog" if newest == live else "version waiting to be applied"
        raise CatalogVersionError(
            [f"catalog_version: {version} is not newer than the {what} (version {newest})"]
        )
    into = waiting if kind == "delta" else None  # a delta merges into the waiting version
    merging = into is not None
    effective = into.kind if into is not None else kind
    if not merging:
        for table in _STAGING:
            db.execute(f"DELETE FROM {table}")
    _check_plus(db, catalog, merging, effective == "delta", skip_bad)
    promotions = catalog.promotions(_KnownCodes(db, merging, effective == "delta"))
    if catalog.problems and not skip_bad:
        raise CatalogError(catalog.problems)
    rows_in_file = int(db.execute("SELECT count(*) FROM temp.import_products").fetchone()[0])
    if kind == "full" and rows_in_file == 0:
        raise CatalogError(["no good product rows: a full version would empty the catalog"])
    if rows_in_file == 0 and not promotions and not catalog.tax_rates:
        raise CatalogError(["nothing to import: no good product rows, promotions or tax rates"])
    _copy_scratch(db, merging)
    promotions_mode = _mode(catalog.has_promotions, kind, into.promotions if into else None)
    rates_mode = _mode(catalog.tax_rates is not None, kind, into.tax_rates if into else None)
    db.executemany(
        "INSERT INTO staged_promotions (promo_id, kind, name, body) VALUES (?,?,?,?)"
        " ON CONFLICT (promo_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
        " body = excluded.body",
        [(p.promo_id, p.kind, p.name, json.dumps(to_dict(p), sort_keys=True)) for p in promotions],
    )
    db.executemany(
        "INSERT INTO staged_tax_rates (rate_bp, label) VALUES (?, ?)"
        " ON CONFLICT (rate_bp) DO UPDATE SET label = excluded.label",
        sorted((catalog.tax_rates or {}).items()),
    )
    rows = int(db.execute("SELECT count(*) FROM staged_products").fetchone()[0])
    db.execute(
        "INSERT OR REPLACE INTO catalog_pending (id, version, staged_at, source, kind, currency,"
        " rows, promotions, tax_rates, error) VALUES (1,?,?,?,?,?,?,?,?,NULL)",
        (version, at, source, effective, catalog.currency, rows, promotions_mode, rates_mode),
    )
    detail = f"version {version} ({effective}, {rows} rows) from {source}"
    db.execute(
        "INSERT INTO audit (at, action, detail) VALUES (?, 'catalog-staged', ?)", (at, detail)
    )
    return version


def _mode(carried: bool, kind: str, waiting: str | None) -> str:
    """How a section (promotions, tax rates) is applied: keep, replace or upsert."""
    if waiting == "replace":
        return "replace"  # a waiting full section already holds everything, now merged
    if carried:
        return "replace" if kind == "full" else "upsert"
    return waiting or "keep"


def _check_plus(
    db: sqlite3.Connection, catalog: CatalogSource, merging: bool, delta: bool, skip_bad: bool
) -> None:
    """A PLU already used by another product that the new version keeps is a bad row."""
    others = []
    if merging:
        others.append(
            "SELECT gtin, plu FROM staged_products WHERE plu IS NOT NULL"
            " AND gtin NOT IN (SELECT gtin FROM temp.import_products)"
        )
    if delta:
        others.append(
            "SELECT gtin, plu FROM products WHERE plu IS NOT NULL"
            " AND gtin NOT IN (SELECT gtin FROM temp.import_products)"
            + (" AND gtin NOT IN (SELECT gtin FROM staged_products)" if merging else "")
        )
    if not others:
        return
    clashes = db.execute(
        "SELECT t.src, t.gtin, t.plu, o.gtin FROM temp.import_products t"
        f" JOIN ({' UNION ALL '.join(others)}) o ON o.plu = t.plu ORDER BY t.src"
    ).fetchall()
    for where, _gtin, plu, owner in clashes:
        catalog.reject(where, "plu", f"{plu} already belongs to {owner} in the catalog")
    if skip_bad:
        db.executemany(
            "DELETE FROM temp.import_products WHERE gtin = ?", [(c[1],) for c in clashes]
        )
        db.executemany("DELETE FROM temp.import_names WHERE gtin = ?", [(c[1],) for c in clashes])


def _copy_scratch(db: sqlite3.Connection, merging: bool) -> None:
    if merging:
        db.execute(
            "DELETE FROM staged_product_names WHERE gtin IN (SELECT gtin FROM temp.import_products)"
        )
    db.execute(
        f"INSERT INTO staged_products ({_PRODUCT_COLUMNS}, stock)"
        f" SELECT {_PRODUCT_COLUMNS}, stock FROM temp.import_products WHERE true"
        " ON CONFLICT (gtin) DO UPDATE SET" + _SET_ALL + ", stock = excluded.stock"
    )
    db.execute(
        "INSERT INTO staged_product_names (gtin, lang, name)"
        " SELECT gtin, lang, name FROM temp.import_names"
    )


class _KnownCodes:
    """The GTINs a promotion in the new version may name: those that will be live."""

    def __init__(self, db: sqlite3.Connection, merging: bool, delta: bool) -> None:
        self._db = db
        tables = ["temp.import_products"]
        if merging:
            tables.append("staged_products")
        if delta:
            tables.append("products")
        self._queries = [f"SELECT 1 FROM {t} WHERE gtin = ?" for t in tables]

    def __contains__(self, gtin: object) -> bool:
        return any(self._db.execute(q, (gtin,)).fetchone() for q in self._queries)


def apply_pending(store: Store, at: str) -> int | None:
    """Make the waiting version live, all of it or none of it; return it, or None.

    Call it only between sales (the basket holds snapshots, but a price that changes under
    a shopper's next scan is a surprise). A version the store refuses (a constraint) is
    marked failed and not tried again; any other failure (disk full, busy) leaves it
    waiting for the next call. Either way the error is raised as StoreError.
    """
    db = store.db
    quick = pending(store)  # read-only: calling this on every idle tick costs no lock
    if quick is None or quick.error is not None:
        return None
    waiting: Pending | None = None
    try:
        with store.transaction():
            waiting = pending(store)
            if waiting is None or waiting.error is not None:
                return None
            live = catalog_version(store)
            if waiting.version <= live:
                log.warning("version %d is not newer than live %d: dropped", waiting.version, live)
                _clear_staging(db)
                return None
            _apply(db, waiting, at)
    except sqlite3.IntegrityError as exc:
        if waiting is None:
            raise StoreError(f"the catalog could not be applied: {exc}") from exc
        message = f"catalog version {waiting.version} cannot be applied: {exc}"
        log.error("%s; the live catalog is unchanged", message)
        with store.transaction():
            db.execute("UPDATE catalog_pending SET error = ? WHERE id = 1", (str(exc),))
        raise StoreError(message) from exc
    except sqlite3.Error as exc:
        log.error("catalog version could not be applied yet (%s); it stays waiting", exc)
        raise StoreError(f"the catalog could not be applied: {exc}") from exc
    log.info(
        "catalog version %d (%s, %d rows) is live", waiting.version, waiting.kind, waiting.rows
    )
    return waiting.version


def _apply(db: sqlite3.Connection, waiting: Pending, at: str) -> None:
    staged = f"SELECT {_PRODUCT_COLUMNS} FROM staged_products WHERE true"
    if waiting.kind == "full":
        db.execute("DELETE FROM product_names")
        db.execute("DELETE FROM products")
        db.execute(f"INSERT INTO products ({_PRODUCT_COLUMNS}) {staged}")
    else:
        db.execute("DELETE FROM product_names WHERE gtin IN (SELECT gtin FROM staged_products)")
        # PLUs may move between products in one delta: free them all before the upsert
        db.execute(
            "UPDATE products SET plu = NULL WHERE gtin IN (SELECT gtin FROM staged_products)"
        )
        db.execute(
            f"INSERT INTO products ({_PRODUCT_COLUMNS}) {staged}"
            f" ON CONFLICT (gtin) DO UPDATE SET{_SET_ALL}"
        )
    db.execute("INSERT INTO product_names SELECT gtin, lang, name FROM staged_product_names")
    # the file's stock column is a count: one ledger movement per level that changes
    db.execute(
        "INSERT INTO stock_movements (gtin, delta, reason, sale_id, at)"
        " SELECT s.gtin, s.stock - coalesce(k.level, 0), 'count', NULL, ?"
        " FROM staged_products s LEFT JOIN stock k ON k.gtin = s.gtin"
        " WHERE s.stock IS NOT NULL AND s.stock != coalesce(k.level, 0)",
        (at,),
    )
    db.execute(
        "INSERT INTO stock (gtin, level) SELECT gtin, stock FROM staged_products"
        " WHERE stock IS NOT NULL ON CONFLICT (gtin) DO UPDATE SET level = excluded.level"
    )
    _apply_section(db, waiting.promotions, "promotion_rules", "staged_promotions", "promo_id")
    _apply_section(db, waiting.tax_rates, "tax_rates", "staged_tax_rates", "rate_bp")
    db.execute(
        "INSERT INTO catalog_versions (version, applied_at, source, kind, rows) VALUES (?,?,?,?,?)",
        (waiting.version, at, waiting.source, waiting.kind, waiting.rows),
    )
    detail = f"version {waiting.version} ({waiting.kind}, {waiting.rows} rows)"
    db.execute(
        "INSERT INTO audit (at, action, detail) VALUES (?, 'catalog-applied', ?)", (at, detail)
    )
    _clear_staging(db)


def _apply_section(db: sqlite3.Connection, mode: str, table: str, staged: str, key: str) -> None:
    """Promotions or tax rates: keep the live ones, replace them all, or upsert by key."""
    if mode == "keep":
        return
    if mode == "replace":
        db.execute(f"DELETE FROM {table}")
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({staged})")]
    update = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    names = ", ".join(columns)
    db.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged}"
        f" WHERE true ON CONFLICT ({key}) DO UPDATE SET {update}"
    )


def _clear_staging(db: sqlite3.Connection) -> None:
    for table in _STAGING:
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM catalog_pending")


def refreshed_rules(store: Store, rules: Rules) -> Rules:
    """The core's rules with the promotions and shelf prices of the catalog now live: the
    main loop swaps them in after apply_pending returns a version (bootstrap builds the
    first ones the same way)."""
    return replace(
        rules,
        promotions=store.promotions(),
        shelf_prices=tuple(sorted(store.shelf_prices().items())),
    )


def summary(store: Store) -> dict[str, Any]:
    """What `kiosk catalog show` prints: the live version, counts, the waiting version."""
    db = store.db

    def count(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0])

    live = db.execute(
        "SELECT version, applied_at, source, kind FROM catalog_versions"
        " ORDER BY version DESC LIMIT 1"
    ).fetchone()
    waiting = pending(store)
    return {
        "version": live[0] if live else 0,
        "applied_at": live[1] if live else None,
        "source": live[2] if live else None,
        "kind": live[3] if live else None,
        "products": count("SELECT count(*) FROM products"),
        "names": count("SELECT count(*) FROM product_names"),
        "promotions": count("SELECT count(*) FROM promotion_rules"),
        "tax_rates": [{"rate_bp": r, "label": label} for r, label in tax_rates(store).items()],
        "pending": None
        if waiting is None
        else {
            "version": waiting.version,
            "kind": waiting.kind,
            "rows": waiting.rows,
            "staged_at": waiting.staged_at,
            "source": waiting.source,
            "error": waiting.error,
        },
    }


@dataclass(frozen=True, slots=True)
class Details:
    """What a product has besides the core's Product: for the screen and head office."""

    category: str | None
    picture: str | None
    names: dict[str, str]


def details(store: Store, gtin: str) -> Details | None:
    row = store.db.execute(
        "SELECT category, picture FROM products WHERE gtin = ?", (gtin,)
    ).fetchone()
    if row is None:
        return None
    names = store.db.execute(
        "SELECT lang, name FROM product_names WHERE gtin = ? ORDER BY lang", (gtin,)
    )
    return Details(row[0], row[1], dict(names.fetchall()))


def picture_path(data_dir: Path, picture: str) -> Path:
    """A product's picture file; the name is checked again, so no name leaves pictures/."""
    if not PICTURE.fullmatch(picture):
        raise ValueError(f"{picture!r} is not a plain picture file name")
    return data_dir / "pictures" / picture

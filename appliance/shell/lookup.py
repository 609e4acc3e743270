"""Items without a barcode, for the shopper's lookup screen: the loose items, best sellers
first, searched by name in any language, found by PLU.

The loose items are the catalog's products with a PLU (docs/catalog.md: the `plu` column is
for loose produce). Every query reads only them, through the partial index products_by_plu,
so its cost follows the number of loose items (a few hundred), not the catalog's size
(100,000 products): tests/shell/test_lookup.py counts the work. Names, in every language
the catalog gives, are folded once per catalog (case, accents, ł → l) into a small
in-memory index; a search is a substring match over it, best sellers first, at most
`search_limit` results. The main loop's thread is the only caller, like the store's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from appliance.core.products import Product
from appliance.shell.schema import LINES_OF_SALE
from appliance.shell.store import Store

BEST_SELLER_DAYS = 30
BEST_SELLER_SALES = 20_000  # at most this many of the newest sales are counted
SEARCH_LIMIT = 48
# letters NFKD does not take apart (casefold already turned ß into ss)
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})


@dataclass(frozen=True, slots=True)
class LooseItem:
    """One tile: `picture` is a file that exists, or "" (the UI draws the name instead);
    `price_minor` is per kilogram for a weighed item."""

    gtin: str
    name: str
    price_minor: int
    weighed: bool
    plu: str
    picture: str = ""


def fold(text: str) -> str:
    """'Jabłka Ą' → 'jablka a': what a search compares, so a shopper typing on a plain
    A-Z keyboard finds names with accents, in any case."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.translate(_LETTERS)


def best_sellers(
    store: Store, since: str, limit: int = 200, max_sales: int = BEST_SELLER_SALES
) -> tuple[str, ...]:
    """GTINs of the loose items by units sold in sales at or after `since` (the store's ISO
    wall time), most first; ties by GTIN. Only the last `max_sales` sales are read (by
    number, through the journal's key), so the cost stays bounded on a busy lane; a wrong
    clock only shifts the window."""
    last = store.db.execute("SELECT coalesce(max(seq), 0) FROM sales").fetchone()[0]
    # CROSS JOIN fixes the order: sales by number first, then their lines by key
    rows = store.db.execute(
        "SELECT l.gtin, sum(l.quantity) AS units FROM sales s"
        f" CROSS JOIN sale_lines l ON {LINES_OF_SALE}"
        " CROSS JOIN products p ON p.gtin = l.gtin"
        " WHERE s.seq > ? AND s.at >= ? AND p.plu IS NOT NULL"
        " GROUP BY l.gtin ORDER BY units DESC, l.gtin LIMIT ?",
        (int(last) - max_sales, since, limit),
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def keep_details(
    store: Store, details: Mapping[str, tuple[str | None, str | None, Sequence[tuple[str, str]]]]
) -> None:
    """Category, picture and names per language of products just loaded with
    Store.replace_catalog (the demo catalog, scenarios): gtin → (category, picture, names)."""
    with store.transaction():
        store.db.executemany(
            "UPDATE products SET category = ?, picture = ? WHERE gtin = ?",
            [(category, picture, gtin) for gtin, (category, picture, _) in details.items()],
        )
        store.db.executemany(
            "INSERT OR REPLACE INTO product_names (gtin, lang, name) VALUES (?, ?, ?)",
            [(gtin, lang, name) for gtin, (_, _, names) in details.items() for lang, name in names],
        )


class ProduceLookup:
    """The lookup screen's answers (ui.lookup_input.Finder), cached until `refresh` is
    given a new key: the UI passes the catalog version and the sales committed, so the
    best sellers are counted again between sales and never while the shopper looks."""

    def __init__(
        self,
        store: Store,
        *,
        wall_iso: Callable[[], str],
        picture_dirs: Iterable[Path] = (),
        days: int = BEST_SELLER_DAYS,
        search_limit: int = SEARCH_LIMIT,
    ) -> None:
        self._store = store
        self._wall_iso = wall_iso
        self._picture_dirs = tuple(picture_dirs)
        self._days = days
        self._limit = search_limit
        self._key: object = None
        self._items: tuple[LooseItem, ...] | None = None
        self._index: tuple[tuple[str, LooseItem], ...] = ()

    def refresh(self, key: object) -> None:
        if key != self._key:
            self._key, self._items = key, None

    def loose_items(self) -> tuple[LooseItem, ...]:
        """Every loose item: best sellers first, then by name."""
        if self._items is None:
            self._load()
        assert self._items is not None
        return self._items

    def search(self, query: str) -> tuple[LooseItem, ...]:
        """Loose items whose name in any language contains `query` (folded), in the grid's
        order, at most search_limit; nothing for a blank query."""
        wanted = " ".join(fold(query).split())
        if not wanted:
            return ()
        self.loose_items()
        found = (item for text, item in self._index if wanted in text)
        return tuple(item for _, item in zip(range(self._limit), found, strict=False))

    def by_plu(self, plu: str) -> LooseItem | None:
        """The item with this PLU (organic: 9 + the PLU, its own product), or None."""
        product = self._store.product_by_plu(plu)
        if product is None:
            return None
        row = self._store.db.execute(
            "SELECT picture FROM products WHERE gtin = ?", (product.gtin,)
        ).fetchone()
        return self._item(product, row[0] if row else None)

    def _load(self) -> None:
        db = self._store.db
        rows = db.execute(
            "SELECT gtin, name, price_minor, vat_rate_bp, weighed, plu, picture"
            " FROM products WHERE plu IS NOT NULL"
        ).fetchall()
        names: dict[str, list[str]] = {}
        for gtin, name in db.execute(
            "SELECT n.gtin, n.name FROM products p JOIN product_names n ON n.gtin = p.gtin"
            " WHERE p.plu IS NOT NULL"
        ):
            names.setdefault(gtin, []).append(name)
        rank = {gtin: i for i, gtin in enumerate(best_sellers(self._store, self._since()))}
        items = [
            self._item(Product(r[0], r[1], r[2], r[3], weighed=bool(r[4]), plu=r[5]), r[6])
            for r in rows
        ]
        items.sort(key=lambda item: (rank.get(item.gtin, len(rank)), fold(item.name), item.gtin))
        self._items = tuple(items)
        self._index = tuple(
            (" | ".join(fold(n) for n in (item.name, *names.get(item.gtin, ()))), item)
            for item in items
        )

    def _since(self) -> str:
        now = datetime.fromisoformat(self._wall_iso())
        return (now - timedelta(days=self._days)).isoformat(timespec="milliseconds")

    def _item(self, product: Product, picture: str | None) -> LooseItem:
        return LooseItem(
            product.gtin,
            product.name,
            product.price_minor,
            product.weighed,
            product.plu or "",
            self._picture(picture),
        )

    def _picture(self, name: str | None) -> str:
        """The first picture directory holding `name`; a name with a folder in it is none."""
        if not name or Path(name).name != name:
            return ""
        for folder in self._picture_dirs:
            path = folder / name
            if path.is_file():
                return str(path)
        return ""

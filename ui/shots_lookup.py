"""The lookup screens' samples for ui.shots: the demo catalog in an in-memory store, with a
few sales so the best sellers come first, asked through the real ProduceLookup."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from appliance.catalog_file import load_json
from appliance.core.basket import Basket
from appliance.core.effects import SaleDraft
from appliance.core.text import Text
from appliance.shell import lookup
from appliance.shell.lookup import ProduceLookup
from appliance.shell.store import Store
from ui import lookup_input
from ui.lookup_input import LookupInput, Step
from ui.produce_art import PRODUCE
from ui.view import ViewModel

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "appliance" / "demo" / "catalog.json"
NOW = "2026-11-23T12:00:00.000+00:00"
# what sold lately (PLU, units): these lead the grid
SOLD = (("4011", 5), ("4053", 4), ("4062", 3), ("83001", 2))

# sample name → the flow's state (the base is the 12-line scanning screen)
LOOKUP_SAMPLES: dict[str, LookupInput] = {
    "lookup": LookupInput(Step.GRID),
    "lookup-page-2": LookupInput(Step.GRID, page=1),
    "lookup-search": LookupInput(Step.SEARCH, query="jab"),
    "lookup-search-nothing": LookupInput(Step.SEARCH, query="qqq", refused=lookup_input.NOTHING),
    "lookup-results": LookupInput(Step.RESULTS, query="a"),
    "lookup-plu": LookupInput(Step.PLU, digits="401"),
    "lookup-plu-refused": LookupInput(
        Step.PLU, digits="4012", refused=Text(lookup_input.NO_PLU, plu="4012")
    ),
}


@lru_cache(maxsize=1)
def demo_finder() -> ProduceLookup:
    catalog = load_json(DEMO_CATALOG)
    store = Store.open(":memory:")
    store.replace_catalog(catalog.products, catalog.promotions, catalog.stock, NOW)
    lookup.keep_details(store, catalog.details)
    by_plu = {p.plu: p for p in catalog.products if p.plu}
    for plu, units in SOLD:
        basket = Basket()
        for _ in range(units):
            basket = basket.add(by_plu[plu], by_plu[plu].price_minor)
        draft = SaleDraft(catalog.currency, basket.lines, basket.totals(()), "card", "sample")
        store.commit_sale(draft, "sample", NOW, clock_synced=True)
    return ProduceLookup(store, wall_iso=lambda: NOW, picture_dirs=(PRODUCE,))


def lookup_view_models(scanning: ViewModel) -> dict[str, ViewModel]:
    finder = demo_finder()
    models = {}
    for name, flow in LOOKUP_SAMPLES.items():
        flow = replace(flow, screen=scanning.screen, lines=len(scanning.lines))
        models[name] = lookup_input.present(flow, scanning, lookup_input.items_for(flow, finder))
    return models

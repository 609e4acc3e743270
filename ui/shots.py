"""Screenshots without a running kiosk: one view model → one PNG (tests and docs).

`python -m ui.shots docs/screens` writes the PNGs the docs show (docs/screens.md: every
sample at 800×480), built from the demo catalog. `sample_states()` is one realistic state
per screen; `variant_states()` adds the busy ones (the staff menu with most of its
buttons, scanning with a hint and pending checks); `sample_view_models()` draws all of
them plus the staff input flows' screens (line picker, keypad, reasons), which are the
UI's own. The UI tests draw every one; ui.golden keeps them as golden images.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pygame

from appliance.catalog_file import load_json
from appliance.core import buttons, receipts
from appliance.core.basket import Basket
from appliance.core.events import KeyPosition, PaperState
from appliance.core.interventions import Intervention, Need
from appliance.core.products import Product
from appliance.core.promotion_hints import ADD_ITEM, Hint
from appliance.core.receipt import Receipt
from appliance.core.records import RefundDraft, Report, SoldLine, SoldSale
from appliance.core.state import Checkout, Devices, KioskState, Rules
from appliance.core.tax import tax_table
from appliance.core.text import Text
from ui import staff_input
from ui.i18n import N_, words
from ui.render import Renderer
from ui.shots_lookup import LOOKUP_SAMPLES, lookup_view_models
from ui.staff_input import INPUT_SCREENS, StaffInput, Step
from ui.view import SCREENS, ButtonView, ViewModel, view_model
from ui.widgets import HitBox

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "appliance" / "demo" / "catalog.json"
SALE_ID = "3b2e0c1a-0000-4000-8000-000000000001"
ERECEIPT_URL = "https://receipts.example.com/r"
LOCALE = "pl_PL"
UNKNOWN = Text("Item not recognised: {code}", code="5901234123457")
# a real-looking product whose name is longer than any basket column
LONG_NAME = Product(
    gtin="05900012399990",
    name="Żubrówka Biała wódka 0,7 l z bardzo długą nazwą produktu",
    price_minor=3999,
    vat_rate_bp=2300,
    age_limit=18,
)
# the first words of the demo catalog's product names, in basket order (× repeats)
BASKET = (
    ("Whole milk", 2),
    ("Butter", 1),
    ("Rye bread", 1),
    ("Spaghetti", 1),
    ("Tomato passata", 1),
    ("Olive oil", 1),
    ("Ground coffee", 1),
    ("Bananas", 1),
    ("Red wine", 1),
    ("White wine", 1),
    ("Kitchen roll", 1),
)


def render_png(
    vm: ViewModel, size: tuple[int, int], path: Path, high_contrast: bool = False
) -> list[HitBox]:
    """Draw `vm` on an off-screen surface of `size` and save it as a PNG at `path`."""
    if not pygame.font.get_init():
        pygame.font.init()
    surface = pygame.Surface(size)
    boxes = Renderer(surface, high_contrast=high_contrast).draw(vm)
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    return boxes


def _find(products: list[Product], start: str) -> Product:
    for product in products:
        if product.name.startswith(start):
            return product
    raise LookupError(f"no demo product named {start!r}...")


def sample_states(catalog_path: Path = DEMO_CATALOG) -> dict[str, KioskState]:
    """One realistic state per screen id, with a 12-line basket where a basket shows."""
    catalog = load_json(catalog_path)
    rules = Rules(
        store_name="Sklep Demo", currency=catalog.currency, promotions=tuple(catalog.promotions)
    )
    basket = Basket()
    for start, times in BASKET:
        product = _find(catalog.products, start)
        for _ in range(times):
            basket = basket.add(product, product.price_minor)
    basket = basket.add(LONG_NAME, LONG_NAME.price_minor)
    base = KioskState(rules=rules)
    selling = replace(base, checkout=Checkout.SCANNING, basket=basket)
    # a paid sale with e-receipts configured: its receipt is kept, the basket is not
    paid = replace(
        base, rules=replace(rules, ereceipt_url=ERECEIPT_URL), receipt=_receipt(basket, rules)
    )
    return {
        "welcome": base,
        "scanning": selling,
        "still-there": replace(selling, last_input_at=0.0, still_there_since=60.0),
        "item-unknown": replace(
            selling,
            checkout=Checkout.BLOCKED,
            blocking=Intervention(Need.UNKNOWN_ITEM, UNKNOWN),
            notice=UNKNOWN,
        ),
        "assist": replace(
            selling,
            checkout=Checkout.BLOCKED,
            blocking=Intervention(
                Need.VOID_REQUEST, Text("You asked to remove an item: staff are coming.")
            ),
            notice=Text("You asked to remove an item: staff are coming."),
        ),
        "refund": replace(
            base,
            checkout=Checkout.REFUND,
            key=KeyPosition.STAFF,
            staff_id="0042",
            refund=RefundDraft(_sold(basket, rules), ((1, 1), (2, 1))),
        ),
        "report": replace(
            base,
            checkout=Checkout.REPORT,
            key=KeyPosition.STAFF,
            staff_id="0042",
            report=_report(rules.currency),
        ),
        "paying": replace(selling, checkout=Checkout.PAYING),
        "payment-declined": replace(
            selling,
            checkout=Checkout.PAYMENT_DECLINED,
            notice=Text("Payment declined: {reason}", reason="insufficient funds"),
        ),
        "thank-you": replace(
            selling,
            checkout=Checkout.THANK_YOU,
            notice=Text(
                "Your purchase is complete, but the receipt did not print ({reason}).",
                reason="out of paper",
            ),
            devices=Devices(paper=PaperState.OUT),
        ),
        "out-of-service": replace(
            base,
            checkout=Checkout.OUT_OF_SERVICE,
            out_of_service_reason=Text("Sale could not be saved: {reason}", reason="disk full"),
            help_requested=True,
        ),
        "scanner-lost": replace(
            selling, devices=Devices(scanner_ok=False, scanner_reason="unplugged")
        ),
        "receipt-choice": replace(
            paid, checkout=Checkout.RECEIPT_CHOICE, notice=receipts.CHOOSE, deadline_at=10.0
        ),
        "ereceipt": replace(paid, checkout=Checkout.ERECEIPT, deadline_at=30.0),
        "staff": replace(
            selling,
            checkout=Checkout.BLOCKED,
            blocking=Intervention(Need.UNKNOWN_ITEM, UNKNOWN),
            key=KeyPosition.STAFF,
            staff_id="0042",
            notice=UNKNOWN,
            devices=Devices(paper=PaperState.LOW, drawer_open=True),
            help_requested=True,
        ),
    }


def _receipt(basket: Basket, rules: Rules) -> Receipt:
    totals = basket.totals(rules.promotions)
    return Receipt(
        store_name=rules.store_name,
        currency=rules.currency,
        sale_id=SALE_ID,
        seq=41,
        wall_at="2026-11-23T09:15:00+00:00",
        lines=(),
        savings=(),
        tax_rows=totals.tax_rows,
        total_minor=totals.total_minor,
        payment_method="card",
        payment_reference="SIM000041",
    )


def _sold(basket: Basket, rules: Rules) -> SoldSale:
    paid = basket.paid_by_line(basket.totals(rules.promotions).savings)
    return SoldSale(
        sale_id=SALE_ID,
        seq=41,
        currency=rules.currency,
        payment_method="card",
        lines=tuple(
            SoldLine(
                line.line_no,
                line.product.gtin,
                line.product.name,
                line.quantity,
                paid[line.line_no],
                line.product.vat_rate_bp,
            )
            for line in basket.lines
        ),
    )


def _report(currency: str) -> Report:
    return Report(
        kind="Z",
        number=17,
        currency=currency,
        period_from="2026-11-22T21:58:03+00:00",
        period_to="2026-11-23T21:59:41+00:00",
        sales_count=412,
        sales_minor=1_873_455,
        refunds_count=3,
        refunds_minor=4_197,
        tax_rows=tax_table([(2300, 912_000), (800, 301_200), (500, 656_058)]),
        by_payment=(("card", 1_873_455),),
        cancelled_sales=2,
        voided_lines=9,
    )


def variant_states() -> dict[str, KioskState]:
    """The busy states: what the everyday samples leave out."""
    states = sample_states()
    selling = states["scanning"]
    long_line = selling.basket.lines[-1]
    age_check = Intervention(
        Need.AGE_CHECK, Text("Age check: {age}+", age=18), long_line.line_no, 18
    )
    price_check = Intervention(Need.PRICE_CHECK, Text("Price check requested"), 9)
    # the demo's meal deal wants a drink: "Add a drink and save 2,98 zł"
    hint = Hint("P3-meal-deal", ADD_ITEM, "drink", 298, "05900012346262")
    return {
        "scanning-hint": replace(selling, hint=hint, deferred=(age_check, price_check)),
        "staff-many": replace(
            states["staff"], deferred=(age_check,), devices=Devices(paper=PaperState.LOW)
        ),
        # the paper ran out mid-receipt: the e-receipt is offered, the strip says why
        "ereceipt-paper-out": replace(
            states["ereceipt"],
            notice=Text(receipts.PRINT_FAILED, reason="paper out"),
            devices=Devices(printer_online=False, paper=PaperState.OUT, printer_reason="paper out"),
        ),
    }


# every button the staff menu can show at once, and more: the grid must hold them all
ALL_STAFF_BUTTONS = (
    ButtonView(buttons.STAFF_OPEN_DRAWER, N_("Open drawer")),
    ButtonView(buttons.STAFF_HELP_GIVEN, N_("Help given"), primary=True),
    ButtonView(buttons.STAFF_APPROVE, N_("Approve"), primary=True),
    ButtonView(buttons.STAFF_APPROVE_AGE, Text("Customer is {age}+", age=18), primary=True),
    ButtonView(buttons.STAFF_VOID_LINE, N_("Void a line"), needs_input=True),
    ButtonView(buttons.STAFF_OVERRIDE_PRICE, N_("Change a price"), needs_input=True),
    ButtonView(buttons.STAFF_SUSPEND, N_("Suspend sale")),
    ButtonView(buttons.STAFF_CANCEL_SALE, N_("Cancel sale")),
    ButtonView(buttons.STAFF_REPRINT, N_("Reprint receipt")),
    ButtonView(buttons.STAFF_X_REPORT, N_("X report")),
    ButtonView(buttons.STAFF_Z_REPORT, N_("Close day (Z)")),
    ButtonView(buttons.STAFF_OUT_OF_SERVICE, N_("Out of service")),
)

# what each input flow's sample has typed or picked (line 2 is the butter)
INPUT_SAMPLES = {
    Step.PICK_LINE.value: StaffInput(Step.PICK_LINE, buttons.STAFF_VOID_LINE),
    Step.PRICE.value: StaffInput(Step.PRICE, buttons.STAFF_OVERRIDE_PRICE, 2, "599"),
    "staff-price-refused": StaffInput(
        Step.PRICE,
        buttons.STAFF_OVERRIDE_PRICE,
        12,
        "4999",
        refused=Text(staff_input.NOT_LOWER, price="39,99 zł"),
    ),
    Step.REASON.value: StaffInput(Step.REASON, buttons.STAFF_OVERRIDE_PRICE, 2, "599"),
    Step.REFERENCE.value: StaffInput(Step.REFERENCE, buttons.STAFF_PAYMENT_TAKEN, 0, "48213"),
}
# every sample sample_view_models() draws, by name
SAMPLES = (
    *SCREENS,
    "scanning-hint",
    "staff-many",
    "ereceipt-paper-out",
    "staff-all-buttons",
    *INPUT_SCREENS,
    "staff-price-refused",
    *LOOKUP_SAMPLES,
)


def sample_view_models(sim: bool = False, language: str = "en") -> dict[str, ViewModel]:
    """Every sample, its words in `language`; money in the Polish store's locale whatever
    the language, as the kiosk shows it (ui.app)."""
    states = sample_states() | variant_states()
    models = {
        name: view_model(state, locale=LOCALE, sim=sim, language=language)
        for name, state in states.items()
    }
    staff = models["staff"]
    tr = words(language)
    every = tuple(replace(b, label=tr.text(b.label)) for b in ALL_STAFF_BUTTONS)
    models["staff-all-buttons"] = replace(staff, buttons=every)
    # the card-was-charged flow starts from a menu that offers it
    charged_label = tr(N_("Card was charged"))
    charged = replace(staff, buttons=(ButtonView(buttons.STAFF_PAYMENT_TAKEN, charged_label),))
    for name, flow in INPUT_SAMPLES.items():
        base = charged if flow.step is Step.REFERENCE else staff
        models[name] = staff_input.present(replace(flow, screen="staff"), base)
    models |= lookup_view_models(models["scanning"])
    return models


SMALL = (800, 480)
PORTRAIT = (1080, 1920)
# the PNGs in docs/screens: file name → (sample, window size)
DOC_SHOTS = {
    "welcome-800x480.png": ("welcome", SMALL),
    "scanning-800x480.png": ("scanning", SMALL),
    "scanning-hint-800x480.png": ("scanning-hint", SMALL),
    "still-there-800x480.png": ("still-there", SMALL),
    "staff-800x480.png": ("staff", SMALL),
    "staff-all-buttons-800x480.png": ("staff-all-buttons", SMALL),
    "refund-800x480.png": ("refund", SMALL),
    "refund-1080x1920.png": ("refund", PORTRAIT),
    "report-800x480.png": ("report", SMALL),
    "receipt-choice-800x480.png": ("receipt-choice", SMALL),
    "ereceipt-800x480.png": ("ereceipt", SMALL),
    "ereceipt-paper-out-800x480.png": ("ereceipt-paper-out", SMALL),
    "ereceipt-1080x1920.png": ("ereceipt", PORTRAIT),
    "staff-pick-line-800x480.png": ("staff-pick-line", SMALL),
    "staff-price-800x480.png": ("staff-price", SMALL),
    "staff-price-1080x1920.png": ("staff-price", PORTRAIT),
    "staff-reason-800x480.png": ("staff-reason", SMALL),
    "lookup-800x480.png": ("lookup", SMALL),
    "lookup-1080x1920.png": ("lookup", PORTRAIT),
    "lookup-search-800x480.png": ("lookup-search", SMALL),
    "lookup-results-800x480.png": ("lookup-results", SMALL),
    "lookup-plu-800x480.png": ("lookup-plu", SMALL),
}


# the translated shoppers' screens: <screen>-<language>-800x480.png
TRANSLATED_SHOTS = ("welcome", "scanning", "paying", "still-there")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("docs/screens")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    models = sample_view_models()
    # every sample in English at 800×480 (docs/screens.md shows each), then the extra sizes
    every = {f"{name}-800x480.png": (name, SMALL) for name in SAMPLES}
    for filename, (name, size) in (every | DOC_SHOTS).items():
        render_png(models[name], size, out / filename)
        print(out / filename)
    for language in ("pl", "de"):
        translated = sample_view_models(language=language)
        for name in TRANSLATED_SHOTS:
            path = out / f"{name}-{language}-800x480.png"
            render_png(translated[name], SMALL, path)
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

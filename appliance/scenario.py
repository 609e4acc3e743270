"""Plain-text scenarios (docs/scenarios.md): parse a file, run it headless against every twin.

A scenario declares its own catalog (`product` lines), then drives the kiosk as a
shopper and staff would (`scan`, `touch`, `key`, `pay`, device faults) and checks what
they would see (`expect`). Time is simulated: `wait 5` moves the clock, nothing sleeps.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, SimHardware, build, scan_rules
from appliance.catalog_file import Catalog, CatalogError, lookup_key, vat_bp
from appliance.core import checkout
from appliance.core.barcodes import ScanRules
from appliance.core.events import KeyPosition, ReportAcked, Touched
from appliance.core.kiosk_codes import receipt_code
from appliance.core.products import Product
from appliance.core.promotion_codec import from_dict
from appliance.core.promotions import Promotion, Rule
from appliance.core.signals import Colour
from appliance.money import MoneyError, parse_amount
from appliance.shell.clock import SimClock
from appliance.shell.lookup import ProduceLookup
from drivers.escpos_decode import EscPosDecoder, QrCode
from ui import lookup_input, staff_input
from ui.lookup_input import LookupInput
from ui.view import SCREENS, ViewModel, view_model

ACTIONS = (
    "scan",
    "key",
    "touch",
    "pay",
    "printer",
    "scanner",
    "drawer",
    "help",
    "wait",
    "restart",
    "ack",
    "type",
    "choose",
)
PROMOTION_VERBS = ("promotion", "buyget", "unitoff", "mealdeal")
SETUP = ("currency", "locale", "config", "product", *PROMOTION_VERBS)


class ScenarioError(Exception):
    """A line that is malformed, or an expectation that did not hold. Names the line."""

    def __init__(self, path: str, line_no: int, message: str) -> None:
        self.path, self.line_no, self.message = path, line_no, message
        super().__init__(f"{path}:{line_no}: {message}")


@dataclass(frozen=True)
class Step:
    line_no: int
    verb: str
    args: tuple[str, ...]
    text: str


@dataclass
class Scenario:
    path: str
    currency: str = "EUR"
    locale: str = "en_GB"
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: list[tuple[int, list[str]]] = field(default_factory=list)
    promotions: list[tuple[int, list[str]]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def parse(text: str, path: str = "<scenario>") -> Scenario:
    scenario = Scenario(path)
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise ScenarioError(path, line_no, f"cannot read line: {exc}") from None
        verb, args = words[0], words[1:]
        if verb == "currency":
            if len(args) != 1 or len(args[0]) != 3:
                raise ScenarioError(path, line_no, "usage: currency <ISO 4217 code>")
            scenario.currency = args[0]
        elif verb == "locale":
            if len(args) != 1:
                raise ScenarioError(path, line_no, "usage: locale <en_GB|en_US|de_DE|pl_PL>")
            scenario.locale = args[0]
        elif verb == "config":
            if len(args) != 1 or "." not in args[0].partition("=")[0] or "=" not in args[0]:
                raise ScenarioError(path, line_no, "usage: config <section>.<key>=<value>")
            key, _, value = args[0].partition("=")
            section, _, name = key.partition(".")
            try:
                parsed = tomllib.loads(f"v = {value}")["v"]
            except tomllib.TOMLDecodeError:
                parsed = value
            scenario.settings.setdefault(section, {})[name] = parsed
        elif verb == "product":
            scenario.products.append((line_no, args))
        elif verb in PROMOTION_VERBS:
            scenario.promotions.append((line_no, [verb, *args]))
        elif verb in ACTIONS or verb == "expect":
            scenario.steps.append(Step(line_no, verb, tuple(args), line))
        else:
            raise ScenarioError(path, line_no, f"unknown verb {verb!r}")
    return scenario


def _catalog(s: Scenario, rules: ScanRules) -> Catalog:
    catalog = Catalog(s.currency)
    for line_no, args in s.products:
        try:
            product, stock = _product(args, s.currency, rules)
        except (CatalogError, MoneyError, ValueError) as exc:
            raise ScenarioError(s.path, line_no, f"product: {exc}") from None
        catalog.products.append(product)
        if stock is not None:
            catalog.stock[product.gtin] = stock
    for line_no, args in s.promotions:
        try:
            catalog.promotions.append(_promotion(args, s.currency, rules))
        except (CatalogError, MoneyError, ValueError) as exc:
            raise ScenarioError(s.path, line_no, f"promotion: {exc}") from None
    return catalog


def _options(words: list[str]) -> tuple[list[str], dict[str, str]]:
    plain = [w for w in words if "=" not in w]
    opts = dict(w.split("=", 1) for w in words if "=" in w)
    return plain, opts


def _product(args: list[str], currency: str, rules: ScanRules) -> tuple[Product, int | None]:
    """product <code> "<name>" <price> [vat=..] [age=..] [weighed] [stock=..] [limit=..] [plu=..]"""
    plain, opts = _options(args)
    if len(plain) < 3:
        raise ValueError('usage: product <code> "<name>" <price> [vat=..] [age=..] [weighed]')
    unknown = set(opts) - {"vat", "age", "stock", "limit", "plu"} or set(plain[3:]) - {"weighed"}
    if unknown:
        raise ValueError(f"unknown option {sorted(unknown)[0]!r}")
    product = Product(
        gtin=lookup_key(plain[0], rules),
        name=plain[1],
        price_minor=parse_amount(plain[2], currency),
        vat_rate_bp=vat_bp(opts.get("vat", "0")),
        age_limit=int(opts["age"]) if "age" in opts else None,
        weighed="weighed" in plain[3:],
        quantity_limit=int(opts["limit"]) if "limit" in opts else None,
        plu=opts.get("plu"),
    )
    return product, int(opts["stock"]) if "stock" in opts else None


def _promotion(words: list[str], currency: str, rules: ScanRules) -> Rule:
    """promotion <id> "<name>" <qty> price=<amount>|free=<n> codes=<code>,...
    buyget <id> "<name>" buy=<n>:<codes> get=<n>:<codes> [off=<percent>]
    unitoff <id> "<name>" percent=<p>|amount=<a> [min=<n>] codes=<code>,...
    mealdeal <id> "<name>" price=<a> <group>=<codes> <group>=<codes> ...
    """
    verb, args = words[0], words[1:]
    if verb != "promotion":
        return _rule(verb, args, currency, rules)
    plain, opts = _options(args)
    if len(plain) != 3 or "codes" not in opts or ("price" in opts) == ("free" in opts):
        raise ValueError('usage: promotion <id> "<name>" <qty> price=<p>|free=<n> codes=<c>,...')
    return Promotion(
        promo_id=plain[0],
        name=plain[1],
        gtins=frozenset(lookup_key(c, rules) for c in opts["codes"].split(",")),
        quantity=int(plain[2]),
        bundle_price_minor=parse_amount(opts["price"], currency) if "price" in opts else None,
        free_units=int(opts.get("free", "0")),
    )


def _rule(verb: str, args: list[str], currency: str, rules: ScanRules) -> Rule:
    plain, opts = _options(args)
    if len(plain) != 2:
        raise ValueError(f'usage: {verb} <id> "<name>" ...')

    def codes(text: str) -> list[str]:
        return [lookup_key(c, rules) for c in text.split(",") if c]

    def counted(key: str) -> tuple[int, list[str]]:
        count, _, listed = opts[key].partition(":")
        return int(count), codes(listed)

    data: dict[str, Any] = {"promo_id": plain[0], "name": plain[1]}
    if verb == "buyget":
        (buy_n, buy), (get_n, get) = counted("buy"), counted("get")
        data |= {
            "kind": "buy_get",
            "buy_quantity": buy_n,
            "buy_gtins": buy,
            "get_quantity": get_n,
            "get_gtins": get,
            "percent_off": int(opts.get("off", "100")),
        }
    elif verb == "unitoff":
        data |= {
            "kind": "unit_off",
            "gtins": codes(opts["codes"]),
            "percent_off": int(opts["percent"]) if "percent" in opts else None,
            "amount_off_minor": parse_amount(opts["amount"], currency)
            if "amount" in opts
            else None,
            "min_quantity": int(opts.get("min", "1")),
        }
    else:
        groups = [{"name": k, "gtins": codes(v)} for k, v in opts.items() if k != "price"]
        data |= {
            "kind": "meal_deal",
            "price_minor": parse_amount(opts["price"], currency),
            "groups": groups,
        }
    return from_dict(data)


class Runner:
    """Runs one parsed scenario against a freshly built simulated kiosk."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.clock = SimClock()
        self._dir = tempfile.mkdtemp(prefix="kiosk-scenario-")
        settings: dict[str, dict[str, Any]] = {
            "kiosk": {
                "data_dir": self._dir,
                "currency": scenario.currency,
                "locale": scenario.locale,
            },
            "broker": {"enabled": False},
        }
        for section, values in scenario.settings.items():
            settings.setdefault(section, {}).update(values)
        try:
            cfg = config_mod.merge(config_mod.Config(), settings, scenario.path)
        except config_mod.ConfigError as exc:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise ScenarioError(scenario.path, 0, str(exc)) from None
        self._config = cfg
        self.kiosk: Kiosk = build(
            cfg, self.clock, sim=True, catalog=_catalog(scenario, scan_rules(cfg))
        )
        assert self.kiosk.sim is not None
        self.sim: SimHardware = self.kiosk.sim
        # how many of the speaker's sounds an `expect sounds` has already accounted for
        self._heard = 0
        self.kiosk.start()

    def restart(self) -> None:
        """The process ends and starts again on the same store (its catalog included)."""
        self.kiosk.close()
        self.kiosk = build(self._config, self.clock, sim=True)
        assert self.kiosk.sim is not None
        self.sim = self.kiosk.sim
        self._heard = 0
        self.kiosk.start()

    def close(self) -> None:
        self.kiosk.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    # the shopper's lookup screen: the UI's own flow (ui.lookup_input), run here as the
    # touchscreen runs it, over this kiosk's store
    lookup = LookupInput()

    def view(self) -> ViewModel:
        base = view_model(self.kiosk.state, locale=self.kiosk.config.kiosk.locale)
        self.lookup = lookup_input.follow(self.lookup, base)
        if self.lookup.step is lookup_input.Step.OFF:
            return base
        return lookup_input.present(
            self.lookup, base, lookup_input.items_for(self.lookup, self._finder())
        )

    def _finder(self) -> ProduceLookup:
        return ProduceLookup(self.kiosk.store, wall_iso=self.clock.wall_iso)

    def run(self) -> None:
        for step in self.s.steps:
            try:
                if step.verb == "expect":
                    self._expect(step)
                else:
                    self._act(step)
            except ScenarioError:
                raise
            except (ValueError, IndexError) as exc:
                raise ScenarioError(self.s.path, step.line_no, str(exc)) from None
            self.kiosk.loop.process_pending()
            self.kiosk.loop.tick()

    def _fail(self, step: Step, message: str) -> ScenarioError:
        return ScenarioError(self.s.path, step.line_no, message)

    def _act(self, step: Step) -> None:
        verb, args, sim = step.verb, step.args, self.sim
        arg = " ".join(args)
        if verb == "scan":
            if len(args) != 1:
                raise self._fail(step, "usage: scan <code> | scan @last-receipt")
            sim.scanner.scan(
                self._last_receipt_code(step) if args[0] == "@last-receipt" else args[0]
            )
        elif verb == "key":
            if arg not in ("staff", "normal", "service"):
                raise self._fail(step, "usage: key staff | key normal | key service")
            if arg == "service" and sim.gpio.config.key_positions != 3:
                raise self._fail(step, "key service needs [gpio] key_positions = 3 (config)")
            sim.gpio.turn_key(KeyPosition(arg))
        elif verb == "touch":
            if not args or len(args) > 2:
                raise self._fail(step, 'usage: touch <button-id> ["<arg>"]')
            self._touch(step, args[0], args[1] if len(args) == 2 else "")
        elif verb == "pay":
            if arg not in ("card", "card declined", "card no-answer"):
                raise self._fail(step, "usage: pay card | pay card declined | pay card no-answer")
            if arg == "card declined":
                sim.terminal.decline_next("card declined")
            elif arg == "card no-answer":
                sim.terminal.ignore_next()
            screen = self.view().screen
            self._touch(step, "retry" if screen == "payment-declined" else "pay")
        elif verb == "printer":
            actions = {
                "paper-out": sim.printer.paper_out,
                "paper-in": sim.printer.paper_in,
                "paper-low": sim.printer.paper_low,
                "cover-open": sim.printer.cover_open,
                "cover-close": sim.printer.cover_close,
                "tear-next": sim.printer.fail_next_print,
            }
            if arg not in actions:
                raise self._fail(step, f"usage: printer {' | '.join(actions)}")
            actions[arg]()
        elif verb == "scanner":
            if arg not in ("unplug", "plug"):
                raise self._fail(step, "usage: scanner unplug | scanner plug")
            (sim.scanner.unplug if arg == "unplug" else sim.scanner.plug)()
        elif verb == "drawer":
            if arg not in ("shut", "force-open", "jam"):
                raise self._fail(step, "usage: drawer shut | drawer force-open | drawer jam")
            if arg == "jam":
                sim.gpio.drawer_jammed = True
            else:
                (sim.gpio.push_drawer_shut if arg == "shut" else sim.gpio.pull_drawer_open)()
        elif verb == "help":
            sim.gpio.press_help()
        elif verb == "wait":
            self._wait(step, float(arg))
        elif verb == "restart":
            self.restart()
        elif verb == "type":
            self._type(step, arg)
        elif verb == "choose":
            tiles = [b for b in self.view().buttons if lookup_input.is_tile(b) and b.label == arg]
            if len(args) != 1 or not tiles:
                raise self._fail(step, f'usage: choose "<name of a tile on screen>" (got {arg!r})')
            self._touch(step, tiles[0].button_id, tiles[0].arg)
        elif verb == "ack":
            if arg != "all":
                raise self._fail(step, "usage: ack all")
            rows = self.kiosk.store.outbox_pending(limit=1_000_000)
            if rows:
                ids = tuple(row.event_id for row in rows)
                self.kiosk.loop.emit(ReportAcked(at=self.clock.monotonic(), event_ids=ids))

    def _last_receipt_code(self, step: Step) -> str:
        sales = self.kiosk.store.sales()
        if not sales:
            raise self._fail(step, "no sale yet: @last-receipt has nothing to scan")
        return receipt_code(int(sales[-1]["seq"]), str(sales[-1]["sale_id"]))  # type: ignore[call-overload]

    def _touch(self, step: Step, button: str, arg: str = "") -> None:
        """Touch a button that is on the screen: one with a fixed argument must be given
        that argument; one that asks staff for input accepts any."""
        view = self.view()
        fits = [
            b for b in view.buttons if b.button_id == button and (b.needs_input or b.arg == arg)
        ]
        if not fits:
            offered = [f"{b.button_id} {b.arg}".strip() for b in view.buttons]
            raise self._fail(
                step, f"button {button!r} is not on screen {view.screen!r} (offered: {offered})"
            )
        at = self.clock.monotonic()
        if lookup_input.handles(self.lookup, button, arg):
            self.lookup, event = lookup_input.touch(
                self.lookup, view, button, arg, at=at, finder=self._finder()
            )
            if event is not None:
                self.kiosk.loop.emit(event)
            return
        self.kiosk.loop.emit(Touched(at=at, button=button, arg=arg))

    def _type(self, step: Step, text: str) -> None:
        """Touch a key per character: digits on the PLU keypad, letters on the keyboard."""
        screen = self.view().screen
        if screen not in (lookup_input.Step.PLU.value, lookup_input.Step.SEARCH.value):
            raise self._fail(step, f"type: no keypad or keyboard on screen {screen!r}")
        for char in text:
            if screen == lookup_input.Step.PLU.value:
                self._touch(step, staff_input.KEY, char)
            else:
                self._touch(step, lookup_input.LETTER, char.lower())

    def _wait(self, step: Step, seconds: float) -> None:
        if not 0 <= seconds <= 86_400:
            raise self._fail(step, "wait: 0 to 86400 seconds")
        end = self.clock.monotonic() + seconds
        while True:
            deadline = checkout.next_deadline(self.kiosk.loop.state)
            if deadline is None or deadline > end:
                break
            self.clock.advance(max(0.0, deadline - self.clock.monotonic()))
            self.kiosk.loop.tick()
            self.kiosk.loop.process_pending()
        self.clock.advance(end - self.clock.monotonic())
        self.kiosk.loop.tick()

    def _expect(self, step: Step) -> None:
        if not step.args:
            raise self._fail(step, "usage: expect <what>=<value>")
        what, _, value = step.args[0].partition("=")
        view = self.view()
        if what == "screen":
            if value not in (*SCREENS, *lookup_input.SCREENS):
                raise self._fail(step, f"unknown screen {value!r}; screens: {', '.join(SCREENS)}")
            self._check(step, "screen", view.screen, value)
        elif what == "total":
            wanted = parse_amount(value, self.s.currency)
            self._check(step, "total", view.total_minor, wanted, shown=view.total)
        elif what == "tower":
            self._expect_tower(step, value, step.args[1:])
        elif what == "receipt":
            self._expect_receipt(step)
        elif what == "sales":
            self._check(step, "sales", self.kiosk.store.sales_count(), int(value))
        elif what == "outbox":
            self._check(step, "outbox", self.kiosk.store.outbox_depth(), int(value))
        elif what == "drawer":
            state = "open" if self.sim.gpio.drawer_open else "closed"
            self._check(step, "drawer", state, value)
        elif what == "sounds":
            self._expect_sounds(step, value)
        elif what == "receipts":
            self._check(step, "receipts", len(self.sim.printer.receipts), int(value))
        elif what in ("screen-qr", "receipt-qr"):
            self._expect_text(step, what, self._qr(what, view))
        elif what in ("notice", "hint"):
            self._expect_text(step, what, view.notice if what == "notice" else view.hint)
        elif what == "document":
            self._expect_printed(step, self.sim.printer.documents, "document")
        elif what == "audit":
            self._expect_audit(step)
        elif what == "refunds":
            got = self.kiosk.store.db.execute("SELECT count(*) FROM refunds").fetchone()[0]
            self._check(step, "refunds", got, int(value))
        elif what == "stock":
            code, _, level = value.partition(":")
            gtin = lookup_key(code)
            self._check(step, f"stock of {code}", self.kiosk.store.stock_level(gtin), int(level))
        elif what == "suspended":
            got = self.kiosk.store.db.execute(
                "SELECT count(*) FROM suspended_sales WHERE resumed_at IS NULL"
            ).fetchone()[0]
            self._check(step, "suspended", got, int(value))
        else:
            raise self._fail(step, f"cannot expect {what!r}")

    def _check(self, step: Step, what: str, got: object, wanted: object, shown: str = "") -> None:
        if got != wanted:
            extra = f" ({shown})" if shown else ""
            raise self._fail(step, f"expected {what}={wanted}, got {got}{extra}")

    def _expect_tower(self, step: Step, colour: str, rest: tuple[str, ...]) -> None:
        if colour not in {c.value for c in Colour} or rest not in ((), ("blinking",)):
            raise self._fail(step, "usage: expect tower=<green|amber|red|off> [blinking]")
        lamp = self.kiosk.tower.lamp
        wanted = (colour, rest == ("blinking",))
        got = (lamp.colour.value, lamp.blinking)
        if got != wanted:
            raise self._fail(step, f"expected tower={_lamp_text(*wanted)}, got {_lamp_text(*got)}")
        pins = self.sim.gpio.lamp_pins()
        if not rest and colour != "off" and not (pins[colour] and sum(pins.values()) == 1):
            raise self._fail(step, f"tower pins disagree with the lamp: {pins}")

    def _expect_receipt(self, step: Step) -> None:
        self._expect_printed(step, self.sim.printer.receipts, "receipt")

    def _expect_printed(self, step: Step, printed: list[str], what: str) -> None:
        if len(step.args) != 3 or step.args[1] != "contains":
            raise self._fail(step, f'usage: expect {what} contains "<text>"')
        if not printed:
            raise self._fail(step, f"no {what} was printed")
        if step.args[2] not in printed[-1]:
            raise self._fail(step, f"the last {what} does not contain {step.args[2]!r}")

    def _expect_sounds(self, step: Step, value: str) -> None:
        """expect sounds=item,problem | expect sounds=none: the sounds played since the
        previous `expect sounds` (or the start), in order."""
        played = self.sim.speaker.played
        heard, self._heard = played[self._heard :], len(played)
        wanted = [] if value == "none" else value.split(",")
        if not value or any(not w for w in wanted):
            raise self._fail(step, "usage: expect sounds=<sound>,<sound>... | expect sounds=none")
        if heard != wanted:
            got = ",".join(heard) or "none"
            raise self._fail(step, f"expected sounds={','.join(wanted) or 'none'}, got {got}")

    def _expect_audit(self, step: Step) -> None:
        """expect audit <action> [by <staff id>] [detail <text>] [reason "<text>"]"""
        args = list(step.args[1:])
        if not args:
            usage = 'usage: expect audit <action> [by <id>] [detail <text>] [reason "<text>"]'
            raise self._fail(step, usage)
        action, rest = args[0], args[1:]
        wanted = dict(zip(rest[::2], rest[1::2], strict=False))
        for _at, got_action, detail, staff_id, reason in reversed(self.kiosk.store.audit_log()):
            if got_action != action:
                continue
            if "by" in wanted and staff_id != wanted["by"]:
                raise self._fail(step, f"audit {action} was by {staff_id!r}, not {wanted['by']}")
            if "detail" in wanted and detail != wanted["detail"]:
                raise self._fail(step, f"audit {action} had detail {detail!r}")
            if "reason" in wanted and wanted["reason"] not in reason:
                raise self._fail(step, f"audit {action} gave reason {reason!r}")
            return
        raise self._fail(step, f"no audit record for {action!r}")

    def _qr(self, what: str, view: ViewModel) -> str:
        """The link of the QR code on screen, or of the last one the printer printed."""
        if what == "screen-qr":
            return view.qr
        printed = EscPosDecoder().receive_data(self.sim.printer.output)
        codes = [c.data for c in printed if isinstance(c, QrCode)]
        return codes[-1] if codes else ""

    def _expect_text(self, step: Step, what: str, shown: str) -> None:
        if len(step.args) == 2 and step.args[1] == "none":
            if shown:
                raise self._fail(step, f"expected no {what}, got {shown!r}")
            return
        if len(step.args) != 3 or step.args[1] != "contains":
            raise self._fail(step, f'usage: expect {what} contains "<text>" | expect {what} none')
        if step.args[2] not in shown:
            raise self._fail(step, f"the {what} {shown!r} does not contain {step.args[2]!r}")

    def report(self) -> dict[str, Any]:
        view = self.view()
        lamp = self.kiosk.tower.lamp
        return {
            "sales": self.kiosk.store.sales(),
            "receipts": list(self.sim.printer.receipts),
            "documents": list(self.sim.printer.documents),
            "final": {
                "screen": view.screen,
                "total_minor": view.total_minor,
                "basket": [{"name": ln.name, "amount": ln.amount} for ln in view.lines],
                "tower": _lamp_text(lamp.colour.value, lamp.blinking),
                "notice": view.notice,
                "problems": list(view.problems),
                "outbox": self.kiosk.store.outbox_depth(),
                "audit": [list(a) for a in self.kiosk.store.audit_log()],
            },
        }


def _lamp_text(colour: str, blinking: bool) -> str:
    return f"{colour} blinking" if blinking else colour


def run_file(path: Path) -> dict[str, Any]:
    """Run one scenario file; raise ScenarioError naming the failing line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), 0, f"cannot read: {exc}") from None
    runner = Runner(parse(text, str(path)))
    try:
        runner.run()
        return runner.report()
    finally:
        runner.close()

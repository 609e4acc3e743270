"""Promotions as data, and the savings that give a basket its lowest total (pure).

Four kinds, each a frozen dataclass with a `kind` tag (the store keeps them as JSON through
promotion_codec.py):

- MultiBuy: `quantity` units of a set for `bundle_price_minor` ("2 for 5.00"), or for the
  price of `quantity - free_units`, the cheapest free ("3 for 2").
- BuyGet: buy `buy_quantity` of one set, get `get_quantity` of another set, or of the same
  one, `percent_off` (100 = free). Within one set the discounted units are the cheapest.
- UnitOff: `percent_off` or `amount_off_minor` off every unit of a set once the basket
  holds `min_quantity` of them ("20 % off all coffee", "1.00 off").
- MealDeal: one unit from each group for `price_minor` ("main + snack + drink for 4.50").

For every kind: a unit counts towards at most one application; an application is used
only when it saves more than 0; no saving exceeds the price of the units it is taken from,
so no promotion raises a price or takes one below 0. `apply` finds the lowest total (the
search and its limits are in deals.py). Among equal totals the search's fixed order
decides: dearer products first, the lower promotion id takes more, a meal deal makes more
bundles; units of one product go to promotions in line-number order. The order in which
lines were scanned never matters. Which promotions run today is the caller's business.

Hints ("add a drink and save 1.20") are in promotion_hints.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, TypeAlias

from appliance.core import deals


def _check_text(field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: expected text, got {value!r}")


def _check_count(field: str, value: object, low: int, high: int | None = None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        span = f"{low} or more" if high is None else f"{low} to {high}"
        raise ValueError(f"{field}: expected a whole number, {span}, got {value!r}")


def _check_gtins(field: str, gtins: object) -> None:
    if not isinstance(gtins, frozenset) or not gtins:
        raise ValueError(f"{field}: expected a non-empty frozenset of GTINs, got {gtins!r}")
    for gtin in sorted(gtins, key=str):
        if not (isinstance(gtin, str) and len(gtin) == 14 and gtin.isascii() and gtin.isdigit()):
            raise ValueError(f"{field}: {gtin!r} is not a 14-digit GTIN")


def _percent(price_minor: int, percent: int) -> int:
    """percent of a price, rounded half up to the minor unit."""
    return (price_minor * percent * 2 + 100) // 200


@dataclass(frozen=True, slots=True)
class MultiBuy:
    """quantity units of `gtins` for bundle_price_minor, or with free_units of them free."""

    kind: ClassVar[str] = "multibuy"
    promo_id: str
    name: str
    gtins: frozenset[str]
    quantity: int
    bundle_price_minor: int | None = None
    free_units: int = 0

    def __post_init__(self) -> None:
        _check_text("promo_id", self.promo_id)
        _check_text("name", self.name)
        _check_gtins("gtins", self.gtins)
        _check_count("quantity", self.quantity, 1)
        if self.bundle_price_minor is None:
            _check_count("free_units", self.free_units, 1, max(1, self.quantity - 1))
            _check_count("quantity", self.quantity, self.free_units + 1)
        else:
            _check_count("bundle_price_minor", self.bundle_price_minor, 0)
            _check_count("free_units", self.free_units, 0, 0)


# The skeleton's name for a multi-buy; current callers construct and annotate with it.
Promotion = MultiBuy


@dataclass(frozen=True, slots=True)
class BuyGet:
    """Buy buy_quantity of buy_gtins, get get_quantity of get_gtins percent_off (100: free).

    The two sets are the same set or share no GTIN. Within one set ("buy 2 get 1 half
    price") the discounted units are the cheapest of each bundle.
    """

    kind: ClassVar[str] = "buy_get"
    promo_id: str
    name: str
    buy_gtins: frozenset[str]
    buy_quantity: int
    get_gtins: frozenset[str]
    get_quantity: int = 1
    percent_off: int = 100

    def __post_init__(self) -> None:
        _check_text("promo_id", self.promo_id)
        _check_text("name", self.name)
        _check_gtins("buy_gtins", self.buy_gtins)
        _check_gtins("get_gtins", self.get_gtins)
        _check_count("buy_quantity", self.buy_quantity, 1)
        _check_count("get_quantity", self.get_quantity, 1)
        _check_count("percent_off", self.percent_off, 1, 100)
        if not self.same_set and self.buy_gtins & self.get_gtins:
            raise ValueError("get_gtins: must equal buy_gtins or share no GTIN with them")

    @property
    def same_set(self) -> bool:
        return self.buy_gtins == self.get_gtins


@dataclass(frozen=True, slots=True)
class UnitOff:
    """percent_off or amount_off_minor off each unit of `gtins`, from min_quantity units.

    An amount larger than a unit's price takes the unit to 0, never below.
    """

    kind: ClassVar[str] = "unit_off"
    promo_id: str
    name: str
    gtins: frozenset[str]
    percent_off: int | None = None
    amount_off_minor: int | None = None
    min_quantity: int = 1

    def __post_init__(self) -> None:
        _check_text("promo_id", self.promo_id)
        _check_text("name", self.name)
        _check_gtins("gtins", self.gtins)
        _check_count("min_quantity", self.min_quantity, 1)
        if (self.percent_off is None) == (self.amount_off_minor is None):
            raise ValueError("percent_off: give exactly one of percent_off, amount_off_minor")
        if self.percent_off is not None:
            _check_count("percent_off", self.percent_off, 1, 100)
        else:
            _check_count("amount_off_minor", self.amount_off_minor, 1)

    def unit_saving(self, price_minor: int) -> int:
        if self.amount_off_minor is not None:
            return min(self.amount_off_minor, price_minor)
        return _percent(price_minor, self.percent_off or 0)


@dataclass(frozen=True, slots=True)
class Group:
    """One part of a meal deal; its name is what a hint asks for ("drink")."""

    name: str
    gtins: frozenset[str]

    def __post_init__(self) -> None:
        _check_text("groups.name", self.name)
        _check_gtins(f"groups[{self.name}].gtins", self.gtins)


@dataclass(frozen=True, slots=True)
class MealDeal:
    """One unit from each group for price_minor. Groups are disjoint or equal (two equal
    groups ask for two units of that group: "a main and two snacks")."""

    kind: ClassVar[str] = "meal_deal"
    promo_id: str
    name: str
    groups: tuple[Group, ...]
    price_minor: int

    def __post_init__(self) -> None:
        _check_text("promo_id", self.promo_id)
        _check_text("name", self.name)
        _check_count("price_minor", self.price_minor, 0)
        if len(self.groups) < 2 or not all(isinstance(g, Group) for g in self.groups):
            raise ValueError("groups: expected a tuple of two or more groups")
        for i, g in enumerate(self.groups):
            for h in self.groups[:i]:
                if g.gtins != h.gtins and g.gtins & h.gtins:
                    raise ValueError(f"groups: {h.name!r} and {g.name!r} overlap")

    @property
    def piles(self) -> tuple[tuple[Group, int], ...]:
        """Distinct groups, first of its kind, with how many units a deal takes from each."""
        out: list[tuple[Group, int]] = []
        for g in self.groups:
            same = [i for i, (h, _) in enumerate(out) if h.gtins == g.gtins]
            if same:
                out[same[0]] = (out[same[0]][0], out[same[0]][1] + 1)
            else:
                out.append((g, 1))
        return tuple(out)


Rule: TypeAlias = MultiBuy | BuyGet | UnitOff | MealDeal
KINDS: dict[str, type[Rule]] = {k.kind: k for k in (MultiBuy, BuyGet, UnitOff, MealDeal)}


@dataclass(frozen=True, slots=True)
class Saving:
    promo_id: str
    name: str
    amount_minor: int
    # the (line_no, units) the saving was taken from, to spread it back for VAT
    taken_from: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class PricedUnit:
    line_no: int
    gtin: str
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class Plan:
    """What `optimise` found, and whether the search proved it best."""

    savings: tuple[Saving, ...]
    exact: bool  # False: the search ran out of budget and this is its best find
    branches: int


def gtins_of(rule: Rule) -> frozenset[str]:
    """Every product the rule mentions."""
    if isinstance(rule, MultiBuy | UnitOff):
        return rule.gtins
    if isinstance(rule, BuyGet):
        return rule.buy_gtins | rule.get_gtins
    return frozenset().union(*(g.gtins for g in rule.groups))


def part_of(rule: Rule, gtin: str) -> int | None:
    """Which part of the rule a product counts for (its pile), or None if it does not."""
    if isinstance(rule, MultiBuy | UnitOff):
        return 0 if gtin in rule.gtins else None
    if isinstance(rule, BuyGet):
        if gtin in rule.buy_gtins:
            return 0
        return 1 if gtin in rule.get_gtins else None
    return next((i for i, (g, _) in enumerate(rule.piles) if gtin in g.gtins), None)


def _sizes(rule: Rule) -> tuple[int, ...]:
    """Units one bundle takes from each pile."""
    if isinstance(rule, MultiBuy):
        return (rule.quantity,)
    if isinstance(rule, BuyGet):
        if rule.same_set:
            return (rule.buy_quantity + rule.get_quantity,)
        return (rule.buy_quantity, rule.get_quantity)
    if isinstance(rule, MealDeal):
        return tuple(n for _, n in rule.piles)
    return (1,)


def _bundle_saving(rule: Rule, prices: list[list[int]]) -> int:
    """One bundle's saving; prices per pile, dearest first."""
    if isinstance(rule, MultiBuy):
        if rule.bundle_price_minor is not None:
            return sum(prices[0]) - rule.bundle_price_minor
        return sum(prices[0][rule.quantity - rule.free_units :])
    if isinstance(rule, BuyGet):
        got = prices[0][rule.buy_quantity :] if rule.same_set else prices[1]
        return sum(_percent(p, rule.percent_off) for p in got)
    return sum(map(sum, prices)) - (rule.price_minor if isinstance(rule, MealDeal) else 0)


def _part_value(rule: Rule, pile: int, price_minor: int) -> int:
    """What one unit adds to a bundle of a deal of several parts (meal deal, buy-get)."""
    if isinstance(rule, BuyGet):
        return _percent(price_minor, rule.percent_off) if pile == 1 else 0
    return price_minor


def _applications(rule: Rule, items: Sequence[tuple[int, int]]) -> list[tuple[int, list[int]]]:
    """The rule's best applications to `items` ((price, pile), dearest first).

    Returns (saving, item positions) per application. Bundle j takes the j-th slice of
    every pile, so the dearest units go first and each bundle saves no more than the one
    before; the first that saves nothing ends the list. That is optimal for each kind
    (sorted chunks: the bundle's saving only grows with its units' prices; the tests
    check it against brute force), and it means worth never falls with more units.
    """
    if isinstance(rule, UnitOff):
        if len(items) < rule.min_quantity:
            return []
        saving = sum(rule.unit_saving(price) for price, _ in items)
        return [(saving, list(range(len(items))))] if saving > 0 else []
    sizes = _sizes(rule)
    piles: list[list[int]] = [[] for _ in sizes]
    for pos, (_, pile) in enumerate(items):
        piles[pile].append(pos)
    out: list[tuple[int, list[int]]] = []
    for j in range(min(len(p) // n for p, n in zip(piles, sizes, strict=True))):
        parts = [p[j * n : (j + 1) * n] for p, n in zip(piles, sizes, strict=True)]
        saving = _bundle_saving(rule, [[items[i][0] for i in part] for part in parts])
        if saving <= 0:
            break
        out.append((saving, [i for part in parts for i in part]))
    return out


def _per_line(picked: Sequence[PricedUnit]) -> tuple[tuple[int, int], ...]:
    return tuple(sorted(Counter(u.line_no for u in picked).items()))


def optimise(
    promotions: Sequence[Rule], units: Sequence[PricedUnit], budget: int = deals.NODE_BUDGET
) -> Plan:
    """The savings with the lowest total, and whether the search proved it (deals.py)."""
    rules = sorted(promotions, key=lambda r: r.promo_id)
    rows = [[part_of(r, u.gtin) for r in rules] for u in units]
    live = [o for o in range(len(rules)) if any(row[o] is not None for row in rows)]
    rules = [rules[o] for o in live]
    # interchangeable units: same price and the same pile in every promotion (-1: none)
    types: dict[tuple[int, tuple[int, ...]], list[int]] = {}
    for k, (u, row) in enumerate(zip(units, rows, strict=True)):
        sig = tuple(-1 if p is None else p for p in (row[o] for o in live))
        if any(p >= 0 for p in sig):
            types.setdefault((u.unit_price_minor, sig), []).append(k)
    keys = sorted(types, key=lambda key: (-key[0], key[1]))

    def worth(offer: int, pairs: deals.Pairs) -> tuple[int, deals.Pairs]:
        owner = [t for t, n in pairs for _ in range(n)]
        apps = _applications(rules[offer], [(keys[t][0], keys[t][1][offer]) for t in owner])
        used = Counter(owner[i] for _, positions in apps for i in positions)
        return sum(s for s, _ in apps), tuple(sorted(used.items()))

    def parts(offer: int) -> deals.Parts | None:
        """Meal deals and buy-get over two sets: k bundles are worth their parts' units."""
        rule = rules[offer]
        if not isinstance(rule, MealDeal) and not (isinstance(rule, BuyGet) and not rule.same_set):
            return None
        return deals.Parts(
            tuple(
                deals.Part(
                    n,
                    {
                        t: _part_value(rule, j, key[0])
                        for t, key in enumerate(keys)
                        if key[1][offer] == j
                    },
                )
                for j, n in enumerate(_sizes(rule))
            ),
            rule.price_minor if isinstance(rule, MealDeal) else 0,
        )

    outcome = deals.solve(
        [len(types[k]) for k in keys],
        [tuple(o for o, p in enumerate(sig) if p >= 0) for _, sig in keys],
        len(rules),
        worth,
        parts,
        budget,
    )
    queues = [sorted(types[k], key=lambda k: (units[k].line_no, k)) for k in keys]
    savings: list[Saving] = []
    for offer, pairs in enumerate(outcome.allocation):
        rule = rules[offer]
        mine = [(k, keys[t][1][offer]) for t, n in pairs for k in queues[t][:n]]
        for t, n in pairs:
            queues[t] = queues[t][n:]
        mine.sort(key=lambda kp: (-units[kp[0]].unit_price_minor, units[kp[0]].line_no, kp[0]))
        items = [(units[k].unit_price_minor, pile) for k, pile in mine]
        for saving, positions in _applications(rule, items):
            picked = [units[mine[i][0]] for i in positions]
            if not isinstance(rule, UnitOff):
                savings.append(Saving(rule.promo_id, rule.name, saving, _per_line(picked)))
                continue
            # one line each, so the VAT table takes each unit's own saving
            for line_no, n in _per_line(picked):
                price = next(u.unit_price_minor for u in picked if u.line_no == line_no)
                if rule.unit_saving(price) > 0:
                    amount = n * rule.unit_saving(price)
                    savings.append(Saving(rule.promo_id, rule.name, amount, ((line_no, n),)))
    savings.sort(key=lambda s: (s.promo_id, s.taken_from))
    return Plan(tuple(savings), outcome.exact, outcome.branches)


def apply(promotions: Sequence[Rule], units: Sequence[PricedUnit]) -> tuple[Saving, ...]:
    """Every saving the basket earns, in promotion id order, then line order."""
    return _remembered(tuple(promotions), tuple(units)).savings


@lru_cache(maxsize=64)
def _remembered(promotions: tuple[Rule, ...], units: tuple[PricedUnit, ...]) -> Plan:
    # a pure function of its arguments: the checkout asks for the same basket's totals
    # several times per event, and the search is the one costly step in the core
    return optimise(promotions, units)

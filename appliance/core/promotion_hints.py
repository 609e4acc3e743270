"""Hints: the deals one more item would complete, and what that item would save (pure).

"Add a drink and save 1.20": a hint is data (promotion, what is missing, the saving);
the UI words it (`Hint.text` takes a money formatter, so no locale code lives here),
shows it once and never blocks on it. The saving is not estimated: the engine is run with
the cheapest qualifying product added, and the hint carries the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from appliance.core.promotions import (
    BuyGet,
    MealDeal,
    PricedUnit,
    Rule,
    Saving,
    apply,
    part_of,
)

ADD_ITEM = "promo.hint.add_item"  # "Add a {missing} and save {saving}"
ADD_ONE_MORE = "promo.hint.add_one_more"  # "Add one more ({missing}) and save {saving}"


@dataclass(frozen=True, slots=True)
class Hint:
    """One more unit would complete or improve a deal.

    missing: the meal-deal group's name ("drink"), or the promotion's name.
    saving_minor: how much the basket's savings grow when `gtin`, the cheapest qualifying
        product with a known price, is added.
    """

    promo_id: str
    text_key: str
    missing: str
    saving_minor: int
    gtin: str

    def text(self, money: Callable[[int], str]) -> str:
        """Plain English; money(minor) formats an amount ("1.20", "1,20 zł")."""
        saving = money(self.saving_minor)
        if self.text_key == ADD_ITEM:
            article = "an" if self.missing[:1].lower() in ("a", "e", "i", "o", "u") else "a"
            return f"Add {article} {self.missing} and save {saving}"
        return f"Add one more ({self.missing}) and save {saving}"


def _wants(rule: Rule) -> list[tuple[str, str, frozenset[str]]]:
    """(missing, text key, products) for each kind of unit that could complete the rule."""
    if isinstance(rule, MealDeal):
        return [(g.name, ADD_ITEM, g.gtins) for g, _ in rule.piles]
    if isinstance(rule, BuyGet):
        sets = [rule.buy_gtins] if rule.same_set else [rule.buy_gtins, rule.get_gtins]
        return [(rule.name, ADD_ONE_MORE, s) for s in sets]
    return [(rule.name, ADD_ONE_MORE, rule.gtins)]


def _linked(rule: Rule, rules: Sequence[Rule], present: Collection[str]) -> list[Rule]:
    """The rules that share a product in the basket with `rule`, directly or through others.

    Rules outside this set cannot change what `rule` earns, so the engine is run on it
    alone: far cheaper than the whole basket, and the same answer.
    """
    linked = [rule]
    frontier = [g for g in present if part_of(rule, g) is not None]
    seen = set(frontier)
    while frontier:
        g = frontier.pop()
        for other in rules:
            if other not in linked and part_of(other, g) is not None:
                linked.append(other)
                more = [h for h in present if h not in seen and part_of(other, h) is not None]
                seen.update(more)
                frontier.extend(more)
    return sorted(linked, key=lambda r: r.promo_id)


def _saved(rules: Sequence[Rule], units: Sequence[PricedUnit]) -> int:
    return sum(s.amount_minor for s in apply(rules, units))


def hints(
    promotions: Sequence[Rule],
    units: Sequence[PricedUnit],
    shelf_prices: Mapping[str, int] | None = None,
    touching: str | None = None,
) -> tuple[Hint, ...]:
    """At most one hint per promotion that one more unit would complete or improve.

    shelf_prices: GTIN → the price one more unit would scan at, for products not yet in
        the basket (a meal deal's missing drink); without it only basket prices are known.
    touching: only promotions this GTIN counts for (the item just scanned), which keeps
        the cost to a few engine runs on a long basket.
    A promotion earns a hint when a unit that counts for it is not yet in one of its
    savings, and adding the cheapest qualifying product raises the savings by more than
    that product would save on its own ("20 % off coffee" never hints). A product that
    would help only by moving units between other promotions is not hinted: the check
    that the promotion alone, given all its units, gains from it comes first.
    """
    known: dict[str, int] = {}
    for u in units:
        known[u.gtin] = min(known.get(u.gtin, u.unit_price_minor), u.unit_price_minor)
    known.update(shelf_prices or {})
    rules = sorted(promotions, key=lambda r: r.promo_id)
    fresh = max((u.line_no for u in units), default=0) + 1
    earlier: dict[tuple[str, ...], tuple[Saving, ...]] = {}
    out: list[Hint] = []
    for rule in rules:
        if touching is not None and part_of(rule, touching) is None:
            continue
        mine = [u for u in units if part_of(rule, u.gtin) is not None]
        solo = _saved([rule], mine)
        best: Hint | None = None
        for missing, key, gtins in _wants(rule) if mine else []:
            options = sorted((known[g], g) for g in gtins if g in known)
            if not options:
                continue
            extra = PricedUnit(fresh, options[0][1], options[0][0])
            alone = _saved([rule], [extra])
            if _saved([rule], [*mine, extra]) - solo <= alone:
                continue  # even with every unit it counts, this one completes nothing
            group = _linked(rule, rules, {u.gtin for u in units} | {extra.gtin})
            ids = tuple(r.promo_id for r in group)
            basket = [u for u in units if any(part_of(r, u.gtin) is not None for r in group)]
            if ids not in earlier:
                earlier[ids] = apply(group, basket)
            before = earlier[ids]
            taken = sum(n for s in before if s.promo_id == rule.promo_id for _, n in s.taken_from)
            if taken == len(mine):  # everything that counts for it is already in its deals
                break
            after = apply(group, [*basket, extra])
            gain = sum(s.amount_minor for s in after) - sum(s.amount_minor for s in before)
            used = any(s.promo_id == rule.promo_id and fresh in dict(s.taken_from) for s in after)
            if gain > alone and used and (best is None or gain > best.saving_minor):
                best = Hint(rule.promo_id, key, missing, gain, extra.gtin)
        if best is not None:
            out.append(best)
    return tuple(out)

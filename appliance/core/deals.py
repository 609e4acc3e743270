"""The best split of basket units among promotions: exact search within a budget (pure).

The search knows nothing about kinds of promotion. It sees *types* (interchangeable units:
same price, same role in every promotion) with a count each, *offers* (promotions, by
index) that accept some types, and `worth(offer, pairs)`: what the offer saves when given
`pairs` ((type, units), ...), and which of them it uses. Worth must never fall when an
offer is given more units; every kind in promotions.py keeps that promise because it
forms its own best bundles from what it is given.

Method, per group of offers linked by a contested type (a type several offers accept;
unlinked groups are solved apart):
1. A deal of several parts (a meal deal: main + snack + drink) is worth, with k bundles,
   the value of the k units it takes from each part less k times its price, and the parts
   do not interact. So for k = most..0 the deal is replaced by one "exactly n units"
   offer per part, and the group falls apart into smaller groups (the mains, the snacks,
   the drinks), each solved on its own. Solved groups are memoised.
2. Otherwise, depth-first branch and bound over the contested types, dearest first. A
   branch shares one type's units among its offers, the first offer getting the most
   first. Bound: each offer is also handed every undecided unit it accepts (optimistic:
   a unit then counts for several offers). The incumbent starts at the best greedy seed.
3. Seeds: the greedy in offer order (each offer takes every unit still free and keeps what
   it uses: the skeleton's engine), and the same with each offer moved first. The answer
   is never worse than the best seed, so never worse than no promotion, than the old
   greedy, or than any single promotion on its own.

Ties: the first optimum in search order wins (the first offer gets the most units; a deal
of several parts gets the most bundles), so the answer does not depend on line order.

Limit: NODE_BUDGET branches per call, shared by all groups. Past it the search returns
the best of what it found and the seeds (deterministic: a count, not a clock) and says
`exact=False`. tests/core/test_promotions.py measures realistic and hostile baskets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

# ((type, units), ...), types ascending, units > 0
Pairs = tuple[tuple[int, int], ...]
Worth = Callable[[int, Pairs], tuple[int, Pairs]]
# a promotion by index, or (promotion, part, n): exactly n units of one part of a deal
Offer = int | tuple[int, int, int]
Accepts = dict[int, tuple[Offer, ...]]
_Plan = tuple[int, dict[Offer, Pairs]]

NODE_BUDGET = 20_000
_INFEASIBLE = -(10**15)


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a deal: units per bundle, and what each type adds to a bundle."""

    take: int
    value: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class Parts:
    """A deal whose k bundles are worth the sum of its parts' units less k * cost."""

    parts: tuple[Part, ...]
    cost: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """allocation[offer]: the units of each type the offer uses."""

    allocation: tuple[Pairs, ...]
    saving_minor: int
    exact: bool
    branches: int


@cache
def _shares(units: int, ways: int) -> tuple[tuple[int, ...], ...]:
    """Every way to share `units` among `ways` offers, the first offer's share largest first."""
    if ways == 1:
        return ((units,),)
    return tuple(
        (first, *rest)
        for first in range(units, -1, -1)
        for rest in _shares(units - first, ways - 1)
    )


def _rank(offer: Offer) -> tuple[int, int]:
    return (offer, -1) if isinstance(offer, int) else (offer[0], offer[1])


def _groups(accepts: Accepts) -> list[Accepts]:
    """Split offers into groups that share no type, each with the types its offers take."""
    parent: dict[Offer, Offer] = {o: o for acc in accepts.values() for o in acc}

    def root(o: Offer) -> Offer:
        while parent[o] != o:
            parent[o] = parent[parent[o]]
            o = parent[o]
        return o

    for acc in accepts.values():
        for o in acc[1:]:
            parent[root(o)] = root(acc[0])
    groups: dict[Offer, Accepts] = {}
    for t, acc in sorted(accepts.items()):
        groups.setdefault(root(acc[0]), {})[t] = acc
    return sorted(groups.values(), key=lambda g: min(_rank(o) for acc in g.values() for o in acc))


class _Solver:
    def __init__(
        self,
        counts: Sequence[int],
        worth: Worth,
        parts: Callable[[int], Parts | None],
        budget: int,
    ) -> None:
        self.counts = counts
        self._worth = worth
        self._parts = parts
        self.budget = budget
        self.branches = 0
        self.exact = True
        self._parts_memo: dict[int, Parts | None] = {}
        self._worth_memo: dict[tuple[Offer, Pairs], tuple[int, Pairs]] = {}  # by given units
        self._group_memo: dict[tuple[tuple[int, tuple[Offer, ...]], ...], _Plan] = {}

    def worth(self, offer: Offer, given: Mapping[int, int]) -> tuple[int, Pairs]:
        key = (offer, tuple(given.items()))  # the hot path: no sorting, zeros kept
        found = self._worth_memo.get(key)
        if found is None:
            pairs = tuple((t, n) for t, n in sorted(given.items()) if n > 0)
            found = self._worth_memo[key] = self._part_worth(offer, pairs)
        return found

    def _part_worth(self, offer: Offer, pairs: Pairs) -> tuple[int, Pairs]:
        if isinstance(offer, int):
            return self._worth(offer, pairs)
        deal, j, left = offer
        part = self._parts_of(deal).parts[j]
        used: list[tuple[int, int]] = []
        total = 0
        for t, n in sorted(pairs, key=lambda tn: (-part.value[tn[0]], tn[0])):
            take = min(n, left)
            if take:
                used.append((t, take))
                total += take * part.value[t]
                left -= take
        return (_INFEASIBLE, ()) if left else (total, tuple(sorted(used)))

    def parts(self, offer: int) -> Parts | None:
        if offer not in self._parts_memo:
            self._parts_memo[offer] = self._parts(offer)
        return self._parts_memo[offer]

    def _parts_of(self, deal: int) -> Parts:
        parts = self.parts(deal)
        assert parts is not None
        return parts

    def solve(self, accepts: Accepts) -> _Plan:
        value, plan = 0, {}
        for group in _groups(accepts):
            v, p = self.group(group)
            value += v
            plan.update(p)
        return value, plan

    def group(self, accepts: Accepts) -> _Plan:
        key = tuple(sorted(accepts.items()))
        if key not in self._group_memo:
            contested = [t for t, acc in accepts.items() if len(acc) > 1]
            deal = self._deal_to_split(accepts, contested)
            if deal is not None:
                self._group_memo[key] = self._by_bundles(deal, accepts)
            else:
                self._group_memo[key] = self._search(accepts, contested)
        return self._group_memo[key]

    def _deal_to_split(self, accepts: Accepts, contested: list[int]) -> int | None:
        linked: dict[int, int] = {}
        for t in contested:
            for o in accepts[t]:
                if isinstance(o, int) and self.parts(o) is not None:
                    linked[o] = linked.get(o, 0) + 1
        return min(linked, key=lambda o: (-linked[o], o)) if linked else None

    def _by_bundles(self, deal: int, accepts: Accepts) -> _Plan:
        parts = self._parts_of(deal)
        part_of = {t: j for j, p in enumerate(parts.parts) for t in p.value if t in accepts}
        most = min(
            sum(self.counts[t] for t in p.value if t in accepts) // p.take for p in parts.parts
        )
        best: _Plan | None = None
        for k in range(most, -1, -1):
            if self.branches >= self.budget:
                self.exact = False
                break
            self.branches += 1
            sub: Accepts = {}
            for t, acc in accepts.items():
                offers: list[Offer] = []
                for o in acc:
                    if o != deal:
                        offers.append(o)
                    elif k:
                        offers.append((deal, part_of[t], k * parts.parts[part_of[t]].take))
                if offers:
                    sub[t] = tuple(offers)
            value, plan = self.solve(sub)
            value -= k * parts.cost
            if best is None or value > best[0]:
                used: dict[int, int] = {}
                for j, p in enumerate(parts.parts):
                    for t, n in plan.pop((deal, j, k * p.take), ()):
                        used[t] = used.get(t, 0) + n
                best = (value, {**plan, deal: tuple(sorted(used.items()))})
        return best if best is not None else self.seeds(accepts)

    def greedy(self, order: Sequence[Offer], accepts: Accepts) -> _Plan:
        free = {t: self.counts[t] for t in accepts}
        total = 0
        plan: dict[Offer, Pairs] = {}
        for o in order:
            value, used = self.worth(o, {t: free[t] for t, acc in accepts.items() if o in acc})
            for t, n in used:
                free[t] -= n
            total += value
            plan[o] = used
        return total, plan

    def seeds(self, accepts: Accepts) -> _Plan:
        offers = sorted({o for acc in accepts.values() for o in acc}, key=_rank)
        seeds = [self.greedy(offers, accepts)]
        seeds += [self.greedy([o, *(x for x in offers if x != o)], accepts) for o in offers]
        return max(seeds, key=lambda s: s[0])  # the first of equals

    def _search(self, accepts: Accepts, contested: list[int]) -> _Plan:
        best_value, best_plan = self.seeds(accepts)
        if not contested:
            return best_value, best_plan
        offers = sorted({o for acc in accepts.values() for o in acc}, key=_rank)
        given = {o: {t: self.counts[t] for t, acc in accepts.items() if o in acc} for o in offers}
        bound = {o: self.worth(o, given[o])[0] for o in offers}
        found = False
        stopped = False

        def dfs(depth: int, total: int) -> None:
            nonlocal best_value, best_plan, found, stopped
            if depth == len(contested):
                if total > best_value or (total == best_value and not found):
                    found = True
                    best_value = total
                    best_plan = {o: self.worth(o, given[o])[1] for o in offers}
                return
            t = contested[depth]
            sharers = accepts[t]
            before = [bound[o] for o in sharers]
            for share in _shares(self.counts[t], len(sharers)):
                if self.branches >= self.budget:
                    stopped = True
                    return
                self.branches += 1
                for o, n in zip(sharers, share, strict=True):
                    given[o][t] = n
                    bound[o] = self.worth(o, given[o])[0]
                optimistic = total - sum(before) + sum(bound[o] for o in sharers)
                if optimistic > best_value or (optimistic == best_value and not found):
                    dfs(depth + 1, optimistic)
                for o, b in zip(sharers, before, strict=True):
                    given[o][t] = self.counts[t]
                    bound[o] = b
                if stopped:
                    return

        dfs(0, sum(bound.values()))
        self.exact = self.exact and not stopped
        return best_value, best_plan


def solve(
    counts: Sequence[int],
    accepts: Sequence[tuple[int, ...]],
    n_offers: int,
    worth: Worth,
    parts: Callable[[int], Parts | None] = lambda offer: None,
    budget: int = NODE_BUDGET,
) -> Outcome:
    """The split of units among offers with the highest total saving (see the module doc).

    counts[t]: units of type t; accepts[t]: the offers that take type t, ascending. Types
    should come dearest first: the search decides them in that order, which finds good
    incumbents early. parts(offer): how a deal of several parts splits, or None.
    """
    solver = _Solver(counts, worth, parts, budget)
    plan: dict[Offer, Pairs] = {}
    total = 0
    for group in _groups({t: tuple(acc) for t, acc in enumerate(accepts) if acc}):
        value, part = solver.group(group)
        seed_value, seed_plan = solver.seeds(group)
        if seed_value > value:  # only when the search ran out of budget
            value, part = seed_value, seed_plan
        plan.update(part)
        total += value
    allocation = tuple(plan.get(o, ()) for o in range(n_offers))
    return Outcome(allocation, total, solver.exact, solver.branches)

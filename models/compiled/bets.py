"""Bets: how a bet changes the scenario month by month, what it costs, and its uncertainty.

A bet (spec: `models.spec.scenario.Bet`) changes parameters from its start month, phased in over its
ramp, until its end month (a temporary change: the same mechanism serves shocks in stress tests).
Its effect in month m is a strength s in [0, 1]: 0 before the start and after the end, rising by
1/ramp_months a month during the ramp, then 1. At strength s each change moves a parameter from
its baseline value v part of the way to its full value:

    set x:    v + s (x - v)        scale f:  v (1 + s (f - 1))        add a:  v + s a

An appended channel or tier exists in every month (the engine needs a fixed structure) but is
inert at strength 0: a channel's budget and organic leads, a tier's entry share and the upsell
into it (from the tier that was on top) are multiplied by s.

Uncertain bets. The baseline's uncertain parameters are drawn once per replication for every
alternative (common random numbers); a bet's own uncertain values (a change, a cost, a field of an
appended item) are drawn from a stream keyed by the seed, the replication and the bet's name, so a
bet has the same draw alone and in any portfolio, and listing it never moves the baseline's draws.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError

from models.compiled.calendar import has_calendar
from models.compiled.form import (
    CompiledScenario,
    Params,
    assemble,
    calendar_timeline,
    compile_params,
    entry_shares,
    plan_months,
    point_values,
    realise,
    replace_params,
)
from models.compiled.shocks import STANDARD, changes_of
from models.compiled.streams import bet_draws
from models.compiled.units import is_whole_number, whole_number
from models.spec.distributions import _Dist
from models.spec.errors import Message
from models.spec.messages import msg, names
from models.spec.messages_ru import bilingual
from models.spec.paths import PathError, expand_path, get_value, iter_distributions, set_path
from models.spec.scenario import Bet, Change, Channel, Scenario, Tier

_ITEM_MODEL: dict[str, type[Channel] | type[Tier]] = {"channels": Channel, "tiers": Tier}


def strength(bet: Bet, month: int) -> float:
    """How much of the bet acts in 0-based `month`: 0 outside it, a linear ramp, then 1."""
    k = month + 1  # bets count months from 1, like goals
    if k < bet.start_month or (bet.end_month is not None and k > bet.end_month):
        return 0.0
    if bet.ramp_months <= 0:
        return 1.0
    return min(1.0, (k - bet.start_month + 1) / bet.ramp_months)


def bet_cost_in_month(bet: Bet, month: int) -> float:
    """The bet's own costs booked in 0-based `month` (a concrete bet: costs are numbers)."""
    k = month + 1
    if k < bet.start_month or (bet.end_month is not None and k > bet.end_month):
        return 0.0
    one_off = float(bet.one_off_cost) if k == bet.start_month else 0.0  # type: ignore[arg-type]
    return one_off + float(bet.monthly_cost)  # type: ignore[arg-type]


# -- a bet's own uncertainty ------------------------------------------------------------------
def bet_distributions(bet: Bet) -> list[tuple[str, _Dist]]:
    """The bet's uncertain values, keyed by their place in the bet (e.g. `changes.0.scale`)."""
    found = list(iter_distributions(bet))
    for i, change in enumerate(bet.changes):
        if change.append is not None:
            item = _ITEM_MODEL[change.path].model_validate(change.append)
            found += [(f"changes.{i}.append.{path}", dist)
                      for path, dist in iter_distributions(item)]
    return found


def draw_bet_values(bet: Bet, seed: int, replication: int) -> dict[str, float]:
    """Replication `replication`'s draw of the bet's uncertain values (plain Monte Carlo)."""
    dists = bet_distributions(bet)
    if not dists:
        return {}
    u = np.random.default_rng(bet_draws(seed, replication, bet.name)).random(len(dists))
    return {key: float(dist.ppf(np.array([ui]))[0]) for (key, dist), ui in zip(dists, u,
                                                                               strict=True)}


def bet_means(bet: Bet) -> dict[str, float]:
    return {key: dist.mean() for key, dist in bet_distributions(bet)}


def realise_bet(bet: Bet, values: dict[str, float]) -> Bet:
    """The bet with each uncertain value replaced by its draw."""
    if not values:
        return bet
    raw = bet.model_dump(by_alias=True, exclude_none=True)
    for key, value in values.items():
        node: Any = raw
        *parents, last = key.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return Bet.model_validate(raw)


# -- applying changes -------------------------------------------------------------------------
def _move(current: Any, change: Change, s: float, path: str) -> Any:
    """The value of one parameter at strength s of a change (exactly the full value at s = 1)."""
    op, x = change.operation, change.value
    if isinstance(x, _Dist):
        raise TypeError("realise the bet before applying it: a change is still uncertain")
    numeric = isinstance(current, int | float) and not isinstance(current, bool)
    if isinstance(current, dict) and "sbg" in current and op != "set":
        # sBG churn: scaling it scales each client's own probability (its `scale`; the engines
        # keep the product at most 1, so `at_most` has nothing left to cap)
        if op != "scale":
            raise ValueError(f"{path} is an sbg churn (each client's own probability), so it "
                             f"cannot be added to; scale it, or change {path}.sbg.alpha or "
                             f"{path}.sbg.beta")
        factor = x if s >= 1 else 1 + s * (x - 1)
        return {**current, "scale": current.get("scale", 1.0) * factor}
    if op == "set":
        x_numeric = isinstance(x, int | float) and not isinstance(x, bool)
        if not (numeric and x_numeric):
            return x  # text, true/false or a value left empty: switched at once
        new = x if s >= 1 else current + s * (x - current)
    else:
        verb = "scaled" if op == "scale" else "added to"
        if current is None:
            raise ValueError(f"{path} has no value in this scenario, so it cannot be {verb}; "
                             "use set")
        if not numeric:
            raise ValueError(f"{path} is not a number, so it cannot be {verb}; use set")
        if op == "scale":
            new = current * x if s >= 1 else current * (1 + s * (x - 1))
        else:
            new = current + x if s >= 1 else current + s * x
    if change.at_most is not None and isinstance(new, int | float):
        new = min(new, change.at_most)
    return whole_number(new) if is_whole_number(path) else new


def _apply(raw: dict[str, Any], change: Change, s: float, paths: list[str] | None = None) -> None:
    """Apply a (non-append) change at strength s to a raw scenario, in place, at `paths` (the
    change's path with `*` expanded; default: expanded against `raw`)."""
    for path in expand_path(raw, change.path) if paths is None else paths:
        try:
            current = get_value(raw, path)
        except PathError:
            set_path(copy.deepcopy(raw), path, None, Scenario)  # names an unknown parameter
            current = None
        set_path(raw, path, _move(current, change, s, path), Scenario)


def _appended(raw: dict[str, Any], bets: Sequence[Bet]) -> list[tuple[int, str, int, int | None]]:
    """Append every bet's new items to the raw scenario, in place. Returns, per item: the bet's
    index, the list, the item's index and (tiers) the index of the tier that was on top."""
    added = []
    for b, bet in enumerate(bets):
        for change in bet.changes:
            if change.append is None:
                continue
            items = raw[change.path]
            below = len(items) - 1 if change.path == "tiers" else None
            items.append(_ITEM_MODEL[change.path].model_validate(change.append)
                         .model_dump(by_alias=True))
            added.append((b, change.path, len(items) - 1, below))
    return added


def _phase_in_items(raw: dict[str, Any], added: list[tuple[int, str, int, int | None]],
                    strengths: Sequence[float]) -> None:
    """Make appended items act at their bet's strength (inert at 0)."""
    for b, kind, index, below in added:
        s = strengths[b]
        if s >= 1:
            continue
        item = raw[kind][index]
        if kind == "channels":
            item["budget_monthly"] *= s
            item["organic_leads"] *= s
        else:
            item["entry_share"] *= s
            if below is not None:
                raw["tiers"][below]["upsell_probability"] *= s


def _copy_raw(node: Any) -> Any:
    """A copy of a raw scenario (dicts and lists of plain values): what `copy.deepcopy` gives,
    several times faster (it runs for every month variant of every replication of a
    comparison)."""
    if isinstance(node, dict):
        return {key: _copy_raw(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_copy_raw(value) for value in node]
    return node


def month_scenario(base: dict[str, Any], bets: Sequence[Bet],
                   added: list[tuple[int, str, int, int | None]],
                   strengths: Sequence[float],
                   paths: dict[tuple[int, int], list[str]]) -> dict[str, Any]:
    """The raw scenario of a month in which each bet acts at the given strength. Bets apply in
    the order given (a later `set` of a parameter overrides an earlier bet's change of it);
    `paths[(bet, change)]` are the change's concrete paths."""
    # copied where this month changes it (the rest is shared with `base`, never written)
    touched = {"tiers"} | {kind for _, kind, _, _ in added} | {
        path.split(".", 1)[0] for concrete in paths.values() for path in concrete}
    raw = {key: _copy_raw(value) if key in touched else value for key, value in base.items()}
    _phase_in_items(raw, added, strengths)
    for b, (bet, s) in enumerate(zip(bets, strengths, strict=True)):
        if s <= 0:
            continue
        for i, change in enumerate(bet.changes):
            if change.append is None:
                _apply(raw, change, s, paths[(b, i)])
    # Two bets of a portfolio may each give new clients a tier: the entry shares then say how
    # new clients split between them, normalised as the compiled form normalises them.
    shares = [t["entry_share"] for t in raw["tiers"]]
    if abs(sum(shares) - 1) > 1e-9:
        for t, share in zip(raw["tiers"], entry_shares(shares), strict=True):
            t["entry_share"] = share
    return raw


def _base_raw(concrete: Scenario) -> dict[str, Any]:
    """The baseline as a raw dict that bets change: no bets, and the default 'every new client
    starts on the first tier' (all entry shares 0) written out as shares, so that a bet's entry
    shares phase in from it."""
    raw = concrete.model_dump(by_alias=True)
    raw["bets"] = []
    shares = [t["entry_share"] for t in raw["tiers"]]
    if not any(shares):  # the default, written out; other shares are moved as the owner wrote them
        for t, share in zip(raw["tiers"], entry_shares(shares), strict=True):
            t["entry_share"] = share
    return raw


def _expansions(raw: dict[str, Any], bets: Sequence[Bet]) -> dict[tuple[int, int], list[str]]:
    """Every change's concrete paths, `*` expanded against the baseline's items only (so
    `tiers.*.monthly_churn` does not reach a tier a bet appends)."""
    return {(b, i): expand_path(raw, change.path)
            for b, bet in enumerate(bets) for i, change in enumerate(bet.changes)
            if change.append is None}


def check_portfolio(bets: Sequence[Bet]) -> Message | None:
    """Why these bets cannot act together, or None. The engine upsells to the next tier up, so
    two bets each adding a tier on top of the pyramid would fight over it."""
    adding = [b.name for b in bets if any(c.append is not None and c.path == "tiers"
                                          for c in b.changes)]
    if len(adding) > 1:
        return msg("portfolio_two_tiers", bets=names(adding))
    return None


def compile_alternative(spec: Scenario, bets: Sequence[Bet], values: dict[str, float] | None = None,
                        bet_values: Sequence[dict[str, float]] | None = None) -> CompiledScenario:
    """Compile the scenario with these bets in force: one parameter set per month.

    `values` is the baseline's parameter draw (None: means), `bet_values` each bet's own draw
    (None: means). With no bets this is exactly `compile_scenario`."""
    return compile_alternatives(spec, [bets], values,
                                None if bet_values is None else [bet_values])[0]


def compile_alternatives(spec: Scenario, alternatives: Sequence[Sequence[Bet]],
                         values: dict[str, float] | None = None,
                         bet_values: Sequence[Sequence[dict[str, float]]] | None = None
                         ) -> list[CompiledScenario]:
    """`compile_alternative` of each alternative (a sequence of bets; empty: the baseline) on
    one draw of the baseline's parameters, sharing the work they have in common: the draw is
    realised and the baseline compiled once, and a month in which none of an alternative's bets
    acts yet (and which no bet gives a new channel or tier) is the baseline's month, the same
    object. `bet_values[k]` are alternative k's bets' own draws (None: means)."""
    concrete = realise(spec, point_values(spec) if values is None else values)
    horizon = spec.horizon_months
    calendar = has_calendar(concrete)
    # each month's plan: one for every month, or the schedule's (`models.compiled.calendar`)
    plans = plan_months(concrete) if calendar else [(compile_params(concrete), concrete)] * horizon
    bases: dict[int, dict[str, Any]] = {}  # each plan's raw form, made once, for the bets
    out = []
    for k, bets in enumerate(alternatives):
        if not bets:
            if not calendar:
                out.append(assemble(concrete, (plans[0][0],) * horizon))
            else:
                out.append(assemble(concrete, calendar_timeline(
                    concrete, [(p, s.sales.working_days_per_month) for p, s in plans])))
            continue
        problem = check_portfolio(bets)
        if problem:
            raise ValueError(problem)
        drawn = [bet_means(b) for b in bets] if bet_values is None else bet_values[k]
        concrete_bets = [realise_bet(b, v) for b, v in zip(bets, drawn, strict=True)]
        for _, plan in plans:
            if id(plan) not in bases:
                bases[id(plan)] = _base_raw(plan)
        structure, months = _compile_bets(plans, bases, concrete_bets)
        if not calendar:
            out.append(assemble(structure, tuple(p for p, _ in months)))
        else:
            out.append(assemble(structure, calendar_timeline(structure, months)))
    return out


def _compile_bets(plans: Sequence[tuple[Params, Scenario]], bases: dict[int, dict[str, Any]],
                  bets: Sequence[Bet]) -> tuple[Scenario, list[tuple[Params, Any]]]:
    """Concrete bets acting on each month's concrete plan (`plans`: the month's Params and spec;
    `bases`: each plan's `_base_raw` by the spec's id, left unchanged): the spec of the
    alternative's structure and, month by month, its Params and working days a month."""
    compiled: dict[Any, tuple[Params, Any]] = {}  # by plan and strengths, and bet costs
    timeline = []
    structure: Scenario | None = None
    mine: dict[int, tuple[dict[str, Any], dict[tuple[int, int], list[str]], Any]] = {}
    for m, (baseline, plan) in enumerate(plans):
        if id(plan) not in mine:
            # the lists that bets append items to are this alternative's own
            base = {key: _copy_raw(value) if key in _ITEM_MODEL else value
                    for key, value in bases[id(plan)].items()}
            paths = _expansions(base, bets)  # before the appended items join the lists
            added = _appended(base, bets)
            mine[id(plan)] = (base, paths, added)
            if not added:  # nothing acts at strength 0: the plan's month
                compiled[(id(plan), (0.0,) * len(bets))] = (
                    baseline, plan.sales.working_days_per_month)
                structure = structure or plan
        base, paths, added = mine[id(plan)]
        strengths = tuple(strength(b, m) for b in bets)
        key = (id(plan), strengths)
        if key not in compiled:
            raw = month_scenario(base, bets, added, strengths, paths)
            try:
                month_spec = Scenario.model_validate(raw)
            except ValidationError as err:
                first = err.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                why = bilingual(str(first["msg"]).removeprefix("Value error, "))
                raise ValueError(msg("bets_push_out_of_range", bets=names([b.name for b in bets]),
                                     month=m + 1, where=f"{where}: " if where else "",
                                     why=why)) from None
            structure = structure or month_spec
            compiled[key] = (compile_params(month_spec), month_spec.sales.working_days_per_month)
        cost = sum(bet_cost_in_month(b, m) for b in bets)
        if cost and (key, cost) not in compiled:  # months of equal costs share one object
            params, days = compiled[key]
            compiled[(key, cost)] = (replace_params(params, bet_costs=cost), days)
        timeline.append(compiled[(key, cost)] if cost else compiled[key])
    assert structure is not None
    return structure, timeline


# -- checks at load ---------------------------------------------------------------------------
def bet_problems(spec: Scenario) -> list[tuple[str, str]]:
    """What is wrong with the scenario's bets, as (path, message): paths that name nothing,
    values a change would push out of range (both ends of an uncertain change are tried)."""
    problems: list[tuple[str, str]] = []
    for bet in spec.bets:
        problems += check_bet(spec, bet)
    return problems


# The scenario's frame, not levers a bet can pull: changing them would change what is measured
# (the goal, the horizon, discounting) or who already exists (the starting state).
FRAME_FIELDS = ("name", "description", "currency", "horizon_months", "discount_rate_annual",
                "market", "uncertainty", "goal", "initial_state", "bets")


def check_bet(spec: Scenario, bet: Bet) -> list[tuple[str, str]]:
    """What is wrong with one bet (see `bet_problems`). The bet is applied at full strength to
    the baseline with its uncertain parameters at their means and at their 0.1% and 99.9%
    quantiles, with the bet's own uncertain values at the ends of their ranges."""
    where = f"bets.{bet.name}"
    if bet.start_month > spec.horizon_months:
        return [(f"{where}.start_month", msg("bet_after_horizon", month=bet.start_month,
                                             horizon=spec.horizon_months))]
    for i, change in enumerate(bet.changes):
        head = change.path.split(".", 1)[0]
        if head in FRAME_FIELDS:
            return [(f"{where}.changes.{i}.path", msg("bet_changes_frame", head=head))]
        if change.append is not None:
            try:
                _ITEM_MODEL[change.path].model_validate(change.append)
            except ValidationError as err:
                return [(f"{where}.changes.{i}.append.{'.'.join(map(str, e['loc']))}",
                         str(e["msg"]).removeprefix("Value error, ")) for e in err.errors()]
    dists = bet_distributions(bet)
    bet_ends = ([{k: d.support()[0] for k, d in dists}, {k: d.support()[1] for k, d in dists}]
                if dists else [{}])
    baseline = list(iter_distributions(spec))
    base_draws = [point_values(spec)]
    base_draws += [{path: float(d.ppf(np.array([q]))[0]) for path, d in baseline}
                   for q in (0.001, 0.999) if baseline]
    for values in bet_ends:
        concrete = realise_bet(bet, values)
        for draw in base_draws:
            base = _base_raw(realise(spec, draw))
            for i, change in enumerate(concrete.changes):
                at = f"{where}.changes.{i}"
                try:
                    if change.append is not None:
                        _appended(base, [Bet(name=bet.name, changes=[change])])
                    else:
                        _apply(base, change, 1.0)
                except PathError as err:
                    return [(f"{at}.path", msg("bet_at_path", path=err.path,
                                               message=bilingual(err.message)))]
                except (ValueError, TypeError) as err:
                    return [(at, str(err))]
            try:
                Scenario.model_validate(base)
            except ValidationError as err:
                first = err.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "scenario"
                why = bilingual(str(first["msg"]).removeprefix("Value error, "))
                extremes = draw is not base_draws[0]
                key = {(False, False): "bet_makes_invalid",
                       (True, False): "bet_makes_invalid_at_end",
                       (False, True): "bet_makes_invalid_extremes",
                       (True, True): "bet_makes_invalid_both"}[(bool(dists), extremes)]
                return [(where, msg(key, field=field, why=why))]
    return []


# -- stress tests -----------------------------------------------------------------------------
SHOCKS = STANDARD  # the app's five standard shocks, named as in `models.compiled.shocks`

# What the app's stress page says each standard shock does (at severity 1).
_STANDARD_DESCRIPTIONS = {
    "fewer_leads": "30% fewer leads from every channel",
    "higher_cac": "each paid lead costs 50% more",
    "higher_churn": "churn 50% higher in every tier",
    "later_payments": "invoices paid twice as late and 10% less often",
    "manager_leaves": "a sales manager leaves",
}


def stress_shocks(spec: Scenario, start_month: int = 1, duration_months: int | None = None,
                  severity: float = 1.0) -> list[Bet]:
    """Standard shocks for an investor's stress test, as temporary bets with no cost, their
    changes from the one catalogue (`models.compiled.shocks`):

    - fewer_leads: every channel's leads (paid and organic) fall by 30% x severity;
    - higher_cac: each lead costs 50% x severity more (half-saturation budgets rise);
    - higher_churn: every tier's churn rises by 50% x severity;
    - later_payments: invoices are paid later (+100% x severity delay) and less often
      (-10% x severity);
    - manager_leaves: one sales manager leaves (if there is one), whatever the severity.
    """
    end = None if duration_months is None else min(spec.horizon_months,
                                                   start_month + duration_months - 1)
    shocks = []
    for name in SHOCKS:
        if name == "manager_leaves":  # one of any number, unlike the preset (at least two)
            managers = spec.sales.managers
            if isinstance(managers, _Dist) or managers < 1:
                continue
            changes: list[dict[str, Any]] = [{"path": "sales.managers", "add": -1}]
        else:
            changes = changes_of(spec, name, severity)[1]
        shocks.append(Bet.model_validate({
            "name": name, "description": _STANDARD_DESCRIPTIONS[name], "changes": changes,
            "start_month": start_month, "end_month": end}))
    return shocks

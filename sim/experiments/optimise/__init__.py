"""The optimiser under uncertainty: how should the money be split to reach the goal soonest, with
the highest probability, or with the most NPV?

Decision variables are numeric parameter paths with bounds and steps (`Variable`: channels'
budgets, managers, touches, ...) and the scenario's bets, each on or off and, where a bet has a
size, sized within a range (`BetChoice`, sized as `goalseek` sizes a bet: the value of its first
change). An allocation is applied as a bet of its own, `ALLOCATION`, that sets every variable
from month 1 at once, followed by the bets chosen; so every candidate is compiled the way
`compare` compiles an alternative, and replication i of every candidate sees the same draw of
the baseline's uncertain parameters and the same engine stream (common random numbers).

Constraints (`Constraints`): the spend the owner decides (advertising, salaries and the chosen
bets' own costs: `Params.decided_spend`), at the parameters' means, in every month at most
`budget_monthly` and over the horizon at most `budget_total` (known before any simulation, so a
candidate over budget is never simulated and never recommended); a cash floor: cumulative profit
never below `cash_floor` in at least 1 - `floor_risk` of the replications (a chance constraint,
estimated from the replications).

Method, in three steps:
1. screening: optuna's TPE sampler (seeded, one trial at a time so that the same seed gives the
   same trials) proposes allocations; each is run on the same `replications` (round 0 of the
   baseline's draws, replications 0..R-1). Today's allocation is the first trial, then each bet
   switched on alone on today's allocation (the alternatives `compare` compares).
2. ranking and selection: the `finalists` best distinct feasible allocations and today's are run
   again on `final_replications` fresh replications (round 1 of the draws, the next indices: the
   winner is not picked on the noise it was found with). The best by the objective wins; the
   difference of the objective between it and each other finalist gets a paired bootstrap 95%
   interval over those replications (the same replications for both, so the interval is of the
   difference itself); the winner is *separated* when the runner-up's interval excludes zero.
   The finalists whose interval includes zero could be best as well: the range of each variable
   over them is the recommendation's interval.
3. the "why": each variable of the winner is moved one step (a bet switched), run on the final
   replications, and its effect on NPV per unit of extra money decided (marginal return).

Modules: `decisions` (what is decided), `candidate` (an allocation run and scored), `checks`
(what is refused before anything runs), `search` (the three steps), `ranking` (the finalists
told apart), `marginal` (the why), `result` (`OptimisationResult`). The option strings of the
command line (`--vary`, `--bet`) are read in `sim.cli.optimise`.
"""


from sim.experiments.optimise.candidate import (
    Evaluation,
    Objective,
    allocation_bets,
    budget_excess,
    monthly_spend,
)
from sim.experiments.optimise.decisions import (
    ALLOCATION,
    OBJECTIVES,
    TODAY,
    Allocation,
    BetChoice,
    Constraints,
    Variable,
    covered_bets,
    default_choices,
    default_variables,
    grid_size,
    is_switch,
    today_value,
)
from sim.experiments.optimise.result import Marginal, OptimisationResult
from sim.experiments.optimise.search import optimise

__all__ = [
    "ALLOCATION", "OBJECTIVES", "TODAY", "Allocation", "BetChoice", "Constraints", "Evaluation",
    "Marginal", "Objective", "OptimisationResult", "Variable", "allocation_bets",
    "budget_excess", "covered_bets", "default_choices", "default_variables", "grid_size",
    "is_switch", "monthly_spend", "optimise", "today_value",
]

"""Plan vs actual: where each month's actuals fall in the plan's fan, which rate of the journey is
off, and the re-forecast from where the business is now.

1. **The plan's fan** (`plan_fan`): the plan's Monte Carlo (its own parameter draws and streams,
   `models.compiled.streams`, so it is the forecast `growthsim run` makes) keeping the monthly
   series an owner can count: leads by channel, new clients, revenue, churned and active
   clients, marketing, leads lost at each stage.
2. **Position** (`positions`): each actual's percentile in the fan of its month (mid-rank: ties
   count half), flagged when outside P10-P90. If the plan is right, a month is flagged about one
   time in five per figure.
3. **Rates** (`journey_rates`): the deviation attributed to the journey. Each rate the actuals
   inform gets a conjugate Bayesian update whose prior is the plan: lead volumes by channel
   (gamma-Poisson on the multiplier of the plan's expected leads), the conversion of leads into
   clients, the share of invoices paid and of leads lost unprocessed, and monthly churn
   (beta-binomial). The prior's mean is the plan's rate over the same months; its spread is the
   plan's parameter uncertainty (the spread of the rate over the replications less the counting
   noise), but never tighter than `PRIOR_MONTHS` months of the business's own figures: a number
   an owner wrote in the YAML is an assumption too, and the actuals should be able to move it.
   A rate is "off" when the plan's value is outside the posterior's 90% interval.
4. **Re-forecast** (`reforecast_scenario`, `track`): the scenario from the month after the last
   actual month: its horizon and goal deadline shortened by the months gone, bets shifted, every
   rate the actuals inform replaced by a distribution with the posterior's mean and spread
   (scaling each parameter the rate stands for), and the starting state the actual one: active
   clients (split over tiers as the plan's revenue is), the plan's open leads and unpaid
   invoices at that month (scaled by the actual lead volume). Then its fan, P(goal by the
   deadline) and, where the scenario has bets, `compare_bets` on the re-forecast.

Everything runs through `sim.experiments.runner.parallel.map_tasks`: results depend only on the
seed.

Modules: `fan` (the plan's fan and positions), `rates` (which rate is off), `reforecast` (the
re-forecast's scenario), `result` (`track`, `TrackResult`, `simulated_actuals`).
"""

from sim.experiments.track.fan import (
    FLAG_HIGH,
    FLAG_LOW,
    Fan,
    percentile_in,
    plan_fan,
    positions,
    track_series,
    tracked_columns,
)
from sim.experiments.track.rates import INTERVAL, PRIOR_MONTHS, Rate, journey_rates, rates_table
from sim.experiments.track.reforecast import reforecast_scenario, rescale
from sim.experiments.track.result import TrackResult, simulated_actuals, track

__all__ = [
    "FLAG_HIGH", "FLAG_LOW", "INTERVAL", "PRIOR_MONTHS", "Fan", "Rate", "TrackResult",
    "journey_rates", "percentile_in", "plan_fan", "positions", "rates_table",
    "reforecast_scenario", "rescale", "simulated_actuals", "track", "track_series",
    "tracked_columns",
]

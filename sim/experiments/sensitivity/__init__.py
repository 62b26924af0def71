"""Which assumptions carry a plan: global sensitivity (Sobol, Morris) and the tornado.

Factors are the scenario's uncertain parameters (their distributions) and any parameter given a
range (uniform between its ends). Each factor is sampled on the unit interval and mapped through
its distribution's quantile function, so SALib only ever sees independent U(0, 1) inputs.

Correlations. Sobol's decomposition of the variance into one share per input holds for
independent inputs only; with correlated ones a parameter's "share" mixes its own effect with
its partners'. So the per-parameter, lever and stage indices are computed on independent inputs
(the scenario's correlations switched off; `notes` says "correlations_ignored") and read as
"what each assumption would carry if the assumptions were unrelated". Beside them, when the
scenario correlates some of the analysed parameters, the "block" grouping puts each set of
correlated parameters (a connected component of the correlation graph) in one group and imposes
the correlations inside each group (a Gaussian copula with the scenario's rank correlations,
as `models.compiled.sampling` does for Monte Carlo): the groups are then independent of one
another, so their indices are exact Sobol indices of the plan as the scenario describes it,
correlations included (Jacques et al. 2006, "Sensitivity analysis in presence of model
uncertainty and correlated inputs"). The note "correlations_in_blocks" says so.

Common random numbers. A sensitivity run is a set of (sample point, replication) tasks; the
engine's stream of replication r is the same at every sample point
(`models.compiled.streams.replication_stream(seed, r)`), so two points differ by their
parameters, not by their luck. The indices are computed on the mean over replications of each
point; the simulation's own noise is reported beside them as

    noise share = mean over points of the within-point variance / total variance

(the total over every (point, replication) output). A noise share near 1 says the indices
describe noise: add replications or widen the ranges.

Months to goal: a run that never reaches the goal counts as horizon + 1 (later than any month),
as in paired comparisons, so the index credits a parameter that makes the goal reachable.

A model function `model(values, replication) -> {metric: value}` may replace the simulation
(analytic cases in the tests, a surrogate); the default is `SimulationModel`.

Modules: `groups` (a parameter's lever and journey stage), `factors` (what is sampled), `model`
(values -> outputs, on common random numbers), `correlations` (blocks and the copula), `indices`
(Sobol and Morris), `tornado`. The `--range` option string is read in `sim.cli.sensitivity`.
"""

from sim.experiments.sensitivity.correlations import correlation_blocks, impose_correlations
from sim.experiments.sensitivity.factors import (
    Distribution,
    Factor,
    UniformRange,
    factors,
    require_factors,
)
from sim.experiments.sensitivity.groups import OTHER, STAGES, lever_of, stage_of
from sim.experiments.sensitivity.indices import (
    SensitivityResult,
    grouping_names,
    morris,
    planned_runs,
    sobol,
)
from sim.experiments.sensitivity.model import METRICS, Model, SimulationModel, evaluate, noise_share
from sim.experiments.sensitivity.tornado import Tornado, tornado

__all__ = [
    "METRICS", "OTHER", "STAGES", "Distribution", "Factor", "Model", "SensitivityResult",
    "SimulationModel", "Tornado", "UniformRange", "correlation_blocks", "evaluate", "factors",
    "grouping_names", "impose_correlations", "lever_of", "morris", "noise_share",
    "planned_runs", "require_factors", "sobol", "stage_of", "tornado",
]

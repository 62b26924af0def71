"""Experiments: many runs of the engines.

`runner` holds what every experiment is built from (replications, replications of alternatives
on common random numbers, parallel maps, executors, statistics). On it: `montecarlo` (the
forecast), `compare` (bets against the baseline), `goalseek`, `stress`, `voi` (the value of
information), and the subpackages `optimise`, `sensitivity`, `track` and `batch` (sweeps into a
results store), one module per idea.
"""

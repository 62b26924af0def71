"""The runner: replications, their parallel maps and executors, and their statistics.

Every experiment (Monte Carlo, compare, seek, stress, sensitivity, the optimiser, plan vs actual,
batches) runs through these modules:

- `replications`: one replication of a compiled scenario, replications stacked, rounds;
- `alternatives`: replications of the baseline and of bets on common random numbers;
- `parallel`: workers and the parallel map;
- `executors`: where the work runs (local processes or a Dask cluster);
- `statistics`: intervals and summaries of replications.
"""

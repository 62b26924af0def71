"""Batches: a sweep of scenario variants run as tasks into a results store.

- `sweep`: the sweep file (what varies, over which values) planned into variants;
- `tasks`: one task (variant, alternative, chunk of replications), its hash and what a worker
  runs;
- `stream`: tasks through an executor, a bounded number in flight;
- `run`: a sweep's missing tasks run into the store, resumable after a kill;
- `store`: the results store (Parquet partitions, manifest, failures) and its queries.
"""

from sim.experiments.batch.run import BatchReport, StoreMismatch, run_batch
from sim.experiments.batch.stream import ClusterLost

__all__ = ["BatchReport", "ClusterLost", "StoreMismatch", "run_batch"]

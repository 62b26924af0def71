"""The results store of a batch: a folder of Parquet partitions, one per task, and a manifest.

Layout of DIR:

- `manifest.json`: the sweep (its content hash and file), the scenarios' content hashes, seed,
  engine, package version, every task (its content hash, variant, alternative, replications) and
  the times of each run that wrote to the folder. Times live only here, never in the data files;
- `variants.parquet`: one row per variant: its scenario file and hashes and the swept parameters;
- `parts/<variant>-<alternative>-<first replication>-<hash>.parquet`: one task's replications, a
  row each (scenario, variant, alternative, the swept parameters, replication, every scalar
  metric), in replication order;
- `monthly/<the same name>.parquet`: the task's monthly series, a row per replication and month
  (the same identifying columns, replication, month from 1, one column per monthly metric kept);
  written before the task's `parts/` file, which alone marks the task done;
- `failures/<hash>.json`: a task that raised (variant, alternative, seed, the error);
- `summary.parquet`, `summary.csv`, `sensitivity.csv`, `monthly.parquet`, `monthly.csv`: the
  tables `growthsim results` writes.

Every file is written to a temporary name in the same folder, flushed to disk and renamed into
place (atomic on POSIX), so a kill at any moment leaves either the whole file or none. Parquet is
written with fixed settings and no timestamps, so the same data give the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
PARTS = "parts"
MONTHLY = "monthly"
FAILURES = "failures"
_TMP = ".tmp-"

_ARROW = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "str": pa.string()}


def arrow_type(kind: str) -> pa.DataType:
    return _ARROW[kind]


def parquet_bytes(table: pa.Table) -> bytes:
    """`table` as Parquet with fixed settings (the same table gives the same bytes)."""
    sink = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(None), sink, compression="zstd",
                   compression_level=3, use_dictionary=True, write_statistics=True,
                   row_group_size=1 << 20)
    return sink.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader (or a restart after a kill) sees all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_TMP}{path.name}.{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # the rename itself made durable where the OS allows
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, (json.dumps(data, indent=2, sort_keys=False) + "\n").encode())


def clean_temporary(root: Path) -> int:
    """Remove files a killed run left half-written; returns how many."""
    n = 0
    for folder in (root, root / PARTS, root / MONTHLY, root / FAILURES):
        if folder.is_dir():
            for tmp in folder.glob(f"{_TMP}*"):
                tmp.unlink(missing_ok=True)
                n += 1
    return n


def part_name(variant: int, alternative: int, first: int, task_hash: str) -> str:
    return f"v{variant:05d}-a{alternative:03d}-r{first:07d}-{task_hash}.parquet"


LOCK = ".lock"


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the store's lock (`root/.lock`, an advisory `flock`) while writing it, so that two
    batches on one folder do not both run every task; the operating system releases it when
    the process ends, however it ends. Raises `StoreError` when another process holds it."""
    from datetime import UTC, datetime

    from models.spec.messages import msg

    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): no lock
        yield
        return
    path = root / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").split()
            pid, started = [*holder, "?", "?"][:2]
            raise StoreError(msg("store_locked", folder=root, pid=pid, started=started)
                             ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {datetime.now(UTC).isoformat(timespec='seconds')}\n"
                  .encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


class StoreError(ValueError):
    """A store that cannot be read as it is: a damaged file, a manifest of another sweep, no
    finished task. `message` is the `Message` in both languages."""

    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(str(message))


def readable(path: Path) -> bool:
    """Is `path` a whole Parquet file (its footer reads)? A file cut short by a full disk or a
    copy, or an empty one, is not: its task counts as not done."""
    try:
        pq.read_metadata(path)
    except Exception:  # pyarrow raises OSError or ArrowInvalid, by version
        return False
    return True


def listed(folder: Path) -> dict[str, Path]:
    """Task hash -> file, for the Parquet files of `folder` (`parts/` or `monthly/`)."""
    # the folder's files listed, never globbed as a pattern: a folder named run[1] or a* is a
    # name, not a pattern (the pattern "*.parquet" applies to the names inside only)
    if not folder.is_dir():
        return {}
    return {p.stem.rsplit("-", 1)[-1]: p for p in sorted(folder.iterdir())
            if p.suffix == ".parquet" and not p.name.startswith(_TMP)}


def done_parts(root: Path) -> dict[str, Path]:
    """Task hash -> its partition, for every whole partition in the store (a damaged one is
    left out: the task is run again)."""
    return {h: p for h, p in listed(root / PARTS).items() if readable(p)}


def damaged(root: Path) -> list[Path]:
    """The store's partitions (scalar and monthly) that are not whole Parquet files."""
    return [p for folder in (PARTS, MONTHLY) for p in listed(root / folder).values()
            if not readable(p)]


def failures(root: Path) -> dict[str, dict[str, Any]]:
    folder = root / FAILURES
    if not folder.is_dir():
        return {}
    out = {}
    for p in sorted(folder.iterdir()):
        if p.suffix != ".json" or p.name.startswith(_TMP):
            continue
        try:
            out[p.stem] = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a damaged record: the task is simply not done
            continue
    return out


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The store's manifest; None when there is none (not a store). A manifest that is not
    whole JSON of a store raises `StoreError` naming it and the fix."""
    from models.spec.messages import msg

    path = root / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreError(msg("store_file_damaged", path=path, why=str(err).split("\n")[0],
                             fix=msg("store_fix_manifest"))) from None
    keys = ("plan_hash", "sweep", "parameters", "tasks", "variants")
    if not isinstance(data, dict) or any(k not in data for k in keys) or not isinstance(
            data["tasks"], list):
        missing = ", ".join(k for k in keys if not isinstance(data, dict) or k not in data)
        raise StoreError(msg("store_file_damaged", path=path,
                             why=f"fields missing: {missing or 'tasks'}",
                             fix=msg("store_fix_manifest")))
    return data  # type: ignore[no-any-return]


def check_readable(root: Path, manifest: dict[str, Any]) -> None:
    """Raise `StoreError` for what would make a summary wrong or fail: a damaged partition or
    variants.parquet, partitions of tasks the manifest does not list (another sweep's manifest,
    files copied in), no finished task."""
    from models.spec.messages import msg

    bad = damaged(root)
    variants = root / "variants.parquet"
    if not variants.is_file() or not readable(variants):
        bad.insert(0, variants)
    if bad:
        why = "missing" if not bad[0].exists() else (
            "empty" if bad[0].stat().st_size == 0 else "not a whole Parquet file")
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        raise StoreError(msg("store_file_damaged", path=f"{bad[0]}{more}", why=why,
                             fix=msg("store_fix_rerun")))
    known = {task.get("hash") for task in manifest["tasks"] if isinstance(task, dict)}
    foreign = [p for h, p in done_parts(root).items() if h not in known]
    if foreign:
        raise StoreError(msg("store_foreign_parts", folder=root, n=len(foreign),
                             example=foreign[0].name))
    if not done_parts(root):
        raise StoreError(msg("store_empty", folder=root))



def task_table(columns: dict[str, tuple[Any, str]], replications: np.ndarray,
               metrics: dict[str, np.ndarray]) -> pa.Table:
    """One task's rows: the identifying columns (name -> (value, kind), repeated on every row),
    the replication index, then each metric (float64) in name order."""
    n = len(replications)
    arrays = [pa.array([value] * n, type=arrow_type(kind)) for value, kind in columns.values()]
    names = list(columns)
    arrays.append(pa.array(replications, type=pa.int64()))
    names.append("replication")
    for name in sorted(metrics):
        arrays.append(pa.array(np.asarray(metrics[name], dtype=float), type=pa.float64()))
        names.append(name)
    return pa.table(arrays, names=names)


def monthly_table(columns: dict[str, tuple[Any, str]], replications: np.ndarray,
                  series: dict[str, np.ndarray]) -> pa.Table:
    """One task's monthly rows: the identifying columns, replication and month (1-based), one
    row per replication and month in that order, then each series (float64) in `series`
    order. `series`: metric -> (replications, months)."""
    n, months = len(replications), next(iter(series.values())).shape[1]
    arrays = [pa.array([value] * (n * months), type=arrow_type(kind))
              for value, kind in columns.values()]
    names = list(columns)
    arrays.append(pa.array(np.repeat(replications, months), type=pa.int64()))
    arrays.append(pa.array(np.tile(np.arange(1, months + 1), n), type=pa.int64()))
    names += ["replication", "month"]
    for name, values in series.items():
        arrays.append(pa.array(np.asarray(values, dtype=float).reshape(-1), type=pa.float64()))
        names.append(name)
    return pa.table(arrays, names=names)


# -- reading: DuckDB over the partitions ---------------------------------------------------------

# Standard errors hold under Latin hypercube sampling: a variant's replications share one LHS
# design, whose mean's variance is at most sigma^2 / (n - 1) (`sim.experiments.runner.statistics`).
SUMMARY_SQL = """
WITH r AS (SELECT * FROM parts),
b AS (SELECT variant, replication, npv_profit AS b_npv, goal_by_deadline AS b_goal
      FROM r WHERE alternative = 'baseline'),
s AS (
  SELECT r.variant, r.alternative,
         count(*) AS replications,
         avg(r.npv_profit) AS npv,
         stddev_samp(r.npv_profit) / sqrt(greatest(count(*) - 1, 1)) AS npv_se,
         quantile_cont(r.npv_profit, 0.1) AS npv_p10,
         quantile_cont(r.npv_profit, 0.9) AS npv_p90,
         avg(r.goal_by_deadline) AS p_goal,
         avg(r.total_revenue) AS revenue,
         avg(r.npv_profit - b.b_npv) AS npv_gain,
         stddev_samp(r.npv_profit - b.b_npv) / sqrt(greatest(count(*) - 1, 1)) AS npv_gain_se,
         avg(r.goal_by_deadline - b.b_goal) AS p_goal_gain
  FROM r LEFT JOIN b USING (variant, replication)
  GROUP BY r.variant, r.alternative
)
SELECT v.*, s.* EXCLUDE (variant)
FROM s JOIN variants v USING (variant)
ORDER BY s.variant, s.alternative <> 'baseline', s.alternative
"""


def _register(con: Any, name: str, files: list[Path]) -> None:
    """`files` as the table `name` of `con`: a pyarrow dataset of exactly these files, in this
    order. DuckDB's `read_parquet` would read a path as a glob pattern (a folder named run[1]
    or a* would match other files, or none)."""
    import pyarrow.dataset as ds

    con.register(name, ds.dataset([str(f) for f in files], format="parquet"))


def connect() -> Any:
    """A DuckDB connection that sums in one fixed order (one thread), so the same partitions
    give the same tables to the last bit."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")
    return con


def summary(root: Path) -> Any:
    """One row per (variant, alternative): the variant's scenario and swept parameters, mean NPV
    of profit with its standard error and P10/P90, P(goal by deadline), mean revenue, and the
    paired differences from the variant's baseline (replication by replication). A pandas
    DataFrame; empty when no partition is written yet."""
    import pandas as pd

    parts = done_parts(root)
    if not parts:
        return pd.DataFrame()
    con = connect()
    _register(con, "parts", list(parts.values()))
    _register(con, "variants", [root / "variants.parquet"])
    frame = con.execute(SUMMARY_SQL).df()
    return frame.drop(columns=["scenario_hash", "variant_hash"])


MONTHLY_SQL = """
WITH m AS (UNPIVOT (SELECT * EXCLUDE (scenario) FROM parts)
           ON {metrics} INTO NAME metric VALUE value)
SELECT variant, alternative, metric, month, count(*) AS replications, avg(value) AS mean,
       quantile_cont(value, 0.1) AS p10, quantile_cont(value, 0.5) AS p50,
       quantile_cont(value, 0.9) AS p90
FROM m {where}
GROUP BY variant, alternative, metric, month
ORDER BY variant, alternative <> 'baseline', alternative, metric, month
"""


def monthly_metrics(root: Path) -> list[str]:
    """The monthly series the store keeps (the manifest's list; none for an older store)."""
    manifest = read_manifest(root) or {}
    return list(manifest.get("monthly", []))


def monthly(root: Path, metric: str | None = None, variant: int | None = None) -> Any:
    """The monthly series over the replications: one row per (variant, alternative, metric,
    month) with the replications, mean, P10, P50 and P90 (a pandas DataFrame, tidy; empty when
    the store keeps no monthly series or none is written yet). `metric`, `variant`: only those.
    Every replication's series: `pd.read_parquet(root / "monthly")`."""
    import pandas as pd

    metrics = monthly_metrics(root)
    if metric is not None:
        if metric not in metrics:
            raise ValueError(f"{metric}: not a monthly series of this store; it keeps "
                             f"{', '.join(metrics) or 'none (the sweep said monthly: none)'}")
        metrics = [metric]
    # the monthly partitions of finished tasks only (a task's monthly file is written first)
    done = set(done_parts(root))
    files = [p for h, p in listed(root / MONTHLY).items() if h in done and readable(p)]
    if not metrics or not files:
        return pd.DataFrame(columns=["variant", "alternative", "metric", "month",
                                     "replications", "mean", "p10", "p50", "p90"])
    where = "" if variant is None else f"WHERE variant = {int(variant)}"
    con = connect()
    _register(con, "parts", files)
    sql = MONTHLY_SQL.format(metrics=", ".join(f'"{m}"' for m in metrics), where=where)
    return con.execute(sql).df()


def sensitivity(table: Any, parameters: dict[str, str], bins: int = 4) -> Any:
    """How each swept parameter moves NPV and P(goal): per alternative and value of the
    parameter (a few distinct values), or per quantile bin of its values (many, e.g. a Latin
    hypercube), the mean over the variants there."""
    import pandas as pd

    rows = []
    for path, kind in parameters.items():
        values = table[path]
        if values.nunique() > 8 and kind in ("int", "float"):
            codes = pd.qcut(values.rank(method="first"), bins, labels=False)
            edges = values.groupby(codes).agg(["min", "max"])
            labels = codes.map(lambda c, e=edges: f"{e.loc[c, 'min']:.6g}..{e.loc[c, 'max']:.6g}")
        else:
            labels = values.astype(str)
        grouped = table.assign(_value=labels, _order=values).groupby(
            ["alternative", "_value"], sort=False)
        for (alternative, value), group in grouped:
            rows.append({"parameter": path, "alternative": alternative, "value": value,
                         "order": group["_order"].min(), "variants": len(group),
                         "npv": group["npv"].mean(), "p_goal": group["p_goal"].mean()})
    out = pd.DataFrame(rows, columns=["parameter", "alternative", "value", "order", "variants",
                                      "npv", "p_goal"])
    out = out.sort_values(["parameter", "alternative", "order"], kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


def best(table: Any) -> Any:
    """The best (variant, alternative) for the goal: highest P(goal by deadline), then highest
    NPV; highest NPV where the scenarios have no goal. None for an empty table."""
    if table.empty:
        return None
    has_goal = table["p_goal"].notna().any()
    keys = ["p_goal", "npv"] if has_goal else ["npv"]
    ranked = table.sort_values(keys, ascending=False, kind="stable", na_position="last")
    return ranked.iloc[0]


def write_tables(root: Path, table: Any, sens: Any, series: Any = None) -> list[Path]:
    """summary.parquet (typed), summary.csv, sensitivity.csv and, given the monthly summary,
    monthly.parquet and monthly.csv, each atomically."""
    written = []
    if series is not None and not series.empty:
        write_atomic(root / "monthly.parquet",
                     parquet_bytes(pa.Table.from_pandas(series, preserve_index=False)))
        write_atomic(root / "monthly.csv", series.to_csv(index=False).encode())
        written += [root / "monthly.parquet", root / "monthly.csv"]
    if not table.empty:
        data = parquet_bytes(pa.Table.from_pandas(table, preserve_index=False))
        write_atomic(root / "summary.parquet", data)
        write_atomic(root / "summary.csv", table.to_csv(index=False).encode())
        written += [root / "summary.parquet", root / "summary.csv"]
    if not sens.empty:
        write_atomic(root / "sensitivity.csv", sens.to_csv(index=False).encode())
        written.append(root / "sensitivity.csv")
    return written

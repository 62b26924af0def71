"""Writing results: every file is written to a temporary name and renamed, so a reader never
sees a half-written file and an interrupted run leaves the previous results intact."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.compare import Comparison
from sim.experiments.montecarlo import MonteCarloResult


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` for a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); results are ordinary files (0644 less umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(_clean(data), indent=2, ensure_ascii=False, sort_keys=False)
    def write(tmp: Path) -> None:
        tmp.write_text(text + "\n", encoding="utf-8")

    write_atomic(path, write)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def summary_document(result: MonteCarloResult) -> dict[str, Any]:
    return {"provenance": result.provenance(), "metrics": result.summary()}


def write_results(result: MonteCarloResult, out_dir: Path) -> list[Path]:
    """`summary.json` (one object per metric) and `monthly.parquet` (monthly quantiles)."""
    summary, monthly = out_dir / "summary.json", out_dir / "monthly.parquet"
    write_json(summary, summary_document(result))
    write_parquet(monthly, result.monthly_quantiles())
    return [summary, monthly]


def write_comparison(cmp: Comparison, out_dir: Path) -> list[Path]:
    """`compare.json` (per bet and metric: mean, sd, p10, p50, p90, the paired difference with
    its interval) and `compare_monthly.parquet` (monthly quantiles per bet)."""
    doc, monthly = out_dir / "compare.json", out_dir / "compare_monthly.parquet"
    write_json(doc, cmp.to_dict())
    write_parquet(monthly, cmp.monthly_quantiles())
    return [doc, monthly]

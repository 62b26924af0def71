"""`growthsim batch` and `growthsim results`: sweeps expanded and validated, tasks that match the
comparison they split up, a store that survives SIGKILL byte for byte, failures reported and
retried, and the same bytes from a serial run and a process pool."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from models.load import load_scenario
from sim.cli.main import app
from sim.experiments.batch import run as batch_run
from sim.experiments.batch import tasks as batch_module
from sim.experiments.batch.sweep import SweepError, plan_sweep
from sim.experiments.compare import compare_bets
from tests.test_cli import TINY

ROOT = Path(__file__).resolve().parents[1]
BET = {"name": "more_ads", "start_month": 1, "changes": [
    {"path": "channels.ads.budget_monthly", "scale": 2.0}]}
SWEEP = {
    "name": "tiny sweep",
    "scenarios": [{"path": "tiny.yaml", "bets": ["more_ads"]}],
    "grid": {"sales.managers": [1, 2], "channels.ads.budget_monthly": [100, 400]},
    "replications": 6,
    "chunk": 3,
    "seed": 4,
}
TABLES = ("variants.parquet", "summary.parquet", "summary.csv", "sensitivity.csv",
          "monthly.parquet", "monthly.csv")


def write_sweep(folder: Path, sweep: dict[str, Any] | None = None,
                bets: list[dict[str, Any]] | None = None) -> Path:
    scenario = copy.deepcopy(TINY)
    scenario["bets"] = bets or [BET]
    (folder / "tiny.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False),
                                      encoding="utf-8")
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep or SWEEP, sort_keys=False), encoding="utf-8")
    return path


def store_bytes(out: Path) -> dict[str, bytes]:
    """Every data file of a store (not the manifest: it holds the times)."""
    files = {f"{folder}/{p.name}": p.read_bytes() for folder in ("parts", "monthly")
             for p in sorted((out / folder).iterdir())}
    files.update({name: (out / name).read_bytes() for name in TABLES})
    return files


def batch(runner: CliRunner, sweep: Path, out: Path, *extra: str) -> Any:
    return runner.invoke(app, ["batch", str(sweep), "--out", str(out), *extra])


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sweep run once serially: the store every other run must reproduce byte for byte."""
    folder = tmp_path_factory.mktemp("reference")
    sweep = write_sweep(folder)
    result = batch(CliRunner(), sweep, folder / "out", "--workers", "1")
    assert result.exit_code == 0, result.output
    return sweep, folder / "out"


# -- the sweep file ------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"replicatons": 5}, "replicatons", "unknown field"),
    ({"replications": 1}, "replications", "greater than or equal to 2"),
    ({"grid": {"sales.managrs": [1, 2]}}, "grid.sales.managrs", "managrs"),
    ({"grid": {"sales.managers": [1, 1]}}, "grid.sales.managers", "repeated"),
    ({"grid": {"overhead_monthly": [100, -5]}}, "grid.overhead_monthly", ">= 0"),
    ({"lhs": {"samples": 3, "ranges": {"sales.managers": [5, 2]}}}, "lhs.ranges.sales.managers",
     "swap"),
    ({"scenarios": [{"path": "tiny.yaml", "bets": ["nope"]}]}, "scenarios.0.bets", "more_ads"),
    ({"scenarios": ["missing.yaml"]}, "scenarios.0.path", "not found"),
])
def test_bad_sweep_names_the_field(tmp_path: Path, change: dict[str, Any], field: str,
                                   words: str) -> None:
    sweep = write_sweep(tmp_path, {**SWEEP, **change})
    with pytest.raises(SweepError) as err:
        plan_sweep(sweep)
    assert field in str(err.value) and words in str(err.value), str(err.value)
    result = batch(CliRunner(), sweep, tmp_path / "out")
    assert result.exit_code == 2
    assert field in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing written for a sweep that cannot run


def test_grid_crossed_with_latin_hypercube(tmp_path: Path) -> None:
    lhs = {"samples": 5, "seed": 3, "ranges": {
        "overhead_monthly": [100, 600], "sales.salary_monthly": {"low": 1, "high": 5,
                                                                 "integer": True}}}
    plan = plan_sweep(write_sweep(tmp_path, {**SWEEP, "grid": {"sales.managers": [1, 2]},
                                             "lhs": lhs}))
    assert len(plan.variants) == 2 * 5
    assert plan.columns == {"sales.managers": "int", "overhead_monthly": "float",
                            "sales.salary_monthly": "int"}
    first = [v.params for v in plan.variants[:5]]
    # a Latin hypercube: one point in each fifth of every range
    assert sorted(int((p["overhead_monthly"] - 100) // 100) for p in first) == [0, 1, 2, 3, 4]
    assert sorted(p["sales.salary_monthly"] for p in first) == [1, 2, 3, 4, 5]
    # the values reach the variant's scenario, and the design is the same in each grid cell
    assert [v.spec.sales.managers for v in plan.variants] == [1] * 5 + [2] * 5
    assert plan.variants[7].spec.overhead_monthly == first[2]["overhead_monthly"]
    assert {v.alternatives for v in plan.variants} == {("baseline", "more_ads")}


def test_shipped_sweeps_are_valid() -> None:
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")):
        plan = plan_sweep(path)
        assert len(plan.variants) >= 3, path


# -- what a batch computes -----------------------------------------------------------------------


def test_store_equals_the_comparison_of_each_variant(reference_store: tuple[Path, Path]) -> None:
    """Chunks of replications on their own seeds add up to `compare_bets` of the variant."""
    sweep, out = reference_store
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{out}/parts/*.parquet') "
                      "ORDER BY variant, alternative, replication").df()
    assert len(rows) == 4 * 2 * 6 and not rows.duplicated(["variant", "alternative",
                                                           "replication"]).any()
    plan = plan_sweep(sweep)
    for v in (plan.variants[0], plan.variants[3]):
        cmp = compare_bets(v.spec, ["more_ads"], replications=6, seed=4, workers=1)
        for alt in ("baseline", "more_ads"):
            mine = rows[(rows.variant == v.index) & (rows.alternative == alt)]
            assert (mine["sales.managers"] == v.params["sales.managers"]).all()
            np.testing.assert_array_equal(mine["npv_profit"], cmp.scalars[alt]["npv_profit"])
            np.testing.assert_array_equal(mine["goal_by_deadline"],
                                          cmp.scalars[alt]["goal_by_deadline"])
    summary = pd.read_parquet(out / "summary.parquet")
    bet = summary[(summary.variant == 3) & (summary.alternative == "more_ads")].iloc[0]
    assert bet["npv_gain"] == pytest.approx(cmp.paired("more_ads", "npv_profit")["mean"])
    assert bet["npv_gain_se"] == pytest.approx(cmp.paired("more_ads", "npv_profit")["se"])


def test_results_prints_best_and_sensitivity(reference_store: tuple[Path, Path]) -> None:
    _, out = reference_store
    result = CliRunner().invoke(app, ["results", str(out)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "summary.csv")
    top = summary.sort_values(["p_goal", "npv"], ascending=False).iloc[0]
    assert f"variant {top['variant']} " in result.output
    sens = pd.read_csv(out / "sensitivity.csv")
    base = summary[summary.alternative == "baseline"]
    for value in (1, 2):  # the marginal mean over the variants with that many managers
        row = sens[(sens.parameter == "sales.managers") & (sens.alternative == "baseline")
                   & (sens.value.astype(str) == str(value))].iloc[0]
        assert row["npv"] == pytest.approx(base[base["sales.managers"] == value]["npv"].mean())
    ru = CliRunner().invoke(app, ["results", str(out), "--lang", "ru"])
    assert ru.exit_code == 0 and "лучший для цели" in ru.output
    # the README's pandas read of the same store
    assert len(pd.read_parquet(out / "parts")) == 4 * 2 * 6


def test_results_of_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["results", str(tmp_path)])
    assert result.exit_code == 2 and "manifest.json" in result.output


def test_pool_gives_the_same_bytes(reference_store: tuple[Path, Path], tmp_path: Path) -> None:
    sweep, out = reference_store
    result = batch(CliRunner(), sweep, tmp_path / "pool", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert store_bytes(tmp_path / "pool") == store_bytes(out)
    manifest = json.loads((tmp_path / "pool" / "manifest.json").read_text())
    assert manifest["runs"][-1]["executor"] == "process pool of 2"
    assert len(manifest["tasks"]) == 4 * 2 * 2
    assert manifest["scenarios"] and manifest["engine"] == "fast" and manifest["seed"] == 4


def test_another_sweep_into_the_same_folder_is_refused(reference_store: tuple[Path, Path],
                                                       tmp_path: Path) -> None:
    sweep, out = reference_store
    other = write_sweep(tmp_path, {**SWEEP, "seed": 5})
    result = batch(CliRunner(), other, out, "--workers", "1")
    assert result.exit_code == 2 and "another sweep" in result.output
    again = batch(CliRunner(), sweep, out, "--workers", "1")  # the same sweep: nothing to run
    assert again.exit_code == 0 and "0 tasks run" in again.output


# -- faults --------------------------------------------------------------------------------------


def test_sigkill_then_resume_is_byte_identical(tmp_path: Path) -> None:
    # one replication per task, so the kill lands between (or inside) many small tasks
    sweep = write_sweep(tmp_path, {**SWEEP, "chunk": 1})
    whole = tmp_path / "whole"
    assert batch(CliRunner(), sweep, whole, "--workers", "1").exit_code == 0
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim.cli.main", "batch", str(sweep), "--out", str(killed),
           "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((killed / "parts").glob("*.parquet"))) < 8:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its pool's workers, at once
    proc.wait()
    before = len(list((killed / "parts").glob("*.parquet")))
    assert 8 <= before < 48, before
    result = batch(CliRunner(), sweep, killed, "--workers", "1")
    assert result.exit_code == 0, result.output
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["runs"][-1]["tasks_run"] == 48 - before  # only the missing ones ran
    assert store_bytes(killed) == store_bytes(whole)
    assert not [p for p in killed.rglob("*") if p.name.startswith(".tmp-")]


def test_failed_tasks_are_reported_and_retried(reference_store: tuple[Path, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    sweep, out = reference_store
    real = batch_module.run_alternative

    def flaky(spec: Any, bets: Any, index: int, *args: Any) -> Any:
        if spec.sales.managers == 2 and bets and index >= 3:
            raise RuntimeError("the engine broke")
        return real(spec, bets, index, *args)

    monkeypatch.setattr(batch_module, "run_alternative", flaky)
    failed = tmp_path / "out"
    result = batch(CliRunner(), sweep, failed, "--workers", "1")
    assert result.exit_code == 1
    assert result.output.count("task failed") == 2  # variants 2 and 3, their second chunk
    assert "variant 2 (sales.managers=2, channels.ads.budget_monthly=100), more_ads, seed 4" \
        in result.output and "RuntimeError: the engine broke" in result.output
    assert len(list((failed / "parts").glob("*.parquet"))) == 16 - 2  # the others finished
    again = batch(CliRunner(), sweep, failed, "--workers", "1")  # not retried unless asked
    assert again.exit_code == 1 and "--retry-failed" in again.output
    monkeypatch.setattr(batch_module, "run_alternative", real)
    retried = batch(CliRunner(), sweep, failed, "--workers", "1", "--retry-failed")
    assert retried.exit_code == 0, retried.output
    assert not list((failed / "failures").glob("*.json"))
    assert store_bytes(failed) == store_bytes(out)


def test_load_is_the_scenario_loader(tmp_path: Path) -> None:
    """A variant's scenario is what `load_scenario` makes of the file with the same values."""
    plan = plan_sweep(write_sweep(tmp_path))
    v = plan.variants[1]
    same = load_scenario(tmp_path / "tiny.yaml", ["sales.managers=1",
                                                  "channels.ads.budget_monthly=400"])
    assert v.params == {"sales.managers": 1, "channels.ads.budget_monthly": 400}
    assert v.spec == same


def test_partitions_are_whole_parquet_files(reference_store: tuple[Path, Path]) -> None:
    _, out = reference_store
    for path in (out / "parts").iterdir():
        table = pq.read_table(path)
        assert table.num_rows == 3
        assert table.schema.metadata is None  # nothing that changes from run to run


# -- portfolios, monthly series, the code version ----------------------------------------------

HIRE = {"name": "hire", "start_month": 1, "one_off_cost": 300, "changes": [
    {"path": "sales.managers", "add": 1}]}


def test_portfolios_are_the_comparison_of_each_variant(tmp_path: Path) -> None:
    """`max_bets: 2` runs each bet and the pair acting together, as `compare --max-bets 2`."""
    sweep = write_sweep(tmp_path, {**SWEEP, "grid": {"sales.managers": [1, 2]}, "max_bets": 2,
                                   "scenarios": [{"path": "tiny.yaml", "bets": "all"}],
                                   "monthly": ["revenue"]}, bets=[BET, HIRE])
    plan = plan_sweep(sweep)
    assert plan.variants[0].alternatives == ("baseline", "more_ads", "hire", "more_ads + hire")
    out = tmp_path / "out"
    assert batch(CliRunner(), sweep, out, "--workers", "1").exit_code == 0
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{out}/parts/*.parquet') WHERE variant = 1 "
                      "ORDER BY alternative, replication").df()
    cmp = compare_bets(plan.variants[1].spec, ["more_ads", "hire"], replications=6, seed=4,
                       workers=1, max_bets=2)
    assert set(rows.alternative) == set(cmp.names)
    for alt in cmp.names:
        np.testing.assert_array_equal(rows[rows.alternative == alt]["npv_profit"],
                                      cmp.scalars[alt]["npv_profit"])
    # the pair runs both bets: its NPV is neither bet's alone
    pair = rows[rows.alternative == "more_ads + hire"]["npv_profit"].to_numpy()
    for alone in ("more_ads", "hire"):
        assert (pair != rows[rows.alternative == alone]["npv_profit"].to_numpy()).all()
    # a budget each bet fits alone (nominal costs 400 and 2,300 with ads at 100), not the pair
    within = plan_sweep(write_sweep(tmp_path, {**SWEEP, "max_bets": 2, "budget": 2500,
                                               "scenarios": [{"path": "tiny.yaml",
                                                              "bets": "all"}]},
                                    bets=[BET, HIRE]))
    assert within.variants[0].alternatives == ("baseline", "more_ads", "hire")


def test_a_budget_no_bet_fits_names_the_field(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, {**SWEEP, "scenarios": [{"path": "tiny.yaml", "budget": 1,
                                                           "bets": ["more_ads"]}]})
    with pytest.raises(SweepError, match=r"scenarios\.0\.budget.*raise the budget"):
        plan_sweep(sweep)
    bad = write_sweep(tmp_path, {**SWEEP, "monthly": ["revenue", "revenu"]})
    with pytest.raises(SweepError, match=r"monthly.*revenu: not a monthly metric"):
        plan_sweep(bad)


def test_monthly_series_are_the_comparison_of_each_variant(
        reference_store: tuple[Path, Path]) -> None:
    sweep, out = reference_store
    plan = plan_sweep(sweep)
    v = plan.variants[3]
    cmp = compare_bets(v.spec, ["more_ads"], replications=6, seed=4, workers=1)
    months = v.spec.horizon_months
    rows = pd.read_parquet(out / "monthly")  # every replication's series, one row per month
    assert len(rows) == 4 * 2 * 6 * months
    mine = rows[(rows.variant == 3) & (rows.alternative == "more_ads")].sort_values(
        ["replication", "month"])
    assert list(mine.month[:months]) == list(range(1, months + 1))
    np.testing.assert_array_equal(mine["profit"].to_numpy().reshape(6, months),
                                  cmp.monthly["more_ads"]["profit"])
    series = pd.read_parquet(out / "monthly.parquet")
    revenue = series[(series.variant == 3) & (series.alternative == "baseline")
                     & (series.metric == "revenue")]
    np.testing.assert_allclose(revenue["mean"], cmp.monthly["baseline"]["revenue"].mean(axis=0))
    np.testing.assert_allclose(revenue["p90"], np.percentile(cmp.monthly["baseline"]["revenue"],
                                                             90, axis=0))
    result = CliRunner().invoke(app, ["results", str(out), "--monthly", "revenue",
                                      "--variant", "3"])
    assert result.exit_code == 0, result.output
    assert "revenue month by month: variant 3" in " ".join(result.output.split())
    ru = CliRunner().invoke(app, ["results", str(out), "--monthly", "revenue", "--lang", "ru"])
    assert ru.exit_code == 0 and "по месяцам" in ru.output
    bad = CliRunner().invoke(app, ["results", str(out), "--monthly", "revenu"])
    assert bad.exit_code == 2 and "not a monthly series" in bad.output \
        and "Traceback" not in bad.output
    far = CliRunner().invoke(app, ["results", str(out), "--monthly", "revenue", "--variant", "9"])
    assert far.exit_code == 2 and "use 0 to 3" in far.output


def test_the_code_version_is_in_every_task(reference_store: tuple[Path, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Another model (an edited source, another numpy) gives other task hashes, a folder that
    refuses it, and a worker running other code refuses its tasks."""
    sweep, out = reference_store
    plan = plan_sweep(sweep)
    mine = batch_module.make_tasks(plan)
    assert batch_module.code_version().startswith(batch_module.package_version() + "+")
    assert {t.code for t in mine} == {batch_module.code_version()}
    refused = batch_module.run_task(dataclasses.replace(mine[0], code="0.0+other"))
    assert refused.data is None and "other code" in str(refused.error)
    monkeypatch.setattr(batch_module, "code_version", lambda: "0.0+edited")
    monkeypatch.setattr(batch_run, "code_version", lambda: "0.0+edited")
    other = batch_module.make_tasks(plan)
    assert not {t.hash for t in other} & {t.hash for t in mine}
    with pytest.raises(batch_run.StoreMismatch, match=r"0\.0\+edited"):
        batch_run.run_batch(plan, out)


def test_new_words_in_both_languages() -> None:
    from sim.cli import batch as batch_cli

    for key, (en, ru) in batch_cli.words().items():
        assert en and ru and en != ru, key
        assert re.search("[а-яА-Я]", ru), key

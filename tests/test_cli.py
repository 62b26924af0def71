"""The `growthsim` command line (through typer's CliRunner), and the parameter sampling behind
`growthsim run`: distribution moments under Latin hypercube draws, Iman-Conover rank
correlations and the strata of the hypercube."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from models.compiled.sampling import draw_parameters, draw_uniforms, iman_conover
from models.load import load_scenario
from sim.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "scenarios" / "reference.yaml"
HORIZON = 4
STATS = ("mean", "sd", "p5", "p10", "p50", "p90", "p95")

TINY: dict[str, Any] = {
    "name": "cli test",
    "horizon_months": HORIZON,
    "overhead_monthly": 200,
    "channels": [
        {"name": "ads", "budget_monthly": 200, "max_leads": 200, "half_saturation_budget": 1000},
        {"name": "word_of_mouth", "organic_leads": 10},
    ],
    "sales": {"managers": 2, "handling_minutes": 10, "salary_monthly": 500},
    "journey": {
        "first_contact_conversion": {"dist": "beta", "mean": 0.2, "sd": 0.05},
        "first_contact_drop": 0.3,
        "follow_up": {"max_touches": 2, "interval_days": 3, "conversion_per_touch": 0.05},
        "invoice": {"paid_probability": 0.9, "delay_days": 3},
    },
    "tiers": [
        {"name": "start", "price": 100, "cost_of_goods": 20, "entry_share": 1.0, "regular": True,
         "monthly_churn": 0.05},
    ],
    "goal": {"metric": "active_clients", "target": 20, "deadline_month": HORIZON},
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(folder: Path, raw: dict[str, Any], name: str = "tiny.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _run(runner: CliRunner, scenario: Path, out: Path, *extra: str) -> tuple[str, dict[str, Any]]:
    result = runner.invoke(app, ["run", str(scenario), "--workers", "1", "--seed", "5",
                                 "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return result.output, summary


# -- schema and validate -----------------------------------------------------------------------


def test_schema_is_json_schema(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert {"name", "channels", "journey", "tiers"} <= set(schema["required"])
    assert "journey" in schema["properties"]
    text = json.dumps(schema)
    assert "first_contact_conversion" in text
    assert "triangular" in text  # numeric parameters may be distributions
    # it is itself a valid JSON Schema (draft 2020-12 meta-schema shape): $defs resolve
    for ref in re.findall(r'"\$ref": "#/\$defs/([^"]+)"', text):
        assert ref in schema["$defs"], f"dangling $ref {ref}"


def test_validate_reference_scenario(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(REFERENCE)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_validate_names_the_bad_field(runner: CliRunner, tmp_path: Path) -> None:
    raw = copy.deepcopy(TINY)
    raw["journey"]["first_contact_drop"] = 1.5
    result = runner.invoke(app, ["validate", str(_write(tmp_path, raw))])
    assert result.exit_code == 2
    assert "first_contact_drop" in result.output


def test_bad_override_is_bad_input(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_write(tmp_path, TINY)),
                                 "--set", "sales.managerz=3"])
    assert result.exit_code == 2
    assert "managerz" in result.output


# -- run ---------------------------------------------------------------------------------------


def test_run_writes_summary_and_monthly_table(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _, summary = _run(runner, _write(tmp_path, TINY), out, "--reps", "3")

    assert summary["provenance"]["replications"] == 3
    assert summary["provenance"]["seed"] == 5
    metrics = summary["metrics"]
    for name in ("total_leads", "total_revenue", "total_profit", "cltv", "cac",
                 "lost_follow_up_count", "revenue_last_month"):
        assert name in metrics, name
    for name, entry in metrics.items():
        missing = set(STATS) - set(entry)
        assert not missing, f"{name} lacks {missing}"
        values = [entry[k] for k in STATS]
        if entry["mean"] is not None:
            assert all(isinstance(v, int | float) for v in values), (name, entry)
            q = [entry[k] for k in ("p5", "p10", "p50", "p90", "p95")]
            assert q == sorted(q), f"{name}: quantiles out of order {q}"
            assert entry["sd"] >= 0
    assert metrics["total_leads"]["mean"] > 0

    frame = pd.read_parquet(out / "monthly.parquet")
    assert list(frame.columns) == ["metric", "month", *STATS]
    for metric, rows in frame.groupby("metric"):
        assert sorted(rows["month"].tolist()) == list(range(1, HORIZON + 1)), metric
    assert {"revenue", "leads", "active_clients", "profit"} <= set(frame["metric"])
    assert (frame["p5"] <= frame["p50"] + 1e-9).all()
    assert (frame["p50"] <= frame["p95"] + 1e-9).all()


def test_set_override_changes_the_result(runner: CliRunner, tmp_path: Path) -> None:
    scenario = _write(tmp_path, TINY)
    _, base = _run(runner, scenario, tmp_path / "base", "--reps", "3")
    _, doubled = _run(runner, scenario, tmp_path / "doubled", "--reps", "3",
                      "--set", "channels.ads.budget_monthly=400")
    # 200 -> 400 of a half-saturation budget of 1000: paid leads 33 -> 57 a month
    assert doubled["metrics"]["total_leads"]["mean"] > base["metrics"]["total_leads"]["mean"]
    assert doubled["metrics"]["marketing_last_month"]["mean"] == 400
    assert base["metrics"]["marketing_last_month"]["mean"] == 200
    assert doubled["provenance"]["scenario_hash"] != base["provenance"]["scenario_hash"]


_PRECISION = re.compile(r"--precision [\d.]+%: (reached with|NOT reached:) (\d+) "
                        r"replications \(rounds ([\d +]+)[,)]")


def _precision_report(output: str) -> tuple[bool, int, list[int]]:
    """Whether `run --precision` says it reached the precision, the replications, the rounds."""
    match = _PRECISION.search(" ".join(output.split()))
    assert match, output
    rounds = [int(x) for x in match.group(3).split("+")]
    return match.group(1) == "reached with", int(match.group(2)), rounds


def test_precision_stops_at_the_cap(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    output, summary = _run(runner, _write(tmp_path, TINY), out, "--reps", "2",
                           "--precision", "0.01", "--max-reps", "5")
    reached, n, rounds = _precision_report(output)
    assert not reached  # and says so
    assert sum(rounds) == n == summary["provenance"]["replications"]
    assert n <= 5
    assert n == 5  # 0.01% is out of reach with five replications
    assert rounds[0] == 2 and len(rounds) > 1
    assert summary["provenance"]["rounds"] == rounds


def test_precision_met_in_the_first_round(runner: CliRunner, tmp_path: Path) -> None:
    output, summary = _run(runner, _write(tmp_path, TINY), tmp_path / "out", "--reps", "3",
                           "--precision", "500", "--max-reps", "50")
    reached, n, rounds = _precision_report(output)
    assert reached and n == 3 and rounds == [3]
    assert summary["provenance"]["replications"] == 3


def test_goal_metrics_are_reported(runner: CliRunner, tmp_path: Path) -> None:
    _, summary = _run(runner, _write(tmp_path, TINY), tmp_path / "out", "--reps", "3")
    metrics = summary["metrics"]
    by_deadline = metrics["goal_by_deadline"]
    assert 0.0 <= by_deadline["mean"] <= 1.0
    ttg = metrics["time_to_goal"]
    assert set(STATS) | {"reached"} <= set(ttg)
    assert 0.0 <= ttg["reached"] <= 1.0
    # every run that met the goal by the deadline has reached it
    assert by_deadline["mean"] <= ttg["reached"] + 1e-12
    if ttg["mean"] is not None:
        assert 1 <= ttg["mean"] <= HORIZON


def test_goal_out_of_reach_is_never(runner: CliRunner, tmp_path: Path) -> None:
    raw = copy.deepcopy(TINY)
    raw["goal"]["target"] = 1e9
    _, summary = _run(runner, _write(tmp_path, raw), tmp_path / "out", "--reps", "3")
    assert summary["metrics"]["goal_by_deadline"]["mean"] == 0.0
    ttg = summary["metrics"]["time_to_goal"]
    assert ttg["reached"] == 0.0
    assert ttg["mean"] is None and ttg["p50"] is None


# -- sampling: distributions under Latin hypercube draws ----------------------------------------

Z = 4.0  # |estimate - theory| < Z * SE: a false alarm about once in 16,000 checks


def _pert_moments(low: float, mode: float, high: float) -> tuple[float, float]:
    a = 1 + 4 * (mode - low) / (high - low)
    b = 1 + 4 * (high - mode) / (high - low)
    var = (high - low) ** 2 * a * b / ((a + b) ** 2 * (a + b + 1))
    return low + (high - low) * a / (a + b), math.sqrt(var)


def _triangular_moments(low: float, mode: float, high: float) -> tuple[float, float]:
    var = (low**2 + mode**2 + high**2 - low * mode - low * high - mode * high) / 18
    return (low + mode + high) / 3, math.sqrt(var)


# path -> (distribution as written in YAML, theoretical mean, theoretical sd)
UNCERTAIN: dict[str, tuple[dict[str, Any], float, float]] = {
    "channels.ads.budget_monthly": (
        {"dist": "lognormal", "mean": 1000.0, "sd": 400.0}, 1000.0, 400.0),
    "tiers.start.price": (
        {"dist": "triangular", "low": 80.0, "mode": 100.0, "high": 160.0},
        *_triangular_moments(80, 100, 160)),
    "journey.first_contact_conversion": (
        {"dist": "beta", "mean": 0.2, "sd": 0.08}, 0.2, 0.08),
    "journey.follow_up.interval_days": (
        {"dist": "pert", "low": 1.0, "mode": 2.0, "high": 7.0}, *_pert_moments(1, 2, 7)),
    "tiers.start.cost_of_goods": (
        {"dist": "uniform", "low": 10.0, "high": 30.0}, 20.0, 20.0 / math.sqrt(12)),
}


def _uncertain_raw(sampling: str = "lhs",
                   correlations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    raw = copy.deepcopy(TINY)
    raw["journey"]["follow_up"]["interval_days"] = 0.0
    for path, (dist, _, _) in UNCERTAIN.items():
        node: Any = raw
        *parents, leaf = path.split(".")
        for part in parents:
            node = next(x for x in node if x["name"] == part) if isinstance(node, list) \
                else node[part]
        node[leaf] = dist
    raw["uncertainty"] = {"sampling": sampling, "correlations": correlations or []}
    return raw


def _draws(raw: dict[str, Any], n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rows = draw_parameters(load_scenario(raw), n, np.random.SeedSequence(seed))
    assert len(rows) == n
    return {path: np.array([row[path] for row in rows]) for path in rows[0]}


def _cdf(path: str, x: np.ndarray) -> np.ndarray:
    """The CDF of each UNCERTAIN parameter, written out from its definition (not the library's)."""
    dist = UNCERTAIN[path][0]
    kind = dist["dist"]
    if kind == "uniform":
        return (x - dist["low"]) / (dist["high"] - dist["low"])
    if kind == "triangular":
        lo, mo, hi = dist["low"], dist["mode"], dist["high"]
        return np.where(x <= mo, (x - lo) ** 2 / ((hi - lo) * (mo - lo)),
                        1 - (hi - x) ** 2 / ((hi - lo) * (hi - mo)))
    if kind == "pert":
        lo, mo, hi = dist["low"], dist["mode"], dist["high"]
        a, b = 1 + 4 * (mo - lo) / (hi - lo), 1 + 4 * (hi - mo) / (hi - lo)
        return stats.beta.cdf((x - lo) / (hi - lo), a, b)
    if kind == "beta":
        m, v = dist["mean"], dist["sd"] ** 2
        common = m * (1 - m) / v - 1
        return stats.beta.cdf(x, m * common, (1 - m) * common)
    assert kind == "lognormal"
    sigma2 = math.log(1 + (dist["sd"] / dist["mean"]) ** 2)
    mu = math.log(dist["mean"]) - sigma2 / 2
    return stats.norm.cdf((np.log(x) - mu) / math.sqrt(sigma2))


@pytest.mark.parametrize("sampling", ["lhs", "mc"])
def test_sampled_moments_match_theory(sampling: str) -> None:
    n = 4000
    draws = _draws(_uncertain_raw(sampling), n)
    assert set(draws) == set(UNCERTAIN)
    for path, (_, mean, sd) in UNCERTAIN.items():
        x = draws[path]
        se_mean = sd / math.sqrt(n)  # the plain Monte Carlo SE; LHS is tighter still
        assert abs(x.mean() - mean) < Z * se_mean, (path, x.mean(), mean)
        dev2 = (x - x.mean()) ** 2
        se_sd = dev2.std(ddof=1) / math.sqrt(n) / (2 * sd)  # delta method on the variance
        assert abs(x.std(ddof=1) - sd) < Z * se_sd, (path, x.std(ddof=1), sd)


def test_lhs_means_are_much_tighter_than_plain_monte_carlo() -> None:
    """Stratifying every margin removes most of the sampling error of a mean."""
    n, seeds = 400, 8
    runs = [_draws(_uncertain_raw("lhs"), n, seed) for seed in range(seeds)]
    for path, (_, mean, sd) in UNCERTAIN.items():
        errors = np.array([run[path].mean() - mean for run in runs])
        rms = math.sqrt(float(np.mean(errors**2)))
        # plain Monte Carlo: rms ~ sd/sqrt(n), and rms < half of that with probability ~2%
        assert rms < 0.5 * sd / math.sqrt(n), (path, rms / (sd / math.sqrt(n)))


@pytest.mark.parametrize("n", [20, 137, 1000])
def test_lhs_margins_are_stratified(n: int) -> None:
    rng = np.random.default_rng(n)
    u = draw_uniforms(n, 4, "lhs", rng)
    assert u.shape == (n, 4)
    for j in range(4):
        np.testing.assert_array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))


@pytest.mark.parametrize("n", [50, 500])
def test_parameter_draws_stay_stratified_under_correlation(n: int) -> None:
    """Iman-Conover only reorders the draws, so each parameter keeps one draw per stratum."""
    raw = _uncertain_raw("lhs", [
        {"a": "channels.ads.budget_monthly", "b": "journey.first_contact_conversion",
         "rho": 0.7},
        {"a": "tiers.start.price", "b": "tiers.start.cost_of_goods", "rho": -0.4},
    ])
    draws = _draws(raw, n, seed=1)
    for path, x in draws.items():
        strata = np.floor(_cdf(path, x) * n + 1e-9)
        np.testing.assert_array_equal(np.sort(strata), np.arange(n), err_msg=path)


def _fisher_tolerance(n: int) -> float:
    """Z standard errors of atanh(Spearman's rho) (Fieller, Hartley & Pearson 1957)."""
    return Z * math.sqrt(1.06 / (n - 3))


@pytest.mark.parametrize(("n", "rho"), [(200, 0.7), (2000, 0.7), (1000, -0.5)])
def test_iman_conover_reaches_the_rank_correlation(n: int, rho: float) -> None:
    a, b = "channels.ads.budget_monthly", "journey.first_contact_conversion"
    draws = _draws(_uncertain_raw("lhs", [{"a": a, "b": b, "rho": rho}]), n, seed=2)
    got = stats.spearmanr(draws[a], draws[b]).statistic
    assert abs(math.atanh(got) - math.atanh(rho)) < _fisher_tolerance(n), (got, rho)
    # the parameters left uncorrelated stay (nearly) independent of those two
    for other in set(UNCERTAIN) - {a, b}:
        r = stats.spearmanr(draws[a], draws[other]).statistic
        assert abs(math.atanh(r)) < _fisher_tolerance(n), (other, r)


def test_iman_conover_matrix() -> None:
    """A full 3x3 target on uniforms: every pair within tolerance, margins untouched."""
    n = 1500
    rng = np.random.default_rng(9)
    target = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    u = draw_uniforms(n, 3, "lhs", rng)
    v = iman_conover(u, target, rng)
    for j in range(3):
        np.testing.assert_array_equal(np.sort(u[:, j]), np.sort(v[:, j]))
    got = stats.spearmanr(v).statistic
    for i in range(3):
        for j in range(i + 1, 3):
            assert abs(math.atanh(got[i, j]) - math.atanh(target[i, j])) < _fisher_tolerance(n), (
                i, j, got[i, j])


def test_the_bench_memory_probes_run_against_the_current_api() -> None:
    """Catches a benchmark probe (Python run in a fresh process, so neither mypy nor an import
    sees it) that calls the API the old way: `growthsim bench` stops with a traceback."""
    from sim.cli.benchmarks import fast_peak_memory, peak_memory

    for figures in (peak_memory(str(REFERENCE), 1),
                    fast_peak_memory(str(REFERENCE), 2, workers=1)):
        assert figures["parent_mib"] > 0, figures

"""The CDNOW tracking plot: cumulative weekly repeat transactions, actual against the BG/NBD and
against the calibrated agent simulation's holdout forecast; writes docs/calibration_tracking.png
and prints the figures docs/how-to/calibrate.md quotes.

    .venv/bin/pip install -e '.[docs]' && .venv/bin/python scripts/calibration_tracking.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from models.calibration.calibrate import calibrate_transactions, forecast_scenario
from models.calibration.cdnow import CALIBRATION_END, OBSERVATION_END, read_cdnow
from models.compiled.form import compile_scenario
from models.spec.scenario import Scenario
from sim.engines.agent import simulate
from sim.engines.recorder import PurchaseLog

REPLICATIONS = 200
HOLDOUT_WEEKS = 39


def main(out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cal = calibrate_transactions(read_cdnow(), "week", CALIBRATION_END, OBSERVATION_END)
    report = cal.report()
    track = report["diagnostics"]["holdout"]["tracking"]
    weeks = np.asarray(track["period"])
    actual = np.asarray(track["actual_cumulative"])
    model = np.asarray(track["model_cumulative"])
    compiled = compile_scenario(Scenario.model_validate(
        forecast_scenario(cal.scenario_fragment(), 10)))
    curves = np.empty((REPLICATIONS, HOLDOUT_WEEKS))
    for seed in range(REPLICATIONS):
        log = PurchaseLog()
        simulate(compiled, seed, log)
        days = np.asarray(log.days)
        per_week = np.bincount((days[days < 7 * HOLDOUT_WEEKS] // 7).astype(int),
                               minlength=HOLDOUT_WEEKS)
        curves[seed] = actual[38] + np.cumsum(per_week)
    sim_mean = curves.mean(axis=0)
    low, high = np.percentile(curves, [5, 95], axis=0)
    hold = report["diagnostics"]["holdout"]
    total = curves[:, -1] - actual[38]
    print(f"BG/NBD expected holdout repeat transactions: {hold['expected_total']:.1f}")
    print(f"agent simulation, {REPLICATIONS} runs: {total.mean():.1f} "
          f"(SE {total.std(ddof=1) / np.sqrt(REPLICATIONS):.1f})")
    print(f"actual: {hold['actual_total']:.0f}; forecast error {hold['error_share']:+.1%}")
    print(f"week 78 cumulative: actual {actual[-1]:.0f}, BG/NBD {model[-1]:.1f}, "
          f"simulation {sim_mean[-1]:.1f}")

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ax.plot(weeks, actual, color="black", label="actual")
    ax.plot(weeks, model, color="tab:blue", linestyle="--", label="BG/NBD, E[X(t)] per customer")
    sim_weeks = weeks[39:]
    ax.plot(sim_weeks, sim_mean, color="tab:red", label=f"agent simulation, mean of "
            f"{REPLICATIONS} runs")
    ax.fill_between(sim_weeks, low, high, color="tab:red", alpha=0.2, label="simulation 5-95%")
    ax.axvline(39, color="grey", linestyle=":")
    ax.text(39.5, actual.max() * 0.05, "end of calibration (week 39)", color="grey")
    ax.set_xlabel("week since 1 January 1997")
    ax.set_ylabel("cumulative repeat transactions")
    ax.set_title("CDNOW sample (2,357 customers): tracking cumulative repeat transactions")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"written: {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/calibration_tracking.png"))

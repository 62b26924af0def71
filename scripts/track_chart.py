"""The plan-vs-actual chart of docs/how-to/track.md: b2b_services' plan fan, the example actuals
(`scenarios/data/b2b_services_actuals.csv`, made by `scripts/make_b2b_actuals.py`) and the
re-forecast, for active clients and revenue; writes docs/track.png and prints the figures the
page quotes. Fast engine, 200 replications, seed 1.

    .venv/bin/pip install -e '.[docs]' && .venv/bin/python scripts/track_chart.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import sim
from models.words import t
from sim.report import track as report

ROOT = Path(__file__).resolve().parents[1]
REPLICATIONS = 200


def main(out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = sim.load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    actuals = sim.read_actuals(ROOT / "scenarios" / "data" / "b2b_services_actuals.csv", spec)
    result = sim.track(spec, actuals, replications=REPLICATIONS, seed=1, engine="fast")
    fans = result.fans(["active_clients", "revenue"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, metric, scale, unit in ((axes[0], "active_clients", 1.0, "clients"),
                                    (axes[1], "revenue", 1e6, "M RUB")):
        for forecast, color in (("plan", "#1f77b4"), ("reforecast", "#2ca02c")):
            q = fans[(fans.metric == metric) & (fans.forecast == forecast)]
            q = q[q.month <= 24]
            label = t("track.plan" if forecast == "plan" else "track.reforecast", "en")
            ax.fill_between(q.month, q.p10 / scale, q.p90 / scale, color=color, alpha=0.2,
                            label=f"{label} P10-P90")
            ax.plot(q.month, q.p50 / scale, color=color, label=f"{label} P50")
        pos = result.positions[result.positions.metric == metric]
        inside, out_ = pos[pos.flag == ""], pos[pos.flag != ""]
        ax.scatter(inside.month, inside.actual / scale, color="black", zorder=3,
                   label=t("track.actual_dots", "en"))
        ax.scatter(out_.month, out_.actual / scale, color="#d62728", zorder=3,
                   label=t("track.actual_flagged", "en"))
        if metric == "revenue" and spec.goal is not None:
            ax.axhline(spec.goal.target / scale, color="grey", ls="--", lw=1)
            ax.annotate("goal", (spec.goal.deadline_month, spec.goal.target / scale),
                        textcoords="offset points", xytext=(-30, 5), color="grey")
        ax.set_title(report.figure_name(metric, spec, "en"))
        ax.set_xlabel("month")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("B2B services: plan, nine months of actuals, and the re-forecast")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    for line in report.summary_lines(result, "en"):
        print(line)
    print(report.rates_table(result, "en").to_string(index=False))
    print(f"{result.seconds:.1f} s; written: {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "track.png")

"""Regenerate `scenarios/data/b2b_services_actuals.csv`: nine months of actuals for the B2B plan.

The actuals are made by the engine from a business that differs from `scenarios/b2b_services.yaml`
in a known way, so that `growthsim track` has something to find:

- every tier's monthly churn is 1.5 times the plan's (clients leave faster than planned);
- Yandex Direct brings a quarter fewer leads than planned (`max_leads` about 120 instead of
  about 160: the triangular 90-120-150 instead of 120-160-200).

Everything else is the plan, with its uncertain parameters at their means; one run of the fast
engine, seed 2026. Run: `.venv/bin/python scripts/make_b2b_actuals.py`.
"""

from __future__ import annotations

from pathlib import Path

from models.load import load_scenario
from sim.experiments.track import simulated_actuals

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "scenarios" / "b2b_services.yaml"
OUT = ROOT / "scenarios" / "data" / "b2b_services_actuals.csv"
MONTHS, SEED = 9, 2026
DEVIATION = [
    "tiers.audit.monthly_churn=0.225", "tiers.audit.monthly_churn_no_result=0.45",
    "tiers.monthly_service.monthly_churn=0.045",
    "tiers.monthly_service.monthly_churn_no_result=0.105",
    "tiers.premium.monthly_churn=0.03", "tiers.premium.monthly_churn_no_result=0.075",
    "channels.yandex_direct.max_leads={dist: triangular, low: 90, mode: 120, high: 150}",
]
COLUMNS = ["leads_yandex_direct", "leads_exhibitions_outbound", "leads_partners",
           "leads_referral", "new_clients", "revenue", "churned", "active_clients", "marketing",
           "lost_unprocessed", "lost_unpaid"]


def main() -> None:
    truth = load_scenario(PLAN, DEVIATION)
    frame = simulated_actuals(truth, MONTHS, SEED, "fast", COLUMNS)
    frame = frame.astype({c: int for c in frame.columns})
    frame.to_csv(OUT, index=False)
    print(f"written: {OUT.relative_to(ROOT)} ({MONTHS} months)")


if __name__ == "__main__":
    main()

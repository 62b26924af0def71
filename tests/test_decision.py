"""The decision summary: which option it recommends, whether it calls the evidence settled, and
that it says so in both languages. Comparisons are built from known paired results, so the right
answer is known by construction."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from models.load import load_scenario
from models.spec.scenario import Bet
from sim.experiments.compare import BASELINE, Alternative, Comparison
from sim.report.decision import decide, summary_lines

ROOT = Path(__file__).resolve().parents[1]
SPEC = load_scenario(ROOT / "scenarios" / "reference.yaml")
H = SPEC.horizon_months
N = 40


def _comparison(npv: dict[str, np.ndarray], goal_month: dict[str, np.ndarray] | None = None
                ) -> Comparison:
    """A comparison whose NPVs per replication are given (the baseline's included); each bet
    spends 1,000 a month more than the baseline and earns its extra NPV evenly."""
    alts = [Alternative(BASELINE, ())] + [
        Alternative(name, (Bet(name=name, changes=[]),)) for name in npv if name != BASELINE]
    monthly, scalars = {}, {}
    for a in alts:
        extra = 0.0 if a.name == BASELINE else 1000.0
        gain = npv[a.name] - npv[BASELINE]
        months = goal_month[a.name] if goal_month else np.full(N, np.nan)
        scalars[a.name] = {
            "npv_profit": npv[a.name],
            "total_revenue": npv[a.name] * 3,
            "customer_equity": 1e6 + 2.0 * gain,
            "time_to_goal": months,
            "goal_by_deadline": (np.nan_to_num(months, nan=H + 1) <= 12).astype(float),
        }
        monthly[a.name] = {"decided_spend": np.full((N, H), extra),
                           "profit": np.tile(gain[:, None] / H, (1, H))}
    costs = {a.name: 0.0 if a.name == BASELINE else 1000.0 * H for a in alts}
    return Comparison(SPEC, 1, alts, monthly, scalars, costs)


def test_a_clear_winner_is_recommended_and_settled() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(1e6, 3e5, N)  # big noise shared by all: common random numbers
    cmp = _comparison({BASELINE: base, "good": base + 50_000 + rng.normal(0, 1_000, N),
                       "poor": base - 20_000 + rng.normal(0, 1_000, N)})
    d = decide(cmp)
    assert d.recommended == "good" and d.settled and d.could_be_best == ["good"]
    assert d.suggested_replications is None
    assert 45_000 < d.reasons["npv_lo"] < d.reasons["npv"] < d.reasons["npv_hi"] < 55_000
    assert d.reasons["equity"] > 0  # capitalisation reported for the pick
    text = " ".join(summary_lines(d, "RUB", "en"))
    assert "Recommended: good" in text and "settles it" in text


def test_two_options_too_close_to_tell_are_not_settled() -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(1e6, 3e5, N)
    a = base + 50_000 + rng.normal(0, 20_000, N)
    b = base + 49_000 + rng.normal(0, 20_000, N)
    d = decide(_comparison({BASELINE: base, "a": a, "b": b}))
    assert not d.settled
    assert set(d.could_be_best) == {"a", "b"}
    assert d.suggested_replications is not None and d.suggested_replications > N
    text = " ".join(summary_lines(d, "RUB", "en"))
    assert "Not settled" in text and str(d.suggested_replications) in text


def test_when_every_bet_loses_it_says_keep_as_is() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(1e6, 3e5, N)
    d = decide(_comparison({BASELINE: base, "costly": base - 80_000 + rng.normal(0, 500, N)}))
    assert d.recommended == BASELINE and d.settled
    assert summary_lines(d, "RUB", "en")[0].startswith("Recommended: keep the business")


def test_speed_to_goal_is_reported_against_doing_nothing() -> None:
    rng = np.random.default_rng(6)
    base = rng.normal(1e6, 3e5, N)
    months = {BASELINE: np.full(N, np.nan), "fast": np.full(N, 9.0)}
    d = decide(_comparison({BASELINE: base, "fast": base + 30_000 + rng.normal(0, 100, N)},
                           months))
    assert d.reasons["p_goal"] == 1.0 and d.reasons["baseline_p_goal"] == 0.0
    assert d.reasons["months_to_goal_p50"] == 9.0
    assert "typical month reached: 9" in " ".join(summary_lines(d, "USD", "en"))


def test_the_summary_is_in_russian_in_russian_mode() -> None:
    rng = np.random.default_rng(7)
    base = rng.normal(1e6, 3e5, N)
    d = decide(_comparison({BASELINE: base, "good": base + 50_000 + rng.normal(0, 1_000, N)}))
    lines = summary_lines(d, "RUB", "ru", titles={"good": "больше рекламы"})
    for line in lines:
        words = re.findall(r"[A-Za-z]{2,}", line)
        assert set(words) <= {"NPV", "ROI"}, f"English words in Russian mode: {line}"
    assert "больше рекламы" in lines[0] and "₽" in lines[1]

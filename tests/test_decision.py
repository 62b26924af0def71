"""The decision summary: which option it recommends, whether it calls the evidence settled, and
that it says so in both languages. Comparisons are built from known paired results, so the right
answer is known by construction."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from models.load import load_scenario
from models.spec.scenario import Bet
from models.words.formats import money
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
    assert "Recommended: good" in text and "Settled on average" in text


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


def test_the_summary_gives_the_precision_of_the_average_and_the_spread_of_outcomes() -> None:
    """'on average X, known to ±Y; in 8 futures of 10 between A and B', and the option's cost:
    the interval of the average is not mistaken for the range of outcomes."""
    rng = np.random.default_rng(8)
    base = rng.normal(1e6, 3e5, N)
    d = decide(_comparison({BASELINE: base, "wide": base + 50_000 + rng.normal(0, 40_000, N)}))
    r = d.reasons
    # outcomes spread much wider than the average is known
    assert r["npv_p90"] - r["npv_p10"] > 3 * (r["npv_hi"] - r["npv_lo"])
    assert r["npv_p10"] < r["npv_lo"] < r["npv_hi"] < r["npv_p90"]
    text = " ".join(summary_lines(d, "RUB", "en"))
    assert "on average" in text and "known to ±" in text and "in 8 futures of 10 between" in text
    # 1,000 a month over the horizon, written as money (an ISO code, then a no-break space)
    assert f"It costs {money(1000 * H, 'RUB', 'en')}" in text
    ru = " ".join(summary_lines(d, "RUB", "ru"))
    assert "в 8 вариантах будущего из 10" in ru and "Он стоит" in ru


def test_an_option_best_in_more_futures_is_named_with_how_both_are_true() -> None:
    """The rule (highest average NPV) is stated; an option that is best more often and reaches
    the goal in every future is named beside it, with why the rule still picks the other."""
    rng = np.random.default_rng(9)
    base = rng.normal(1e6, 3e5, N)
    wins = rng.random(N) < 0.4
    bold = base + np.where(wins, 400_000.0, -50_000.0)  # wins big in 40% of futures
    steady = base + 20_000.0 + rng.normal(0, 100, N)  # a little better in the rest
    months = {BASELINE: np.full(N, np.nan), "bold": np.where(wins, 6.0, np.nan),
              "steady": np.full(N, 8.0)}
    d = decide(_comparison({BASELINE: base, "bold": bold, "steady": steady}, months))
    assert d.recommended == "bold"
    assert d.reasons["p_best_npv"] < 0.5
    assert d.more_often_best is not None and d.more_often_best[0] == "steady"
    assert d.more_often_goal is not None and d.more_often_goal[1] == 1.0
    lines = summary_lines(d, "RUB", "en", {"bold": "Bold", "steady": "Steady"})
    text = " ".join(lines)
    assert "highest extra NPV of profit on average" in lines[0]
    assert "Steady is the best in more futures" in text and "The rule follows the average" in text
    assert "Steady reaches the goal by the deadline more often (100%" in text


def test_settled_beside_a_share_of_futures_below_all_says_how_both_are_true() -> None:
    """'best in 67% of futures' and 'settled at 95% confidence' are both true: the summary says
    the second is about the average."""
    rng = np.random.default_rng(10)
    base = rng.normal(1e6, 3e5, N)
    other = base + 40_000 + rng.normal(0, 1_000, N)
    ahead = other + 5_000 + rng.normal(0, 10_000, N)  # ahead on average, not in every future
    d = decide(_comparison({BASELINE: base, "ahead": ahead, "other": other}))
    assert d.recommended == "ahead" and d.settled and d.reasons["p_best_npv"] < 0.95
    text = " ".join(summary_lines(d, "RUB", "en"))
    assert "Settled on average" in text and "That is about the average" in text


def test_the_cli_decision_box_names_portfolios_by_their_titles() -> None:
    """The box names options as the table does (titles), never by identifiers."""
    from io import StringIO

    from rich.console import Console

    from sim.report.terminal import decision_panel

    rng = np.random.default_rng(11)
    base = rng.normal(1e6, 3e5, N)
    pair = "more_search_ads + follow_up_script"
    cmp = _comparison({BASELINE: base, pair: base + 60_000 + rng.normal(0, 20_000, N),
                       "two_more_managers": base + 59_000 + rng.normal(0, 20_000, N)})
    out = StringIO()
    Console(file=out, width=200).print(decision_panel(cmp, "en"))
    text = out.getvalue()
    assert "More search ads + A follow-up script" in text and "Two more sales managers" in text
    assert "more_search_ads" not in text and "two_more_managers" not in text

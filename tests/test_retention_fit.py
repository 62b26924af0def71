"""The sBG and BG/BB fits against the published numbers: Fader & Hardie (2007) Table 1 for sBG,
Fader, Hardie & Shang (2010) for BG/BB (data and citations in tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.calibration import bgbb, sbg
from models.calibration.mle import Z95

DATA = Path(__file__).parent / "data"
FH = pd.read_csv(DATA / "fader_hardie_2007_retention.csv")
DONATIONS = pd.read_csv(DATA / "donations.csv")
# Fader & Hardie (2007), fitted on years 1-7 (Table 1 data; estimates in the paper's text).
PUBLISHED_SBG = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_sbg_fitted_on_seven_years_gives_the_papers_estimates(segment: str) -> None:
    result = sbg.fit(FH[segment].to_numpy(), fit_periods=7)
    alpha, beta = PUBLISHED_SBG[segment]
    assert result.fit.converged
    assert round(result.alpha, 3) == alpha and round(result.beta, 3) == beta
    # The 95% interval is around the estimate and excludes the geometric model's corner.
    assert np.all(result.low < result.fit.estimate) and np.all(result.fit.estimate < result.high)


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_sbg_projection_of_years_8_to_12(segment: str) -> None:
    """The paper's projections for years 8-12 were not available as numbers to type in, so the
    check is against the closed form S(t) = B(alpha, beta + t) / B(alpha, beta) at the
    published (rounded) estimates: the projection agrees to a tenth of a customer in 1,000."""
    from scipy.special import beta as B

    alpha, beta = PUBLISHED_SBG[segment]
    t = np.arange(8, 13)
    published = 1000 * B(alpha, beta + t) / B(alpha, beta)
    result = sbg.fit(FH[segment].to_numpy(), fit_periods=7)
    np.testing.assert_allclose(result.projection()[8:], published, atol=0.05)
    # The holdout years are not in the fit: the projection is a forecast, and the paper's
    # point is that it stays close (within 2% of a cohort here; geometric misses by far more).
    assert np.all(np.abs(result.projection()[8:] - FH[segment][8:]) < 20)


def test_sbg_projection_matches_an_independent_implementation() -> None:
    """The README of jdmaturen/shifted_beta_geometric_py (an independent Python sBG) prints its
    projection of the high-end cohort's years 8-12 from years 1-7, as shares to three digits."""
    result = sbg.fit(FH["high_end"].to_numpy(), fit_periods=7)
    shares = result.projection()[8:] / 1000
    assert [round(float(v), 3) for v in shares] == [0.460, 0.436, 0.414, 0.395, 0.378]


def test_sbg_closed_forms() -> None:
    # alpha = beta = 1: theta uniform, S(t) = 1 / (1 + t), P(T = t) = 1 / (t (t + 1)).
    t = np.arange(0, 6)
    np.testing.assert_allclose(sbg.survival(1.0, 1.0, t), 1 / (1 + t))
    np.testing.assert_allclose(sbg.churn_probability(1.0, 1.0, t[1:]), 1 / (t[1:] * (t[1:] + 1)))
    s = sbg.survival(0.7, 1.2, np.arange(13))
    np.testing.assert_allclose(s[1:] / s[:-1], sbg.retention_rate(0.7, 1.2, np.arange(1, 13)))
    assert sbg.expected_lifetime(2.0, 3.0) == pytest.approx(4.0)
    assert sbg.expected_lifetime(0.7, 1.2) == float("inf")


@pytest.mark.parametrize("bad", [(0.0, 1.0), (1.0, -2.0), (float("nan"), 1.0)])
def test_sbg_refuses_parameters_not_above_zero(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="must be above 0") as err:
        sbg.survival(*bad, 3)
    assert "больше 0" in err.value.args[0].ru


def test_sbg_fit_recovers_simulated_parameters_within_its_interval() -> None:
    rng = np.random.default_rng(20240607)
    alpha, beta, n = 0.9, 2.5, 20_000
    lifetimes = rng.geometric(rng.beta(alpha, beta, n))
    survivors = np.array([(lifetimes > t).sum() for t in range(11)])
    result = sbg.fit(survivors)
    log_se = (np.log(result.high) - np.log(result.low)) / (2 * Z95)
    z = np.abs(np.log(result.fit.estimate) - np.log([alpha, beta])) / log_se
    assert np.all(z < 3), z


def _donations_fit() -> bgbb.BGBBFit:
    d = DONATIONS
    return bgbb.fit(d["frequency"], d["recency"], d["n"], d["count"])


@pytest.fixture(scope="module")
def donations_fit() -> bgbb.BGBBFit:
    return _donations_fit()


def test_bgbb_donations_gives_the_papers_estimates(donations_fit: bgbb.BGBBFit) -> None:
    fit = donations_fit.fit
    assert fit.converged and fit.n == 11_104
    assert [round(v, 3) for v in fit.estimate] == [1.204, 0.750, 0.657, 2.783]
    assert round(fit.log_likelihood, 1) == -33225.6
    assert np.all(donations_fit.low < fit.estimate) and np.all(fit.estimate < donations_fit.high)


def test_bgbb_p_alive_matches_the_papers_table_6(donations_fit: bgbb.BGBBFit) -> None:
    """P(alive in 2002) of Table 6: 0.11 with no repeat gift, 0.59 for two gifts the last in
    1999, 0.93 for a gift every year."""
    x, t_x = np.array([0, 2, 6]), np.array([0, 4, 6])
    alive = bgbb.conditional_probability_alive(donations_fit.params, x, t_x, 6)
    assert [round(v, 2) for v in alive] == [0.11, 0.59, 0.93]


def test_bgbb_expectations_match_hardies_spreadsheet(donations_fit: bgbb.BGBBFit) -> None:
    """Totals of the spreadsheet accompanying the paper (brucehardie.com/notes/010): 12,884.2
    expected gifts in 2002-2006 by the 11,104 donors, given their histories; 3,454.9 donors
    expected to give in none of 1996-2001 and 1,253.1 in all six."""
    d, p = DONATIONS, donations_fit.params
    ahead = bgbb.conditional_expected_number_of_transactions(
        p, 5, d["frequency"], d["recency"], d["n"])
    assert round(float((ahead * d["count"]).sum()), 1) == 12884.2
    shares = bgbb.probability_of_n_transactions(p, np.arange(7), 6)
    assert round(11_104 * shares[0], 1) == 3454.9 and round(11_104 * shares[6], 1) == 1253.1
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)
    # The mean of that distribution is the closed-form E[X(6)] (eq. 7), another formula.
    assert float((np.arange(7) * shares).sum()) == pytest.approx(
        float(bgbb.expected_number_of_transactions(p, 6)), rel=1e-10)


def test_bgbb_refuses_parameters_not_above_zero() -> None:
    with pytest.raises(ValueError, match="gamma"):
        bgbb.BGBBParams(1.0, 1.0, 0.0, 1.0)


def test_bdw_with_c_one_is_the_sbg() -> None:
    t = np.arange(13)
    np.testing.assert_allclose(sbg.bdw_survival(0.7, 1.2, 1.0, t), sbg.survival(0.7, 1.2, t),
                               rtol=1e-12)
    survivors = FH["regular"].to_numpy()[:8]
    assert sbg.bdw_log_likelihood(0.7, 1.2, 1.0, survivors) == pytest.approx(
        sbg.log_likelihood(0.7, 1.2, survivors), rel=1e-12)


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_bdw_nests_the_sbg(segment: str) -> None:
    """One more parameter never fits worse: the BdW's maximum is at least the sBG's."""
    survivors = FH[segment].to_numpy()
    plain, bdw = sbg.fit(survivors, 7), sbg.fit(survivors, 7, model="bdw")
    assert bdw.fit.converged and bdw.model == "bdw" and bdw.fit.names == ("alpha", "beta", "c")
    assert bdw.fit.log_likelihood >= plain.fit.log_likelihood - 1e-6
    report = bdw.report()
    assert set(report) >= {"alpha", "beta", "c", "projection"} and report["model"] == "bdw"


def test_bdw_fit_recovers_simulated_duration_dependence() -> None:
    """Clients who grow more loyal with tenure (c = 0.6): P(T > t | theta) = (1 - theta)^(t^c),
    so T is the first whole t above (ln U / ln(1 - theta))^(1 / c)."""
    rng = np.random.default_rng(7)
    alpha, beta, c, n = 1.5, 4.0, 0.6, 30_000
    theta = rng.beta(alpha, beta, n)
    lifetimes = np.floor((np.log(rng.random(n)) / np.log1p(-theta)) ** (1 / c)) + 1
    survivors = np.array([(lifetimes > t).sum() for t in range(13)])
    result = sbg.fit(survivors, model="bdw")
    log_se = (np.log(result.high) - np.log(result.low)) / (2 * Z95)
    z = np.abs(np.log(result.fit.estimate) - np.log([alpha, beta, c])) / log_se
    assert np.all(z < 3), (result.fit.estimate, z)


def test_bdw_refuses_c_not_above_zero() -> None:
    with pytest.raises(ValueError, match="c of the beta-discrete-Weibull churn must be above 0"):
        sbg.bdw_survival(1.0, 1.0, 0.0, 3)


def test_two_copies_of_a_cohort_give_the_same_estimates_and_narrower_intervals() -> None:
    """Cohorts add their log-likelihoods: two identical cohorts double it, so the estimates stay
    and the standard errors shrink by the square root of 2."""
    survivors = FH["regular"].to_numpy()[:8]
    one, two = sbg.fit(survivors), sbg.fit_cohorts([survivors, survivors])
    np.testing.assert_allclose(two.fit.estimate, one.fit.estimate, rtol=1e-4)
    assert two.fit.log_likelihood == pytest.approx(2 * one.fit.log_likelihood, rel=1e-9)
    width = np.log(one.high / one.low)
    np.testing.assert_allclose(np.log(two.high / two.low), width / np.sqrt(2), rtol=1e-2)


def test_a_triangle_of_cohorts_recovers_simulated_parameters() -> None:
    """Four monthly cohorts observed for 12, 9, 6 and 3 months, as a business sees them."""
    rng = np.random.default_rng(11)
    alpha, beta = 0.8, 3.0
    cohorts = []
    for months in (12, 9, 6, 3):
        lifetimes = rng.geometric(rng.beta(alpha, beta, 3000))
        cohorts.append([(lifetimes > t).sum() for t in range(months + 1)])
    result = sbg.fit_cohorts(cohorts, labels=["2024-01", "2024-04", "2024-07", "2024-10"])
    log_se = (np.log(result.high) - np.log(result.low)) / (2 * Z95)
    z = np.abs(np.log(result.fit.estimate) - np.log([alpha, beta])) / log_se
    assert np.all(z < 3), z
    rows = result.report()["projection"]
    assert len(rows) == 13 + 10 + 7 + 4 and rows[-1]["cohort"] == "2024-10"
    assert result.fit.n == 12_000

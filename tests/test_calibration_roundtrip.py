"""Round trips: data drawn from known parameters, fitted, compared within 4 standard errors; and
the posterior draws the engine uses reproduce the conditional expectation."""

from __future__ import annotations

import numpy as np
import pytest

from models.calibration import bgnbd, gamma_gamma

TRUE_BG = bgnbd.BGNBDParams(r=0.5, alpha=6.0, a=0.8, b=3.0)
TRUE_GG = gamma_gamma.GammaGammaParams(p=5.0, q=4.0, gamma=20.0)


@pytest.mark.parametrize("seed", [1, 2])
def test_bgnbd_recovers_known_parameters(seed: int) -> None:
    rng = np.random.default_rng(seed)
    T = rng.uniform(26.0, 52.0, 8000)
    x, t_x = bgnbd.sample_histories(TRUE_BG, T, rng)
    model = bgnbd.BGNBDModel().fit(x, t_x, T)
    assert model.fit_.converged
    for name, true in vars(TRUE_BG).items():
        est, se = vars(model.params_)[name], model.standard_errors_[name]
        assert abs(est - true) < 4 * se, (name, est, true, se)


def test_gamma_gamma_recovers_known_parameters() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 8, 4000).astype(float)
    m = gamma_gamma.sample_mean_spend(TRUE_GG, x, rng)
    model = gamma_gamma.GammaGammaModel().fit(x, m)
    for name, true in vars(TRUE_GG).items():
        est, se = vars(model.params_)[name], model.standard_errors_[name]
        assert abs(est - true) < 4 * se, (name, est, true, se)


def test_probabilities_of_n_purchases_sum_to_one_and_match_the_mean() -> None:
    n = np.arange(400)
    probs = bgnbd.probability_of_n_purchases_up_to_time(TRUE_BG, np.full(400, 30.0), n)
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    mean = float((n * probs).sum())
    assert mean == pytest.approx(float(bgnbd.expected_number_of_purchases_up_to_time(
        TRUE_BG, 30.0)), rel=1e-8)


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 30.0), (1, 5.0, 30.0), (4, 28.0, 35.0),
                                             (6, 10.0, 40.0)])
def test_posterior_draws_give_the_conditional_expectation(x: int, t_x: float, T: float) -> None:
    """Draw (alive, lambda, p) from `bgnbd.posterior`, simulate the next t periods (Poisson
    purchases, dropout after each with p), and compare the mean with eq. 10 within 4 SE."""
    rng = np.random.default_rng(10 + x)
    n, t = 200_000, 39.0
    post = bgnbd.posterior(TRUE_BG, x, t_x, T)
    alive = rng.random(n) < post.alive
    lam = rng.gamma(post.rate_shape, 1.0 / post.rate_rate, n)
    p = rng.beta(post.drop_a, post.drop_b, n)
    count = rng.poisson(lam * t)
    bought = np.where(alive, np.minimum(count, rng.geometric(p)), 0)
    theory = float(bgnbd.conditional_expected_number_of_purchases_up_to_time(TRUE_BG, t, x, t_x, T))
    se = bought.std() / np.sqrt(n)
    assert abs(bought.mean() - theory) < 4 * se, (bought.mean(), theory, se)


def test_bench_fitting_figure_recovers_its_parameters() -> None:
    from sim.cli.benchmarks import fitting_speed

    figures = fitting_speed(25_000, seed=2)
    assert figures["fit_seconds_per_likelihood"] < 0.1  # vectorised: milliseconds
    for name in ("r", "alpha", "a", "b"):
        error = abs(figures[f"fit_{name}"] - figures[f"fit_{name}_true"])
        assert error < 4 * figures[f"fit_{name}_se"], name

"""How sure the fits are: the 95% parameter intervals cover the truth (coverage), the per-customer 80%
intervals cover the true expectation, and the delta method agrees with sampling the parameters.

Coverage: 100 data sets of 2,000 customers simulated with the project's simulator (salesdw.clv.btyd.
simulate_bgnbd) from known BG/NBD parameters, each refitted by the production fit; times on a daily grid as
the warehouse has them. Seeded, so the measured rates are the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from salesdw.clv import btyd, fitting, scoring

TRUE = btyd.BgNbdParams(r=0.5, alpha=6.0, a=0.8, b=2.5)
REPLICATES = 100
CUSTOMERS = 2_000
CDNOW = Path(__file__).parent / "fixtures" / "cdnow" / "CDNOW_sample.txt"
# Only the 90-day expectation needs to be finite for these fits to count as converged.
HORIZONS = scoring.Horizons(expected_days=(90,), no_purchase_days=(), interval_days=None, horizon_months=0)
# Reference customers whose 90-day expectation the per-customer intervals are checked on.
REFERENCE = (
    np.array([0.0, 1.0, 3.0, 8.0]),
    np.array([0.0, 10.0, 30.0, 45.0]),
    np.array([20.0, 40.0, 50.0, 50.0]),
)


@pytest.fixture(scope="module")
def replicates() -> list[tuple[btyd.BgNbdFit, np.ndarray]]:
    """(fit, its 90-day expectations and 80% bounds for the reference customers) per replicate."""
    rng = np.random.default_rng(20260512)
    out = []
    for _ in range(REPLICATES):
        t_days = rng.integers(7, 365, CUSTOMERS)
        x, t_x = btyd.simulate_bgnbd(TRUE, t_days / 7, rng)
        t_x = np.where(x > 0, np.clip(np.ceil(t_x * 7), 1, t_days), 0) / 7  # whole days, as the warehouse
        fit = btyd.fit_bgnbd(x, t_x, t_days / 7, horizons=HORIZONS)
        assert fit.converged, fit.message
        hist = scoring.Histories(*REFERENCE)
        scores = scoring.score(
            fit.params, hist, scoring.Horizons(expected_days=(90,), no_purchase_days=()), fit.uncertainty
        )
        lower, upper = fitting.log_interval(
            scores["expected_purchases_90d"], scores["expected_purchases_90d_log_se"]
        )
        out.append((fit, np.stack([scores["expected_purchases_90d"], lower, upper])))
    return out


def test_95_percent_parameter_intervals_cover_the_truth(replicates: list) -> None:
    covered = {name: 0 for name in TRUE.names}
    for fit, _ in replicates:
        for name, (lower, upper) in fit.uncertainty.intervals().items():
            covered[name] += lower <= getattr(TRUE, name) <= upper
    rates = {name: count / len(replicates) for name, count in covered.items()}
    # Measured (seeded): r 0.96, alpha 0.96, a 0.92, b 0.94; the issue asks for at least 0.85.
    assert all(rate >= 0.85 for rate in rates.values()), rates
    assert min(rates.values()) >= 0.90, rates


def test_80_percent_intervals_of_expected_purchases_cover_the_true_expectation(replicates: list) -> None:
    truth = btyd.bgnbd_conditional_expected_purchases(TRUE, 90 / 7, *REFERENCE)
    inside = np.mean([(bounds[1] <= truth) & (truth <= bounds[2]) for _, bounds in replicates], axis=0)
    # Nominal 0.80 for each reference customer; 100 replicates give a standard error of 0.04. Measured: 0.84,
    # 0.82, 0.79, 0.79.
    assert np.all(inside >= 0.68) and np.all(inside <= 0.92), inside


def test_delta_method_agrees_with_sampling_the_parameters() -> None:
    """The standard error of log expected purchases from the delta method equals the spread of the
    prediction over 4,000 parameter draws from the fit's asymptotic normal (within sampling error)."""
    cdnow = btyd.calibration_summary(btyd.read_cdnow_transactions(CDNOW), "1997-09-30", "1998-06-30")
    fit = btyd.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    x, t_x, T = (np.array(v, dtype=float) for v in ([0, 2, 7, 20], [0.0, 30.43, 20.0, 38.0], [38.86] * 4))
    hist = scoring.Histories(x, t_x, T)
    scores = scoring.score(fit.params, hist, scoring.Horizons(), fit.uncertainty)
    draws = fit.uncertainty.sample(4000, np.random.default_rng(1))
    sampled = np.array(
        [
            np.log(btyd.bgnbd_conditional_expected_purchases(btyd.BgNbdParams(*np.exp(d)), 90 / 7, x, t_x, T))
            for d in draws
        ]
    )
    np.testing.assert_allclose(scores["expected_purchases_90d_log_se"], sampled.std(axis=0), rtol=0.05)
    discounted = np.array(
        [
            np.log(btyd.bgnbd_discounted_expected_purchases(btyd.BgNbdParams(*np.exp(d)), x, t_x, T))
            for d in draws
        ]
    )
    np.testing.assert_allclose(
        scores["discounted_expected_purchases_log_se"], discounted.std(axis=0), rtol=0.05
    )


def test_no_uncertainty_without_convergence() -> None:
    """Uniformly random purchase days: the fit says why it cannot be trusted and gives no intervals."""
    rng = np.random.default_rng(12)
    days = rng.integers(0, 365, (500, 4))
    first, last = days.min(axis=1), days.max(axis=1)
    x = np.array([np.unique(row).size - 1 for row in days], dtype=float)
    fit = btyd.fit_bgnbd(x, (last - first) / 7, (364 - first) / 7)
    assert not fit.converged and fit.uncertainty is None
    assert fit.message.startswith("not identified: the data do not pin down")

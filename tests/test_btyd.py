"""BG/NBD + Gamma-Gamma (salesdw.clv.btyd), checked against the published CDNOW results.

Published figures: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way" (BG/NBD on
the CDNOW sample, 39-week calibration + 39-week holdout) and Fader & Hardie (2013), "The
Gamma-Gamma Model of Monetary Value" (946 repeat buyers). See tests/fixtures/cdnow/SOURCE.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesdw.clv import btyd, fitting

CDNOW = Path(__file__).parent / "fixtures" / "cdnow" / "CDNOW_sample.txt"
CAL_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"

# Published BG/NBD estimates for CDNOW (FHL 2005a)
PAPER = btyd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


# --------------------------------------------------------------------------------------------
# CDNOW fixture
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_transactions() -> pd.DataFrame:
    return btyd.read_cdnow_transactions(CDNOW)


@pytest.fixture(scope="module")
def cdnow(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return btyd.calibration_summary(cdnow_transactions, CAL_END, HOLDOUT_END)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: pd.DataFrame) -> btyd.BgNbdFit:
    return btyd.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def test_fixture_is_the_cdnow_sample(cdnow_transactions: pd.DataFrame) -> None:
    assert len(cdnow_transactions) == 6919
    assert cdnow_transactions["customer_id"].nunique() == 2357
    assert cdnow_transactions["date"].min() == pd.Timestamp("1997-01-01")
    assert cdnow_transactions["date"].max() == pd.Timestamp("1998-06-30")
    first = cdnow_transactions.groupby("customer_id")["date"].min()
    assert first.max() <= pd.Timestamp("1997-03-31")  # Q1 1997 cohort


def test_calibration_summary_conventions(cdnow: pd.DataFrame) -> None:
    assert len(cdnow) == 2357
    # customer 0001: purchases 1997-01-01, 01-18, 08-02 (calibration) and 12-12 (holdout)
    c = cdnow.loc["0001"]
    assert c["frequency"] == 2
    assert c["recency"] == pytest.approx(213 / 7)  # 1997-08-02 - 1997-01-01 = 213 days
    assert c["T"] == pytest.approx(272 / 7)  # 1997-09-30 - 1997-01-01 = 272 days = 38.86 weeks
    assert c["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)  # repeat purchases only
    assert c["holdout_frequency"] == 1
    assert cdnow["holdout_length"].iloc[0] == 39.0  # 1997-10-01 .. 1998-06-30 = 273 days
    assert (cdnow.loc[cdnow["frequency"] == 0, "recency"] == 0).all()
    assert (cdnow["recency"] <= cdnow["T"]).all()
    assert int(cdnow["frequency"].sum()) == 2457
    # several rows on one day are one transaction: fewer purchase days than rows
    assert int(cdnow["holdout_frequency"].sum()) == 1882


def test_bgnbd_reproduces_published_cdnow_estimates(cdnow_fit: btyd.BgNbdFit) -> None:
    f = cdnow_fit
    assert f.converged, f.message
    assert f.n_customers == 2357
    assert f.n_repeat_buyers == 946
    assert (sig3(f.r), sig3(f.alpha), sig3(f.a), sig3(f.b)) == (0.243, 4.41, 0.793, 2.43)
    assert sig3(f.log_likelihood) == -9580.0
    # in fact to the published number of decimals
    assert (round(f.r, 3), round(f.alpha, 3), round(f.a, 3), round(f.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert round(f.log_likelihood, 1) == -9582.4


def test_bgnbd_log_likelihood_matches_fit(cdnow: pd.DataFrame, cdnow_fit: btyd.BgNbdFit) -> None:
    ll = btyd.bgnbd_log_likelihood(cdnow_fit, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert ll.sum() == pytest.approx(cdnow_fit.log_likelihood, rel=1e-12)
    # the published parameters are (to rounding) the maximum
    ll_paper = btyd.bgnbd_log_likelihood(PAPER, cdnow["frequency"], cdnow["recency"], cdnow["T"]).sum()
    assert cdnow_fit.log_likelihood >= ll_paper > cdnow_fit.log_likelihood - 0.01


def test_day_count_alternative_does_not_reproduce(cdnow: pd.DataFrame) -> None:
    """Documentation of the convention: counting the calibration end day as a full day
    (T = (1997-10-01 - first) / 7) does not give the published numbers."""
    f = btyd.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"] + 1 / 7)
    assert f.converged
    assert round(f.log_likelihood, 1) != -9582.4
    assert abs(f.log_likelihood - (-9582.4)) > 5  # -9589.9
    assert round(f.a, 3) != 0.793


def test_gamma_gamma_reproduces_published_cdnow_estimates(cdnow: pd.DataFrame) -> None:
    repeat = cdnow[cdnow["frequency"] > 0]
    assert len(repeat) == 946
    g = btyd.fit_gamma_gamma(cdnow["frequency"], cdnow["monetary_value"])
    assert g.converged, g.message
    assert g.n == 946
    assert (sig3(g.p), sig3(g.q), sig3(g.gamma)) == (6.25, 3.74, 15.4)
    assert (round(g.p, 2), round(g.q, 2), round(g.gamma, 2)) == (6.25, 3.74, 15.44)
    ll = btyd.gamma_gamma_log_likelihood(g, repeat["frequency"], repeat["monetary_value"]).sum()
    assert ll == pytest.approx(g.log_likelihood, rel=1e-12)


def test_conditional_expectation_over_holdout(cdnow: pd.DataFrame, cdnow_fit: btyd.BgNbdFit) -> None:
    actual = int(cdnow["holdout_frequency"].sum())
    assert actual == 1882
    expected = btyd.bgnbd_conditional_expected_purchases(
        cdnow_fit, 39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    total = float(expected.sum())
    assert total == pytest.approx(1653, rel=0.01)
    assert round(total) == 1653  # 1653.4


def test_holdout_comparison_table(cdnow: pd.DataFrame, cdnow_fit: btyd.BgNbdFit) -> None:
    table = btyd.holdout_comparison_table(
        cdnow_fit,
        cdnow["frequency"],
        cdnow["recency"],
        cdnow["T"],
        cdnow["holdout_frequency"],
        cdnow["holdout_length"],
    )
    assert table.shape == (8, 5)
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert list(table.columns) == [
        "n_customers",
        "actual_mean",
        "expected_mean",
        "actual_total",
        "expected_total",
    ]
    assert table["n_customers"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert table["n_customers"].sum() == 2357
    assert table["actual_total"].sum() == 1882
    assert table["expected_total"].sum() == pytest.approx(1653.4, abs=0.1)
    assert np.allclose(table["actual_mean"] * table["n_customers"], table["actual_total"])
    # conditional expectations increase with past frequency
    assert table["expected_mean"].is_monotonic_increasing


# --------------------------------------------------------------------------------------------
# Independent hand computations (math.lgamma and a direct 2F1 series; no scipy)
# --------------------------------------------------------------------------------------------


def hyp2f1_series(a: float, b: float, c: float, z: float) -> float:
    """Gauss series sum_n (a)_n (b)_n / ((c)_n n!) z^n, |z| < 1 (positive parameters here)."""
    term, total, n = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
        assert n < 100_000
    return total


def hand_p_alive(x: int, t_x: float, T: float) -> float:
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def hand_conditional(t: float, x: int, t_x: float, T: float) -> float:
    """Eq. 10 of FHL (2005a), written out literally."""
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b
    z = t / (alpha + T + t)
    f = hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * f
    return (a + b + x - 1) / (a - 1) * bracket * hand_p_alive(x, t_x, T)


HAND_CUSTOMERS = [
    (0, 0.0, 38.86),  # no repeat purchase: P(alive) = 1
    (2, 30.43, 38.86),  # customer 0001 of the sample
    (1, 1.71, 38.86),  # one repeat purchase early on, long silence since
    (25, 37.0, 38.86),  # a heavy buyer
]


@pytest.mark.parametrize(("x", "t_x", "T"), HAND_CUSTOMERS)
def test_p_alive_by_hand(x: int, t_x: float, T: float) -> None:
    assert float(btyd.bgnbd_p_alive(PAPER, x, t_x, T)) == pytest.approx(hand_p_alive(x, t_x, T), rel=1e-12)


def test_p_alive_values() -> None:
    assert float(btyd.bgnbd_p_alive(PAPER, 0, 0.0, 38.86)) == 1.0
    # 0.793/3.426 * (43.274/34.844)^2.243 = 0.23146 * 1.6258 = 0.37632 -> 1/1.37632
    assert float(btyd.bgnbd_p_alive(PAPER, 2, 30.43, 38.86)) == pytest.approx(0.72658, abs=1e-5)


@pytest.mark.parametrize(("x", "t_x", "T"), HAND_CUSTOMERS)
@pytest.mark.parametrize("t", [1.0, 39.0, 52.0])
def test_conditional_expectation_by_hand(t: float, x: int, t_x: float, T: float) -> None:
    got = float(btyd.bgnbd_conditional_expected_purchases(PAPER, t, x, t_x, T))
    assert got == pytest.approx(hand_conditional(t, x, t_x, T), rel=1e-10)


@pytest.mark.parametrize("t", [1.0, 13.0, 39.0, 78.0])
def test_expected_purchases_new_customer_by_hand(t: float) -> None:
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b
    want = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1_series(r, b, a + b - 1, t / (alpha + t)))
    )
    assert float(btyd.bgnbd_expected_purchases_new_customer(PAPER, t)) == pytest.approx(want, rel=1e-10)
    assert float(btyd.bgnbd_expected_purchases_new_customer(PAPER, 0.0)) == 0.0


def test_log_likelihood_by_hand() -> None:
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b

    def lbeta(u: float, v: float) -> float:
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    def ll(x: int, t_x: float, T: float) -> float:
        base = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
        l1 = math.exp(lbeta(a, b + x) - lbeta(a, b) - (r + x) * math.log(alpha + T))
        l2 = 0.0
        if x > 0:
            l2 = math.exp(lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * math.log(alpha + t_x))
        return base + math.log(l1 + l2)

    for x, t_x, T in HAND_CUSTOMERS:
        got = float(btyd.bgnbd_log_likelihood(PAPER, [x], [t_x], [T])[0])
        assert got == pytest.approx(ll(x, t_x, T), rel=1e-12)


def test_gamma_gamma_by_hand() -> None:
    params = btyd.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    p, q, g = params.p, params.q, params.gamma
    # conditional expected spend: weighted average of the population mean and the observed mean
    x, m = 2, 20.0
    want = (q - 1) / (p * x + q - 1) * (p * g / (q - 1)) + (p * x) / (p * x + q - 1) * m
    assert float(btyd.gamma_gamma_expected_spend(params, x, m)) == pytest.approx(want, rel=1e-12)
    assert float(btyd.gamma_gamma_expected_spend(params, 0, 999.0)) == pytest.approx(p * g / (q - 1))
    # log density of the mean of x transactions
    dens = (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(g)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(g + m * x)
    )
    assert float(btyd.gamma_gamma_log_likelihood(params, [x], [m])[0]) == pytest.approx(dens, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------------------------


def test_large_frequency_does_not_overflow() -> None:
    # the literal eq. 10 overflows here ((alpha+T)/(alpha+T+t))^(r+x) -> 0, 2F1 -> inf)
    x, T, t = 5000, 10_000.0, 52.0
    e = float(btyd.bgnbd_conditional_expected_purchases(PAPER, t, x, T, T))
    rate = (PAPER.r + x) / (PAPER.alpha + T)  # posterior mean of lambda
    assert np.isfinite(e)
    assert e == pytest.approx(rate * t, rel=0.02)
    assert float(btyd.bgnbd_p_alive(PAPER, 10**6, 1.0, 10**6)) == 0.0
    assert float(btyd.bgnbd_p_alive(PAPER, 10**6, 10**6, 10**6)) == pytest.approx(1.0, abs=1e-6)


def test_a_close_to_one_is_continuous() -> None:
    vals = [
        float(
            btyd.bgnbd_conditional_expected_purchases(btyd.BgNbdParams(0.5, 2.0, a, 3.0), 39.0, 3, 20.0, 30.0)
        )
        for a in (1 - 1e-4, 1 - 1e-9, 1.0, 1 + 1e-9, 1 + 1e-4)
    ]
    assert all(np.isfinite(vals))
    assert max(vals) - min(vals) < 1e-3 * vals[2]


def test_compressed_evaluation_matches_direct() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    T = rng.integers(1, 300, n) / 7
    x, t_x = btyd.simulate_bgnbd(PAPER, T, rng)
    t_x = np.where(x > 0, np.clip(np.round(t_x * 7), 1, T * 7) / 7, 0.0)
    got = btyd.bgnbd_conditional_expected_purchases(PAPER, 26.0, x, t_x, T)  # > 10k rows: compressed
    direct = np.concatenate(
        [
            btyd.bgnbd_conditional_expected_purchases(
                PAPER, 26.0, x[i : i + 5000], t_x[i : i + 5000], T[i : i + 5000]
            )
            for i in range(0, n, 5000)
        ]
    )
    np.testing.assert_allclose(got, direct, rtol=1e-13)


def test_predicted_clv() -> None:
    gg = btyd.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    x = np.array([0, 2, 1, 25])
    t_x = np.array([0.0, 30.43, 1.71, 37.0])
    T = np.full(4, 38.86)
    m = np.array([0.0, 20.0, 35.0, 12.0])
    w = 52 / 12
    spend = btyd.gamma_gamma_expected_spend(gg, x, m)
    # no discounting: telescopes to E[Y(12 months)] * spend
    clv0 = btyd.predicted_clv(PAPER, gg, x, t_x, T, m, monthly_discount_rate=0.0)
    e12 = btyd.bgnbd_conditional_expected_purchases(PAPER, 12 * w, x, t_x, T)
    np.testing.assert_allclose(clv0, e12 * spend, rtol=1e-12)
    # with discounting, by hand for each customer (independent 2F1 series)
    clv = btyd.predicted_clv(PAPER, gg, x, t_x, T, m, horizon_months=12, monthly_discount_rate=0.01)
    for i in range(4):
        cum = [hand_conditional(k * w, int(x[i]), t_x[i], T[i]) if k else 0.0 for k in range(13)]
        want = sum((cum[k] - cum[k - 1]) * spend[i] / 1.01**k for k in range(1, 13))
        assert clv[i] == pytest.approx(want, rel=1e-9)
    assert np.all(clv < clv0)


# --------------------------------------------------------------------------------------------
# Degenerate input: never raise
# --------------------------------------------------------------------------------------------


def test_no_repeat_buyers() -> None:
    f = btyd.fit_bgnbd(np.zeros(100), np.zeros(100), np.full(100, 30.0))
    assert not f.converged
    assert f.message == "too few repeat buyers: 0 < 20"
    assert np.isnan(f.r)
    f = btyd.fit_bgnbd([1, 2, 3, 0], [1.0, 2.0, 3.0, 0.0], [5.0, 5.0, 5.0, 5.0], min_repeat_buyers=5)
    assert (f.converged, f.message) == (False, "too few repeat buyers: 3 < 5")
    g = btyd.fit_gamma_gamma(np.zeros(50), np.zeros(50))
    assert not g.converged
    assert g.message.startswith("too few repeat buyers: 0 < 20")


def test_all_zero() -> None:
    f = btyd.fit_bgnbd(np.zeros(10), np.zeros(10), np.zeros(10), min_repeat_buyers=0)
    assert not f.converged
    assert "T are zero" in f.message


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "fragment"),
    [
        ([1.0, np.nan], [1.0, 0.0], [2.0, 2.0], "frequency has 1 non-finite"),
        ([1.0, 0.0], [np.nan, 0.0], [2.0, 2.0], "recency has 1 non-finite"),
        ([1.0, 0.0], [1.0, 0.0], [2.0, np.inf], "T has 1 non-finite"),
        ([1.0, -1.0], [1.0, 0.0], [2.0, 2.0], "frequency has 1 negative"),
        ([1.0, 0.0], [3.0, 0.0], [2.0, 2.0], "recency > T for 1 customers"),
        ([1.0, 0.0], [1.0, 0.0], [2.0], "same length"),
        ([1.5, 0.0], [1.0, 0.0], [2.0, 2.0], "whole numbers"),
        ([1.0, 0.0], [0.0, 0.0], [2.0, 2.0], "recency must be > 0"),
        ([[1.0]], [[1.0]], [[2.0]], "one-dimensional"),
        ([], [], [], "empty"),
        (["a"], [1.0], [2.0], "invalid input"),
    ],
)
def test_invalid_input_bgnbd(frequency: list, recency: list, T: list, fragment: str) -> None:
    f = btyd.fit_bgnbd(frequency, recency, T)
    assert not f.converged
    assert f.message.startswith("invalid input")
    assert fragment in f.message


def test_invalid_input_gamma_gamma() -> None:
    g = btyd.fit_gamma_gamma([1, 2, 0], [10.0, np.nan, 0.0])
    assert (g.converged, g.message) == (
        False,
        "invalid input: monetary_value has 1 non-finite (NaN/inf) values among repeat buyers",
    )
    g = btyd.fit_gamma_gamma(np.ones(30), np.full(30, 5.0))
    assert not g.converged
    assert "constant" in g.message
    g = btyd.fit_gamma_gamma([1, 2], [1.0])
    assert not g.converged
    assert "same length" in g.message


def test_optimiser_failure_is_reported(cdnow: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(fitting, "minimize", broken)
    f = btyd.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert (f.converged, f.message) == (False, "fit failed: RuntimeError: boom")
    g = btyd.fit_gamma_gamma(cdnow["frequency"], cdnow["monetary_value"])
    assert (g.converged, g.message) == (False, "fit failed: RuntimeError: boom")


def test_non_positive_spend_is_excluded(cdnow: pd.DataFrame) -> None:
    m = cdnow["monetary_value"].to_numpy().copy()
    idx = np.flatnonzero(cdnow["frequency"].to_numpy() > 0)[:3]
    m[idx] = 0.0
    g = btyd.fit_gamma_gamma(cdnow["frequency"], m)
    assert g.converged
    assert g.n == 943
    assert "excluded 3 repeat buyers with monetary_value <= 0" in g.message


_values = st.one_of(
    st.floats(min_value=-5, max_value=60),
    st.integers(0, 20),
    st.sampled_from([float("nan"), float("inf"), 0.0]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_values, _values, _values), min_size=0, max_size=30))
def test_fit_never_raises(rows: list[tuple[float, float, float]]) -> None:
    cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], []]
    f = btyd.fit_bgnbd(*cols, min_repeat_buyers=1)
    assert isinstance(f.converged, bool)
    assert f.message
    g = btyd.fit_gamma_gamma(cols[0], cols[1], min_customers=1)
    assert isinstance(g.converged, bool)
    assert g.message


# --------------------------------------------------------------------------------------------
# Simulation: parameter recovery at scale
# --------------------------------------------------------------------------------------------


def test_recovers_parameters_from_200k_simulated_customers() -> None:
    rng = np.random.default_rng(2024)
    n = 200_000
    true = btyd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    true_gg = btyd.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    T_days = rng.integers(1, 365, n)
    x, t_x = btyd.simulate_bgnbd(true, T_days / 7, rng)
    m = btyd.simulate_gamma_gamma(true_gg, x, rng)

    # How long the fits take is benchmarks/bench_clv_fit.py's job, not a test's (a shared machine is slow).
    f = btyd.fit_bgnbd(x, t_x, T_days / 7)
    g = btyd.fit_gamma_gamma(x, np.nan_to_num(m))

    assert f.converged, f.message
    assert g.converged, g.message
    for name in ("r", "alpha", "a", "b"):
        assert getattr(f, name) == pytest.approx(getattr(true, name), rel=0.10), name
    for name in ("p", "q", "gamma"):
        assert getattr(g, name) == pytest.approx(getattr(true_gg, name), rel=0.10), name

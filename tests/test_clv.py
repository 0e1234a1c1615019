"""The CLV layer (models/clv) against an independent computation on the same fixture.

* A warehouse built from orders simulated by the BG/NBD process (so the fit converges): the purchase
  history equals a pandas summary of the raw file, the fit row equals ``salesdw.clv.btyd`` run directly on
  that summary, and every score equals the module's functions on the same inputs.
* A warehouse with too few repeat buyers: the build passes, the fit row says why it did not converge,
  the business layer ranks by historical revenue and the warn-severity test warns.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from salesdw.clv import btyd
from salesdw.clv import tables as clv
from tests.helpers import BuildRun, build_warehouse

# Simulation parameters (weeks); the fit does not know them.
SIM_BGNBD = btyd.BgNbdParams(r=0.5, alpha=6.0, a=0.8, b=2.5)
SIM_GG = btyd.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
START = pd.Timestamp("2021-01-01")
DAYS = 365
WARN_TEST = "assert_clv_fit_converged"


@dataclass
class ClvBuild:
    run: BuildRun
    orders: pd.DataFrame  # order_date, customer_id, order_id, amount
    results: dict[str, dict[str, Any]]  # dbt run_results by node name: status, failures, message


def _write_orders(path: Path, orders: pd.DataFrame) -> None:
    raw = pd.DataFrame(
        {
            "Date": orders["order_date"].dt.strftime("%Y-%m-%d"),
            "Customer ID": orders["customer_id"],
            "Order ID": orders["order_id"],
            "Sales": orders["amount"].map(lambda value: f"{value:.2f}"),
        }
    )
    raw.to_csv(path, index=True, index_label="Unnamed: 0")


def simulate_orders(n_customers: int, seed: int) -> pd.DataFrame:
    """Orders from the BG/NBD process on a daily grid, with some same-day second orders."""
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, DAYS, n_customers)
    lam = rng.gamma(SIM_BGNBD.r, 1.0 / SIM_BGNBD.alpha, n_customers) / 7.0  # per day
    dropout = rng.beta(SIM_BGNBD.a, SIM_BGNBD.b, n_customers)
    nu = rng.gamma(SIM_GG.q, 1.0 / SIM_GG.gamma, n_customers)
    customers, days = [], []
    for customer in range(n_customers):
        day = float(first_day[customer])
        customers.append(customer)
        days.append(int(day))
        while True:
            day += rng.exponential(1.0 / lam[customer])
            if day >= DAYS:
                break
            customers.append(customer)
            days.append(int(day))
            if rng.random() < dropout[customer]:
                break
    # 5% of orders get a second order on the same day: one purchase day in the model.
    extra = rng.random(len(customers)) < 0.05
    cust = np.concatenate([np.array(customers), np.array(customers)[extra]])
    day_arr = np.concatenate([np.array(days), np.array(days)[extra]])
    amount = rng.gamma(SIM_GG.p, 1.0 / nu[cust])
    orders = pd.DataFrame(
        {
            "order_date": START + pd.to_timedelta(day_arr, unit="D"),
            "customer_id": 100_000 + cust,
            "amount": np.round(np.maximum(amount, 0.5), 2),
        }
    )
    orders["order_id"] = 700_000 + rng.permutation(len(orders))
    return orders


def _build(folder: Path, orders: pd.DataFrame) -> ClvBuild:
    _write_orders(folder / "orders.csv", orders)
    run = build_warehouse(folder / "orders.csv", folder / "data")
    assert run.exit_code == 0, run.output
    # The session shares one dbt target directory (conftest): read this build's results before the next.
    target = Path(os.environ["SALESDW_TARGET_DIR"])
    payload = json.loads((target / "run_results.json").read_text())
    results = {
        item["unique_id"].split(".")[2]: {
            "status": item["status"],
            "failures": item.get("failures"),
            "message": item.get("message"),
        }
        for item in payload["results"]
    }
    return ClvBuild(run, orders, results)


@pytest.fixture(scope="module")
def clv_build(tmp_path_factory: pytest.TempPathFactory) -> ClvBuild:
    """1,500 simulated customers (~2,000 orders): enough repeat buyers for both fits to converge."""
    return _build(tmp_path_factory.mktemp("clv"), simulate_orders(1_500, seed=11))


@pytest.fixture(scope="module")
def sparse_build(tmp_path_factory: pytest.TempPathFactory) -> ClvBuild:
    """60 customers, 5 of whom come back: fewer repeat buyers than clv_min_repeat_buyers (20)."""
    rng = np.random.default_rng(3)
    first = START + pd.to_timedelta(rng.integers(0, 300, 60), unit="D")
    repeat = START + pd.to_timedelta(rng.integers(300, DAYS, 5), unit="D")
    orders = pd.DataFrame(
        {
            "order_date": np.concatenate([first.values, repeat.values]),
            "customer_id": np.concatenate([np.arange(60), np.arange(5)]) + 200_000,
            "amount": np.round(rng.lognormal(4.0, 0.6, 65), 2),
        }
    )
    orders["order_id"] = 800_000 + np.arange(len(orders))
    return _build(tmp_path_factory.mktemp("clv_sparse"), orders)


def pandas_history(orders: pd.DataFrame) -> pd.DataFrame:
    """The paper's summary, written independently of the SQL model (and of btyd.calibration_summary)."""
    as_of = orders["order_date"].max()
    daily = orders.groupby(["customer_id", "order_date"], as_index=False)["amount"].sum()
    grouped = daily.sort_values("order_date").groupby("customer_id")
    summary = pd.DataFrame(
        {
            "first": grouped["order_date"].min(),
            "last": grouped["order_date"].max(),
            "days": grouped.size(),
            "total": grouped["amount"].sum(),
            "first_value": grouped["amount"].first(),
        }
    )
    summary["frequency"] = summary["days"] - 1
    summary["recency_weeks"] = (summary["last"] - summary["first"]).dt.days / 7
    summary["age_weeks"] = (as_of - summary["first"]).dt.days / 7
    summary["monetary"] = ((summary["total"] - summary["first_value"]) / summary["frequency"]).where(
        summary["frequency"] > 0
    )
    return summary


def _fit_rows(run: BuildRun) -> pd.DataFrame:
    return run.query("select * from clv_model_fit").set_index("model_name")


def test_purchase_history_matches_pandas(clv_build: ClvBuild) -> None:
    expected = pandas_history(clv_build.orders)
    actual = clv_build.run.query(
        "select customer_id::bigint as customer_id, purchase_days, frequency, recency_weeks, age_weeks, "
        "repeat_purchase_value_mean::double as monetary, first_purchase_date, as_of_date "
        "from int_customer_purchase_history"
    ).set_index("customer_id")
    assert len(actual) == len(expected)
    actual = actual.loc[expected.index]
    assert (actual["purchase_days"].values == expected["days"].values).all()
    assert (actual["frequency"].values == expected["frequency"].values).all()
    np.testing.assert_allclose(actual["recency_weeks"], expected["recency_weeks"], rtol=1e-12)
    np.testing.assert_allclose(actual["age_weeks"], expected["age_weeks"], rtol=1e-12)
    np.testing.assert_allclose(actual["monetary"], expected["monetary"], atol=5e-5)  # decimal(18, 4)
    # Same-day orders really were collapsed (the fixture has some).
    assert clv_build.orders.groupby(["customer_id", "order_date"]).size().max() > 1


def test_fit_row_equals_the_module_on_the_pandas_summary(clv_build: ClvBuild) -> None:
    summary = pandas_history(clv_build.orders)
    bgnbd = btyd.fit_bgnbd(summary["frequency"], summary["recency_weeks"], summary["age_weeks"])
    gamma_gamma = btyd.fit_gamma_gamma(summary["frequency"], summary["monetary"].fillna(0))
    assert bgnbd.converged and gamma_gamma.converged
    rows = _fit_rows(clv_build.run)
    # BG/NBD (the default clv_model) converged on few histories, so Pareto/NBD was fitted to compare.
    assert sorted(rows.index) == ["bg_nbd", "gamma_gamma", "pareto_nbd"]
    assert rows["model_role"].to_dict() == {
        "bg_nbd": "purchases",
        "gamma_gamma": "spend",
        "pareto_nbd": "comparison",
    }
    bg, gg, pnbd = rows.loc["bg_nbd"], rows.loc["gamma_gamma"], rows.loc["pareto_nbd"]
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert bg[name] == pytest.approx(getattr(bgnbd, name), rel=1e-6), name
    # The comparison fit starts from BG/NBD's estimates: the same fit as the module's from that start.
    pareto = btyd.fit_pareto_nbd(
        summary["frequency"],
        summary["recency_weeks"],
        summary["age_weeks"],
        initial=clv.translate_start(bgnbd, "pareto_nbd"),
    )
    assert bool(pnbd["converged"]) == pareto.converged and pnbd["message"] == pareto.message
    for name in ("r", "alpha", "s", "beta", "log_likelihood"):
        assert pnbd[name] == pytest.approx(getattr(pareto, name), rel=1e-6), name
    if pareto.converged:
        better = "bg_nbd" if bgnbd.log_likelihood > pareto.log_likelihood else "pareto_nbd"
        assert set(rows["better_fitting_model"]) == {better}
        assert rows["model_comparison"].iloc[0].startswith(f"{better} fits better than")
    else:  # BG/NBD data: dropout only right after purchases, which Pareto/NBD fits by s, beta running off
        assert pnbd["message"].startswith("not identified") and rows["better_fitting_model"].isna().all()
        assert set(rows["model_comparison"]) == {"not compared: pareto_nbd did not converge"}
    for name in ("p", "q", "gamma", "log_likelihood"):
        assert gg[name] == pytest.approx(getattr(gamma_gamma, name), rel=1e-6), name
    assert (bg["n_customers"], bg["n_repeat_buyers"]) == (bgnbd.n_customers, bgnbd.n_repeat_buyers)
    assert gg["n_customers"] == gamma_gamma.n
    assert bool(bg["converged"]) and bool(gg["converged"])
    assert set(rows["ltv_basis"]) == {"predicted_clv"}
    assert rows["analysis_date"].iloc[0] == clv_build.orders["order_date"].max()
    assert (rows["clv_horizon_months"] == 12).all() and (rows["clv_monthly_discount_rate"] == 0.01).all()
    # The fit found the simulation's parameters roughly (1,500 customers): a sanity check, not a proof.
    assert bg["r"] == pytest.approx(SIM_BGNBD.r, rel=0.5)
    assert clv_build.results[WARN_TEST]["status"] == "pass"


def natural_covariance(fun: Any, estimates: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Inverse of the Hessian of -fun in the natural parameters, by central second differences with
    relative steps: independent of the module's observed information (log-parameters, gradient-based)."""
    k = estimates.size
    h = step * estimates
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            hess[i, j] = -(
                fun(estimates + ei + ej)
                - fun(estimates + ei - ej)
                - fun(estimates - ei + ej)
                + fun(estimates - ei - ej)
            ) / (4 * h[i] * h[j])
    return np.linalg.inv(hess)


def test_standard_errors_and_intervals_come_from_the_observed_information(clv_build: ClvBuild) -> None:
    summary = pandas_history(clv_build.orders)
    x, t_x, age = (summary[c].to_numpy(float) for c in ("frequency", "recency_weeks", "age_weeks"))
    m = summary["monetary"].fillna(0).to_numpy(float)
    rows = _fit_rows(clv_build.run)
    checks = {
        "bg_nbd": (
            ("r", "alpha", "a", "b"),
            lambda v: btyd.bgnbd_log_likelihood(btyd.BgNbdParams(*v), x, t_x, age).sum(),
        ),
        "pareto_nbd": (
            ("r", "alpha", "s", "beta"),
            lambda v: btyd.pareto_nbd_log_likelihood(btyd.ParetoNbdParams(*v), x, t_x, age).sum(),
        ),
        "gamma_gamma": (
            ("p", "q", "gamma"),
            lambda v: btyd.gamma_gamma_log_likelihood(btyd.GammaGammaParams(*v), x[x > 0], m[x > 0]).sum(),
        ),
    }
    for model, (names, loglik) in checks.items():
        row = rows.loc[model]
        if not row["converged"]:  # no uncertainty without convergence (Pareto/NBD on this BG/NBD data)
            assert row[[f"{name}_std_error" for name in names]].isna().all() and model == "pareto_nbd"
            continue
        estimates = np.array([row[name] for name in names], dtype=float)
        cov = natural_covariance(loglik, estimates)
        for i, name in enumerate(names):
            se = float(np.sqrt(cov[i, i]))
            assert row[f"{name}_std_error"] == pytest.approx(se, rel=2e-3), (model, name)
            # 95% interval symmetric on the log scale: exp(log theta -+ 1.96 se / theta)
            lower, upper = row[name] * np.exp(np.array([-1.959964, 1.959964]) * se / row[name])
            assert (row[f"{name}_lower_95"], row[f"{name}_upper_95"]) == (
                pytest.approx(lower, rel=2e-3),
                pytest.approx(upper, rel=2e-3),
            ), (model, name)
            for j in range(i, len(names)):  # covariance of the logs = covariance / (theta_i theta_j)
                expected = cov[i, j] / (estimates[i] * estimates[j])
                assert row[f"log_covariance_{i + 1}{j + 1}"] == pytest.approx(expected, rel=5e-3, abs=1e-9)
        others = [
            c for c in rows.columns if c.endswith("_std_error") and c.split("_std_error")[0] not in names
        ]
        assert row[others].isna().all(), model


def test_scores_equal_the_module_functions(clv_build: ClvBuild) -> None:
    summary = pandas_history(clv_build.orders)
    rows = _fit_rows(clv_build.run)
    bg = btyd.BgNbdParams(*(float(rows.loc["bg_nbd", key]) for key in ("r", "alpha", "a", "b")))
    gg = btyd.GammaGammaParams(*(float(rows.loc["gamma_gamma", key]) for key in ("p", "q", "gamma")))
    x, t_x, age = summary["frequency"], summary["recency_weeks"], summary["age_weeks"]
    m = summary["monetary"].fillna(0)
    actual = (
        clv_build.run.query(
            "select customer_id::bigint as customer_id, p_alive, expected_purchases_30d, "
            "expected_purchases_90d, expected_purchases_365d, expected_average_order_value::double as aov, "
            "predicted_clv::double as clv, ltv_basis from customer_clv"
        )
        .set_index("customer_id")
        .loc[summary.index]
    )
    np.testing.assert_allclose(actual["p_alive"], btyd.bgnbd_p_alive(bg, x, t_x, age), rtol=1e-9)
    for days in (30, 90, 365):
        expected = btyd.bgnbd_conditional_expected_purchases(bg, days / 7, x, t_x, age)
        np.testing.assert_allclose(actual[f"expected_purchases_{days}d"], expected, rtol=1e-9)
    np.testing.assert_allclose(actual["aov"], btyd.gamma_gamma_expected_spend(gg, x, m), atol=0.005)
    expected_clv = btyd.predicted_clv(bg, gg, x, t_x, age, m, horizon_months=12, monthly_discount_rate=0.01)
    np.testing.assert_allclose(actual["clv"], expected_clv, atol=0.01)  # m is stored to 4 decimals
    assert (actual["ltv_basis"] == "predicted_clv").all()


def _log_covariance(row: pd.Series, k: int) -> np.ndarray:
    cov = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            cov[i, j] = cov[j, i] = row[f"log_covariance_{i + 1}{j + 1}"]
    return cov


def _delta_log_se(fun: Any, estimates: np.ndarray, log_cov: np.ndarray) -> np.ndarray:
    """Delta method in the natural parameters (central differences, relative steps), independent of the
    module's forward differences in the log-parameters: se of log f = sqrt(g' C g) / f."""
    cov = log_cov * np.outer(estimates, estimates)
    base = fun(estimates)
    grads = []
    for i in range(estimates.size):
        h = np.eye(estimates.size)[i] * estimates[i] * 1e-5
        grads.append((fun(estimates + h) - fun(estimates - h)) / (2 * h[i]))
    g = np.array(grads)
    return np.sqrt(np.einsum("in,ij,jn->n", g, cov, g)) / base


def test_churn_and_80_percent_intervals_per_customer(clv_build: ClvBuild) -> None:
    summary = pandas_history(clv_build.orders)
    x, t_x, age = (summary[c].to_numpy(float) for c in ("frequency", "recency_weeks", "age_weeks"))
    m = summary["monetary"].fillna(0).to_numpy(float)
    rows = _fit_rows(clv_build.run)
    bg_row, gg_row = rows.loc["bg_nbd"], rows.loc["gamma_gamma"]
    r, alpha, a, b = (float(bg_row[k]) for k in ("r", "alpha", "a", "b"))
    actual = (
        clv_build.run.query(
            "select customer_id::bigint as customer_id, p_no_purchase_30d, p_no_purchase_90d, "
            "expected_purchases_90d, "
            "expected_purchases_90d_lower_80, expected_purchases_90d_upper_80, predicted_clv::double as clv, "
            "predicted_clv_lower_80::double as clv_lower, predicted_clv_upper_80::double as clv_upper, "
            "clv_null_reason from customer_clv"
        )
        .set_index("customer_id")
        .loc[summary.index]
    )
    # P(no purchase in t) written out: 1 - P(alive) + P(alive) ((alpha + T) / (alpha + T + t))^(r + x)
    odds = np.where(x > 0, a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x), 0.0)
    p_alive = 1 / (1 + odds)
    for days in (30, 90):
        t = days / 7
        expected = 1 - p_alive + p_alive * ((alpha + age) / (alpha + age + t)) ** (r + x)
        np.testing.assert_allclose(actual[f"p_no_purchase_{days}d"], expected, rtol=1e-9)
    assert (actual["p_no_purchase_90d"] <= actual["p_no_purchase_30d"]).all()

    z80 = 1.2815515655446004
    bg_est = np.array([r, alpha, a, b])
    bg_cov = _log_covariance(bg_row, 4)

    def expected_90d(v: np.ndarray) -> np.ndarray:
        return btyd.bgnbd_conditional_expected_purchases(btyd.BgNbdParams(*v), 90 / 7, x, t_x, age)

    se = _delta_log_se(expected_90d, bg_est, bg_cov)
    e90 = expected_90d(bg_est)
    np.testing.assert_allclose(actual["expected_purchases_90d_lower_80"], e90 * np.exp(-z80 * se), rtol=2e-4)
    np.testing.assert_allclose(actual["expected_purchases_90d_upper_80"], e90 * np.exp(z80 * se), rtol=2e-4)

    def discounted(v: np.ndarray) -> np.ndarray:
        return btyd.bgnbd_discounted_expected_purchases(btyd.BgNbdParams(*v), x, t_x, age)

    gg_est = np.array([float(gg_row[k]) for k in ("p", "q", "gamma")])

    def spend(v: np.ndarray) -> np.ndarray:
        return btyd.gamma_gamma_expected_spend(btyd.GammaGammaParams(*v), x, m)

    se_clv = np.hypot(
        _delta_log_se(discounted, bg_est, bg_cov), _delta_log_se(spend, gg_est, _log_covariance(gg_row, 3))
    )
    clv = discounted(bg_est) * spend(gg_est)
    np.testing.assert_allclose(actual["clv_lower"], clv * np.exp(-z80 * se_clv), rtol=2e-4, atol=0.011)
    np.testing.assert_allclose(actual["clv_upper"], clv * np.exp(z80 * se_clv), rtol=2e-4, atol=0.011)
    assert (actual["clv_lower"] <= actual["clv"]).all() and (actual["clv"] <= actual["clv_upper"]).all()
    assert actual["clv_null_reason"].isna().all()
    # The business mart carries the churn figures.
    ltv = clv_build.run.query(
        "select customer_id::bigint as customer_id, p_no_purchase_30d, p_no_purchase_90d from customer_ltv"
    ).set_index("customer_id")
    pd.testing.assert_frame_equal(
        ltv.loc[summary.index], actual[["p_no_purchase_30d", "p_no_purchase_90d"]], check_names=False
    )


def test_business_layer_ranks_by_predicted_clv(clv_build: ClvBuild) -> None:
    ltv = clv_build.run.query(
        "select customer_id::bigint as customer_id, p_alive, predicted_clv::double as clv, ltv_basis, "
        "ltv_percentile, historical_ltv_percentile, monetary_total::double as revenue from customer_ltv"
    ).set_index("customer_id")
    assert (ltv["ltv_basis"] == "predicted_clv").all()
    # Share of customers with a strictly lower predicted CLV (cents, as stored).
    expected = 1 - ltv["clv"].rank(method="max", ascending=False) / len(ltv)
    np.testing.assert_allclose(ltv["ltv_percentile"], expected, atol=1e-12)
    historical = 1 - ltv["revenue"].rank(method="max", ascending=False) / len(ltv)
    np.testing.assert_allclose(ltv["historical_ltv_percentile"], historical, atol=1e-12)

    segments = clv_build.run.query(
        "select customer_id::bigint as customer_id, segment, is_at_risk, is_lost, is_new, is_high_value "
        "from customer_segments"
    ).set_index("customer_id")
    low = ltv.index[ltv["p_alive"] < 0.30]
    assert len(low) > 0, "the fixture should have customers with a low P(alive)"
    assert segments.loc[low, "is_at_risk"].all()
    earlier_rule = segments.loc[low, ["is_lost", "is_new", "is_high_value"]].any(axis=1)
    assert (segments.loc[low[~earlier_rule], "segment"] == "At Risk").all()


def test_too_few_repeat_buyers_falls_back_and_warns(sparse_build: ClvBuild) -> None:
    rows = _fit_rows(sparse_build.run)
    assert not rows["converged"].any()
    assert rows["message"].str.contains("too few repeat buyers: 5 < 20").all()
    assert rows[["r", "alpha", "a", "b", "p", "q", "gamma", "log_likelihood"]].isna().all().all()
    assert set(rows["ltv_basis"]) == {"historical_revenue"}
    assert "customer_ltv ranks by historical revenue" in rows["ltv_basis_reason"].iloc[0]

    scores = sparse_build.run.query(
        "select count(*) as n, count(p_alive) as p_alive, count(predicted_clv) as clv from customer_clv"
    ).iloc[0]
    assert (scores["n"], scores["p_alive"], scores["clv"]) == (60, 0, 0)
    ltv = sparse_build.run.query(
        "select ltv_basis, ltv_percentile, historical_ltv_percentile, p_alive from customer_ltv"
    )
    assert (ltv["ltv_basis"] == "historical_revenue").all()
    assert (ltv["ltv_percentile"] == ltv["historical_ltv_percentile"]).all()
    assert ltv["p_alive"].isna().all()

    warn = sparse_build.results[WARN_TEST]
    assert warn["status"] == "warn" and warn["failures"] == 2
    failed = [name for name, result in sparse_build.results.items() if result["status"] in {"fail", "error"}]
    assert failed == []


def test_unidentified_fit_falls_back_on_random_orders(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    """Uniformly random orders have no dropout and no heterogeneity: BG/NBD is not identified and says so."""
    run, _ = random_build
    rows = _fit_rows(run)
    assert not rows.loc["bg_nbd", "converged"]
    assert rows.loc["bg_nbd", "message"].startswith("not identified: the data do not pin down")
    assert set(rows["ltv_basis"]) == {"historical_revenue"}
    assert run.query("select count(p_alive) as n from customer_ltv")["n"].iloc[0] == 0


def test_settings_from_dbt_config_accept_zero_and_strings() -> None:
    config = {"clv_horizon_months": "6", "clv_monthly_discount_rate": "0", "clv_min_repeat_buyers": None}
    settings = clv.ClvSettings.from_config(config.get)
    assert settings == clv.ClvSettings(horizon_months=6, monthly_discount_rate=0.0, min_repeat_buyers=20)


def test_score_table_is_null_without_usable_fits() -> None:
    history = clv.PurchaseHistory.from_columns(
        {
            "frequency": np.array([0.0, 2.0]),
            "recency_weeks": np.array([0.0, 3.0]),
            "age_weeks": np.array([5.0, 6.0]),
            "customers": np.array([7, 1]),
        }
    )
    empty = clv.score_table(history, clv.FittedModels("bg_nbd", None, None, None, 12, 0.01))
    assert list(empty.columns) == list(clv.SCORE_COLUMNS)
    assert empty.drop(columns=["frequency", "recency_weeks", "age_weeks", "customers"]).isna().all().all()
    assert empty["customers"].tolist() == [7, 1]
    bg_only = clv.score_table(history, clv.FittedModels("bg_nbd", SIM_BGNBD, None, None, 12, 0.01))
    assert bg_only["p_alive"].notna().all() and bg_only["discounted_expected_purchases"].notna().all()
    # predicted CLV = discounted expected purchases x the Gamma-Gamma expected order value (customer_clv)
    x, t_x, age, m = history.frequency, history.recency, history.age, np.array([0.0, 40.0])
    np.testing.assert_allclose(
        bg_only["discounted_expected_purchases"] * btyd.gamma_gamma_expected_spend(SIM_GG, x, m),
        btyd.predicted_clv(SIM_BGNBD, SIM_GG, x, t_x, age, m),
        rtol=1e-12,
    )


def test_fits_on_grouped_histories_equal_fits_on_customers(clv_build: ClvBuild) -> None:
    """The Python models fit on rows grouped in DuckDB, weighted by their customers: the same fit."""
    summary = pandas_history(clv_build.orders)
    summary["monetary"] = summary["monetary"].fillna(0)
    history = clv.PurchaseHistory.from_columns(
        summary.groupby(["frequency", "recency_weeks", "age_weeks"], as_index=False)
        .size()
        .rename(columns={"size": "customers"})
    )
    spend = clv.SpendHistory.from_columns(
        summary[summary["frequency"] > 0]
        .groupby(["frequency", "monetary"], as_index=False)
        .size()
        .rename(columns={"monetary": "repeat_purchase_value_mean", "size": "customers"})
    )
    assert len(history) < len(summary)
    fits = clv.fit_models(history, spend, clv.ClvSettings())
    bgnbd, gamma_gamma = fits.purchases["bg_nbd"], fits.spend
    expected_bg = btyd.fit_bgnbd(summary["frequency"], summary["recency_weeks"], summary["age_weeks"])
    expected_gg = btyd.fit_gamma_gamma(summary["frequency"], summary["monetary"])
    for name in ("r", "alpha", "a", "b", "log_likelihood", "n_customers", "n_repeat_buyers", "n_unique"):
        assert getattr(bgnbd, name) == getattr(expected_bg, name), name
    for name in ("p", "q", "gamma", "log_likelihood", "n", "message"):
        assert getattr(gamma_gamma, name) == getattr(expected_gg, name), name
    # The scores table: one row per distinct history, its customers summing to the customers.
    scores = clv_build.run.query(
        "select count(*) as n, sum(customers) as customers from int_clv_customer_scores"
    )
    distinct = summary.groupby(["frequency", "recency_weeks", "age_weeks"]).ngroups
    assert (scores["n"].iloc[0], scores["customers"].iloc[0]) == (distinct, len(summary))


def test_weighted_fit_reports_customers_and_rejects_bad_weights() -> None:
    x, t_x, age = np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    few = btyd.fit_bgnbd(x, t_x, age, weights=np.array([10, 3, 0]))
    assert (few.n_customers, few.n_repeat_buyers) == (13, 3)
    assert few.message == "too few repeat buyers: 3 < 20"
    bad = btyd.fit_bgnbd(x, t_x, age, weights=np.array([1.0, -1.0, 2.0]))
    assert not bad.converged and bad.message.startswith("invalid input: weights")
    spend = btyd.fit_gamma_gamma(x, np.array([0.0, 10.0, -5.0]), weights=np.array([4, 6, 2]))
    assert spend.n == 6 and "excluded 2 repeat buyers with monetary_value <= 0" in spend.message


def pandas_backtest_histories(orders: pd.DataFrame, holdout_share: float = 0.25) -> tuple[pd.DataFrame, int]:
    """The backtest's calibration/holdout split written independently of the SQL: the holdout is the last
    quarter (rounded half up) of the days from the first order to the last."""
    first, as_of = orders["order_date"].min(), orders["order_date"].max()
    holdout_days = math.floor((as_of - first).days * holdout_share + 0.5)
    cut = as_of - pd.Timedelta(days=holdout_days)
    daily = orders[["customer_id", "order_date"]].drop_duplicates()
    start = daily.groupby("customer_id")["order_date"].min()
    daily = daily[daily["customer_id"].map(start) <= cut]
    calibration = daily[daily["order_date"] <= cut].groupby("customer_id")["order_date"]
    frame = pd.DataFrame(
        {
            "frequency": calibration.size() - 1,
            "recency_weeks": (calibration.max() - calibration.min()).dt.days / 7,
            "age_weeks": (cut - calibration.min()).dt.days / 7,
        }
    )
    holdout = daily[daily["order_date"] > cut].groupby("customer_id").size()
    frame["holdout_purchases"] = holdout.reindex(frame.index, fill_value=0)
    return frame, holdout_days


def test_backtest_equals_an_independent_holdout_computation(clv_build: ClvBuild) -> None:
    expected, holdout_days = pandas_backtest_histories(clv_build.orders)
    period = clv_build.run.query("select * from int_clv_backtest_period").iloc[0]
    assert (int(period["holdout_days"]), float(period["sample_share"]), bool(period["is_long_enough"])) == (
        holdout_days,
        1.0,
        True,
    )
    histories = clv_build.run.query(
        "select customer_id::bigint as customer_id, histories.* exclude (customer_key) "
        "from int_clv_backtest_histories as histories inner join dim_customer using (customer_key)"
    ).set_index("customer_id")
    assert sorted(histories.index) == sorted(expected.index)
    histories = histories.loc[expected.index]
    assert (histories["frequency"].to_numpy() == expected["frequency"].to_numpy()).all()
    assert (histories["holdout_purchases"].to_numpy() == expected["holdout_purchases"].to_numpy()).all()
    np.testing.assert_allclose(histories["recency_weeks"], expected["recency_weeks"], rtol=1e-12)
    np.testing.assert_allclose(histories["age_weeks"], expected["age_weeks"], rtol=1e-12)

    x, t_x, age = (expected[c].to_numpy(float) for c in ("frequency", "recency_weeks", "age_weeks"))
    fit = btyd.fit_bgnbd(x, t_x, age)
    weeks = holdout_days / 7
    frame = expected.assign(
        model=btyd.bgnbd_conditional_expected_purchases(fit, weeks, x, t_x, age),
        naive=np.where(age > 0, x / np.where(age > 0, age, 1) * weeks, 0.0),
        group=np.minimum(x, 7).astype(int).astype(str),
    )
    frame.loc[frame["group"] == "7", "group"] = "7+"
    frame["model_error"] = (frame["holdout_purchases"] - frame["model"]).abs()
    frame["naive_error"] = (frame["holdout_purchases"] - frame["naive"]).abs()
    by_group = frame.groupby("group").agg(
        customers=("model", "size"),
        actual=("holdout_purchases", "sum"),
        model=("model", "sum"),
        naive=("naive", "sum"),
        mae=("model_error", "mean"),
        naive_mae=("naive_error", "mean"),
    )
    by_group.loc["all"] = [
        len(frame),
        frame["holdout_purchases"].sum(),
        frame["model"].sum(),
        frame["naive"].sum(),
        frame["model_error"].mean(),
        frame["naive_error"].mean(),
    ]
    table = clv_build.run.query("select * from clv_backtest order by group_order").set_index(
        "frequency_group"
    )
    assert set(table["backtest_status"]) == {"complete"} and set(table["model_name"]) == {"bg_nbd"}
    table = table.loc[by_group.index]
    assert (table["customers"].to_numpy() == by_group["customers"].to_numpy()).all()
    np.testing.assert_array_equal(table["actual_purchases"], by_group["actual"])
    np.testing.assert_allclose(table["expected_purchases"], by_group["model"], rtol=1e-5)
    np.testing.assert_allclose(table["naive_purchases"], by_group["naive"], rtol=1e-12)
    np.testing.assert_allclose(table["mae"], by_group["mae"], rtol=1e-5)
    np.testing.assert_allclose(table["naive_mae"], by_group["naive_mae"], rtol=1e-12)
    total = table.loc["all"]
    assert total["error_pct"] == pytest.approx(
        100 * (total["expected_purchases"] / total["actual_purchases"] - 1)
    )
    assert bool(total["model_beats_naive"]) == (total["mae"] < total["naive_mae"])

    insight = clv_build.run.query("select * from business_insights where insight_key = 'clv_backtest'").iloc[
        0
    ]
    assert insight["severity"] == ("info" if total["model_beats_naive"] else "warning")
    assert insight["metric_value"] == pytest.approx(total["mae"]) and insight[
        "secondary_value"
    ] == pytest.approx(total["naive_mae"])
    assert f"{total['mae']:.3f} vs {total['naive_mae']:.3f}" in insight["headline"]


def test_notebook_draws_the_clv_checks(clv_build: ClvBuild, tmp_path: Path) -> None:
    """Section 8 of the analysis notebook on a warehouse whose fit converged: the backtest chart, the
    frequency/recency heatmaps and the churn-by-segment chart are drawn (tests/test_notebook.py renders the
    report on a warehouse without a usable fit, where the heatmaps say why they are skipped)."""
    from salesdw.outputs.report import execute_notebook

    notebook = execute_notebook(
        clv_build.run.workspace.data_dir, extra_env={"SALESDW_FIGURE_DIR": str(tmp_path)}
    )
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert errors == []
    for name in ("clv_backtest", "clv_frequency_recency", "clv_churn_by_segment"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000, name
    text = "".join(out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", []))
    # Only the marketing section (no marketing files in this fixture) may be skipped.
    skipped = [line for line in text.splitlines() if "skipped" in line]
    assert "Model comparison:" in text and all("marketing" in line for line in skipped), skipped

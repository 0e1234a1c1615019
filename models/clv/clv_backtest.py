"""The build's backtest of its purchase model (the clv_model var): fit on the history before the cut of
int_clv_backtest_period, predict each customer's holdout purchases, and compare with the actual ones and
with a naive baseline, by calibration frequency and in total (salesdw.clv.backtest.backtest_table). The
calibration fit starts from the build's own fit (clv_model_fit). Only distinct (x, t_x, T, holdout
purchases) rows leave DuckDB, with their customer counts."""

from salesdw.clv import backtest
from salesdw.clv import tables as clv


def model(dbt, session):
    dbt.config(materialized="table")
    # Literal dbt.config.get calls: dbt passes a Python model only the config keys its parser finds in the
    # model file itself (a call inside salesdw would get None for every var).
    config = {
        "clv_horizon_months": dbt.config.get("clv_horizon_months"),
        "clv_monthly_discount_rate": dbt.config.get("clv_monthly_discount_rate"),
        "clv_min_repeat_buyers": dbt.config.get("clv_min_repeat_buyers"),
        "clv_model": dbt.config.get("clv_model"),
        "clv_compare_models": dbt.config.get("clv_compare_models"),
        "clv_compare_max_histories": dbt.config.get("clv_compare_max_histories"),
    }
    settings = clv.ClvSettings.from_config(config.get)
    period = dbt.ref("int_clv_backtest_period")
    rows = [dict(zip(period.columns, values, strict=True)) for values in period.fetchall()]
    history = backtest.BacktestHistory.from_columns(
        dbt.ref("int_clv_backtest_histories").aggregate(*backtest.BACKTEST_GROUPS).fetchnumpy()
    )
    # Ordering only: after the scores, so this Python model runs beside customer_clv's SQL (which releases
    # the interpreter lock) instead of beside the other Python model (both ran slower sharing it).
    dbt.ref("int_clv_customer_scores")
    fit = dbt.ref("clv_model_fit")
    fitted = clv.fitted_models([dict(zip(fit.columns, values, strict=True)) for values in fit.fetchall()])
    start = {fitted.purchase_name: fitted.purchases} if fitted.purchases else None
    period_row = backtest.BacktestPeriod.from_row(rows[0] if rows else {})
    return backtest.backtest_table(history, period_row, settings, initial=start)

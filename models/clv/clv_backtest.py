"""The build's backtest of its purchase model (the clv_model var): fit on the history before the cut of
int_clv_backtest_period, predict each customer's holdout purchases, and compare with the actual ones and
with a naive baseline, by calibration frequency and in total (salesdw.clv.backtest.backtest_table). The
calibration fit starts from the build's own fit (clv_model_fit). Only distinct (x, t_x, T, holdout
purchases) rows leave DuckDB, with their customer counts."""

from salesdw.clv import backtest
from salesdw.clv import tables as clv


def model(dbt, session):
    dbt.config(materialized="table")
    settings = clv.ClvSettings.from_config(dbt.config.get)
    period = dbt.ref("int_clv_backtest_period")
    rows = [dict(zip(period.columns, values, strict=True)) for values in period.fetchall()]
    history = backtest.BacktestHistory.from_columns(
        dbt.ref("int_clv_backtest_histories").aggregate(*backtest.BACKTEST_GROUPS).fetchnumpy()
    )
    return backtest.backtest_table(
        history, backtest.BacktestPeriod.from_row(rows[0] if rows else {}), settings
    )

"""Per customer: P(alive), expected purchases in the next 30/90/365 days, expected average order value and
predicted CLV, from the parameters in clv_model_fit (salesdw.clv.score_table). Columns whose fit did not
converge are null. Only the key and doubles leave pandas; customer_clv adds the typed columns."""

from salesdw import clv


def model(dbt, session):
    dbt.config(materialized="table")
    history = clv.PurchaseHistory.from_columns(
        dbt.ref("int_customer_purchase_history").project(clv.HISTORY_PROJECTION).fetchnumpy()
    )
    fit = dbt.ref("clv_model_fit")
    rows = [dict(zip(fit.columns, values, strict=True)) for values in fit.fetchall()]
    return clv.score_table(history, clv.fitted_models(rows))

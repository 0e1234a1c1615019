"""The Spark engine (`run_pipeline.py build --engine spark`): the same dbt project on a local Spark session.

dbt-spark's session method cannot run dbt Python models (they need a Databricks cluster), so a Spark build is
three steps in one process, sharing one Spark session (started by dbt-spark on its first query):

1. `dbt build --target spark` of every node except the three CLV Python models and what depends on them;
2. the CLV fit, scoring and backtest here, with the same salesdw.clv code the DuckDB Python models call, on
   the small grouped tables SQL made (distinct histories with their customer counts); the results are written
   as Spark tables under the Python models' names;
3. `dbt build` of what depends on them (customer_clv, the business layer) and the tests of those tables.

Where the warehouse lives: DATA_DIR/spark/warehouse (parquet tables) and DATA_DIR/spark/metastore_db (the
Derby catalog), set by the `spark` target of profiles.yml from SALESDW_DATA_DIR.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesdw.clv import backtest
from salesdw.clv import tables as clv
from salesdw.paths import Workspace

# The dbt Python models the runner computes on Spark, in the order they run.
PYTHON_MODELS: tuple[str, ...] = ("clv_model_fit", "int_clv_customer_scores", "clv_backtest")
DEFAULT_SCHEMA = "salesdw"
SPARK_INSTALL_HINT = 'pip install -e ".[spark]" (dbt-spark[session] and pyspark)'


class SparkUnavailable(Exception):
    """The Spark engine cannot start here; the message is one line: what is missing and what to do."""


def check_spark_available() -> None:
    """pyspark, dbt-spark and a Java runtime, checked before anything starts (one line each, no trace)."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        raise SparkUnavailable(
            f"the Spark engine needs pyspark and dbt-spark ({error.name} is not installed): "
            f"{SPARK_INSTALL_HINT}"
        ) from None
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home) / "bin" / "java" if java_home else None
    if not (java and java.exists()) and shutil.which("java") is None:
        raise SparkUnavailable(
            "the Spark engine needs a Java runtime (17 or 21) and none was found: install one (e.g. "
            "apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )


def spark_schema() -> str:
    """The schema (Spark database) the build writes: SALESDW_SPARK_SCHEMA, as in profiles.yml."""
    return os.environ.get("SALESDW_SPARK_SCHEMA") or DEFAULT_SCHEMA


def spark_dir(workspace: Workspace) -> Path:
    return workspace.data_dir / "spark"


def python_model_selector() -> list[str]:
    """The Python models and everything downstream of them (dbt selection syntax)."""
    return [f"{name}+" for name in PYTHON_MODELS]


def active_session() -> Any:
    """The Spark session dbt-spark started in this process (getOrCreate returns it, settings and all)."""
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    return session if session is not None else SparkSession.builder.getOrCreate()


def model_configs(manifest_path: Path) -> dict[str, Mapping[str, Any]]:
    """The rendered config of each Python model (the clv_* settings of _clv.yml) from dbt's manifest."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    return {
        node["name"]: node.get("config", {})
        for node in nodes.values()
        if node.get("resource_type") == "model" and node["name"] in PYTHON_MODELS
    }


def python_model_id(manifest_path: Path) -> str:
    """The unique id of the first Python model (model.<project>.clv_model_fit) in dbt's manifest."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    return next(key for key, node in nodes.items() if node["name"] == PYTHON_MODELS[0])


def _columns(frame: Any) -> dict[str, np.ndarray]:
    """A small Spark DataFrame as numpy columns (what a DuckDB relation's fetchnumpy() gives)."""
    rows = frame.collect()
    return {
        name: np.array([row[index] for row in rows], dtype=object) for index, name in enumerate(frame.columns)
    }


def _records(frame: Any) -> list[dict[str, Any]]:
    return [row.asDict() for row in frame.collect()]


def fit_clv(spark: Any, schema: str, configs: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """What the three CLV Python models do (models/clv/*.py), on Spark tables: the same salesdw.clv calls on
    the same grouped inputs, each result written as a table of that name. Returns the rows written."""
    written: dict[str, int] = {}

    def table(name: str) -> str:
        return f"{schema}.{name}"

    def grouped(columns: str, source: str, groups: str, where: str = "") -> dict[str, np.ndarray]:
        """The grouped rows the CLV code reads (its SPEND_GROUPS / BACKTEST_GROUPS), as columns."""
        return _columns(spark.sql(f"select {columns} from {table(source)} {where} group by {groups}"))

    settings = clv.ClvSettings.from_config(dict(configs.get("clv_model_fit", {})).get)
    history = clv.PurchaseHistory.from_columns(_columns(spark.table(table("int_clv_distinct_histories"))))
    spend_columns, spend_groups = clv.SPEND_GROUPS
    spend = clv.SpendHistory.from_columns(
        grouped(spend_columns, "int_customer_purchase_history", spend_groups, where="where frequency > 0")
    )
    dates = spark.sql(f"select as_of_date from {table('int_analysis_date')}").collect()
    analysis_date = dates[0][0] if dates else None
    fit = clv.fit_table(clv.fit_models(history, spend, settings), settings, analysis_date)
    written["clv_model_fit"] = write_table(spark, fit, table("clv_model_fit"))

    # As the DuckDB models do: the scores and the backtest read the fit back from its table.
    fitted = clv.fitted_models(_records(spark.table(table("clv_model_fit"))))
    written["int_clv_customer_scores"] = write_table(
        spark, clv.score_table(history, fitted), table("int_clv_customer_scores")
    )

    backtest_settings = clv.ClvSettings.from_config(dict(configs.get("clv_backtest", {})).get)
    periods = _records(spark.table(table("int_clv_backtest_period")))
    backtest_columns, backtest_groups = backtest.BACKTEST_GROUPS
    backtest_history = backtest.BacktestHistory.from_columns(
        grouped(backtest_columns, "int_clv_backtest_histories", backtest_groups)
    )
    start = {fitted.purchase_name: fitted.purchases} if fitted.purchases else None
    period = backtest.BacktestPeriod.from_row(periods[0] if periods else {})
    written["clv_backtest"] = write_table(
        spark,
        backtest.backtest_table(backtest_history, period, backtest_settings, initial=start),
        table("clv_backtest"),
    )
    return written


def _spark_type(series: pd.Series) -> Any:
    from pyspark.sql import types

    kind = series.dtype.kind
    if kind == "b":
        return types.BooleanType()
    if kind in "iu":
        return types.LongType()
    if kind == "f":
        return types.DoubleType()
    if kind == "M":
        return types.TimestampType()
    values = [value for value in series if not _missing(value)]
    first = values[0] if values else None
    if isinstance(first, bool):
        return types.BooleanType()
    if isinstance(first, int | np.integer):
        return types.LongType()
    if isinstance(first, float | np.floating | Decimal):
        return types.DoubleType()
    if isinstance(first, datetime):
        return types.TimestampType()
    if isinstance(first, date):
        return types.DateType()
    # Text, and columns that are null throughout (DuckDB stores pandas' all-None column as an integer
    # column; nothing downstream reads its type).
    return types.StringType()


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or _is_nan(value)


def _plain(value: Any) -> Any:
    """A value Spark accepts: NaN becomes null (as DuckDB stores a pandas NaN), numpy scalars Python ones."""
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        return None if _is_nan(value) else value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def write_table(spark: Any, frame: pd.DataFrame, name: str) -> int:
    """Writes a pandas frame as a parquet table (replacing it), with an explicit schema so that all-null
    columns and NaN behave as in DuckDB. Returns the number of rows."""
    from pyspark.sql import types

    schema = types.StructType(
        [
            types.StructField(str(column), _spark_type(frame[column]), nullable=True)
            for column in frame.columns
        ]
    )
    rows = [tuple(_plain(value) for value in row) for row in frame.itertuples(index=False, name=None)]
    spark.createDataFrame(rows, schema=schema).write.mode("overwrite").format("parquet").saveAsTable(name)
    return len(rows)


def table_counts(spark: Any, schema: str, names: Iterator[str] | tuple[str, ...]) -> dict[str, int]:
    """Row counts of the named tables that exist (the Spark build's summary)."""
    existing = {row.tableName for row in spark.sql(f"show tables in {schema}").collect()}
    return {name: spark.table(f"{schema}.{name}").count() for name in names if name in existing}

"""`run_pipeline.py build --engine spark`: the same input check and dbt project, on a local Spark session.

What differs from the DuckDB build (salesdw.pipeline.build), and why (DECISIONS.md, "Spark"):
- no write-audit-publish: dbt-spark replaces each table in place in the target schema (Spark has no atomic
  swap of a whole schema), so a failed build leaves the tables it reached rebuilt; the runner says so;
- incremental models are plain tables rebuilt in full (delete+insert needs Delta);
- the CLV Python models are computed by the runner between two dbt invocations (salesdw.pipeline.spark);
- the marketing files are not read on Spark yet (the marketing models build empty);
- the summary is row counts read from Spark; exports, the report and the notebook read the DuckDB warehouse.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from salesdw.inputs.input_check import InputError, check_raw_input
from salesdw.inputs.spec import load_spec
from salesdw.paths import Workspace
from salesdw.pipeline.build import (
    EXIT_BAD_INPUT,
    EXIT_BUILD_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    BuildRequest,
    Printer,
    _bad_input,
    _scan_inputs,
    check_as_of_date,
    dbt_build_args,
    dbt_environment,
)
from salesdw.pipeline.dbt_invoke import BuildOutcome, NodeResult, run_dbt
from salesdw.pipeline.locking import BuildLocked, build_lock
from salesdw.pipeline.run_log import RunRecord, append_run, describe_files
from salesdw.pipeline.spark import (
    PYTHON_MODELS,
    SparkUnavailable,
    active_session,
    check_spark_available,
    fit_clv,
    model_configs,
    python_model_selector,
    spark_dir,
    spark_schema,
    table_counts,
)
from salesdw.pipeline.summary import dbt_wall_seconds, format_layers, summarise_layers

EXIT_NO_SPARK = 5
SPARK_CONF_DIR = Path(__file__).resolve().parent / "spark_conf"
SUMMARY_TABLES: tuple[str, ...] = (
    "fact_sales",
    "fact_returns",
    "dim_customer",
    "customer_clv",
    "customer_ltv",
    "customer_segments",
    "campaign_targets",
)


def spark_dbt_args(workspace: Workspace, request: BuildRequest) -> list[str]:
    """`dbt build` on the spark target; incremental models are tables there, so every build is full."""
    return [*dbt_build_args(workspace, replace(request, full_refresh=False)), "--target", "spark"]


def run_spark_build(request: BuildRequest, workspace: Workspace, echo: Printer = print) -> int:
    record = RunRecord.start("build", str(request.raw_path), as_of_date=request.as_of_date)
    try:
        check_spark_available()
    except SparkUnavailable as error:
        echo(f"error: {error}")
        return EXIT_NO_SPARK
    try:
        check_as_of_date(request.as_of_date)
        spec = load_spec(request.input_spec) if request.input_spec else None
        report = check_raw_input(request.raw_path, spec)
    except InputError as error:
        return _bad_input(workspace, record, error, echo)
    record.inputs = describe_files(report.files)
    try:
        with build_lock(workspace, record):
            append_run(workspace, record)
            return _locked_spark_build(request, workspace, report, record, echo)
    except BuildLocked as locked:
        echo(f"error: {locked}")
        append_run(workspace, record.finish("locked", message=str(locked)))
        return EXIT_LOCKED
    except InputError as error:
        return _bad_input(workspace, record, error, echo)


def _locked_spark_build(
    request: BuildRequest, workspace: Workspace, report, record: RunRecord, echo: Printer
) -> int:
    # No 'nothing changed' shortcut on Spark (its tables are not one published file): the scans' facts go
    # into a fingerprint nobody records.
    report, _ = _scan_inputs(workspace, report, None, record, echo, fingerprint={})
    if request.marketing_dir:
        echo(f"note: the Spark engine does not read marketing files yet; {request.marketing_dir} is ignored")
    schema = spark_schema()
    echo(f"building from {report.pattern} ({len(report.files)} file(s), {report.total_bytes:,} bytes)")
    echo(f"engine: Spark (local session), schema {schema} in {spark_dir(workspace)}")
    env = {
        **dbt_environment(
            workspace, report, request.as_of_date, max_rejected_share=request.max_rejected_share
        ),
        "SALESDW_SPARK_SCHEMA": schema,
        # Spark's log4j settings (errors only, profiles.yml) unless the user gives Java options of their own.
        "SALESDW_SPARK_JAVA_OPTIONS": os.environ.get("SALESDW_SPARK_JAVA_OPTIONS")
        or f"-Dlog4j2.configurationFile=file:{SPARK_CONF_DIR / 'log4j2.properties'}",
    }
    args = spark_dbt_args(workspace, request)
    quiet = not request.verbose
    # 1. Everything the CLV Python models do not feed.
    first = run_dbt([*args, "--exclude", *python_model_selector()], env, quiet=quiet)
    nodes: tuple[NodeResult, ...] = first.nodes
    outcome: BuildOutcome | None = None
    if first.success:
        # 2. The Python models' tables, computed here with the same salesdw.clv code.
        started = time.monotonic()
        spark = active_session()
        written = fit_clv(spark, schema, model_configs(workspace.target_dir / "manifest.json"))
        echo(
            f"clv: {', '.join(f'{name} {rows:,} rows' for name, rows in written.items())} "
            f"({time.monotonic() - started:.1f} s, in the runner: dbt-spark's session runs no Python models)"
        )
        # 3. What reads them, and their tests.
        outcome = run_dbt(
            [*args, "--select", *python_model_selector(), "--exclude", *PYTHON_MODELS], env, quiet=quiet
        )
        nodes = (*nodes, *outcome.nodes)
    echo(format_layers(summarise_layers(nodes), dbt_wall_seconds(nodes)))
    failed = [node for node in nodes if node.failed and node.resource_type != "operation"]
    error = first.error if not first.success else (outcome.error if outcome and not outcome.success else None)
    if failed or error:
        for node in failed:
            echo(f"FAILED: {node.describe()}")
        if error and not failed:
            echo(f"FAILED: {error}")
        echo(
            f"The Spark tables in schema {schema} are partly rebuilt: the Spark engine writes in place "
            "(no write-audit-publish); fix the cause and build again."
        )
        append_run(
            workspace,
            record.finish(
                "failed",
                failing_nodes=[node.unique_id for node in failed],
                message=failed[0].describe() if failed else error or "",
            ),
        )
        return (
            EXIT_BAD_INPUT
            if any(node.name == "input_makes_a_warehouse" for node in failed)
            else EXIT_BUILD_FAILED
        )
    counts = table_counts(active_session(), schema, SUMMARY_TABLES)
    echo("rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    echo(
        f"built schema {schema} on Spark ({spark_dir(workspace)}). Exports, the report and the notebook read "
        "the DuckDB warehouse: build with --engine duckdb for those, or read the Spark tables directly."
    )
    append_run(workspace, record.finish("success", counts=counts))
    return EXIT_OK

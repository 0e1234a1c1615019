"""`run_pipeline.py build --engine spark`: the same input check and dbt project, on a local Spark session.

What differs from the DuckDB build (salesdw.pipeline.build), and why (DECISIONS.md, "Spark"):
- no write-audit-publish: dbt-spark replaces each table in place in the target schema (Spark has no atomic
  swap of a whole schema), so a failed build leaves the tables it reached rebuilt; the runner says so;
- incremental models are plain tables rebuilt in full (delete+insert needs Delta);
- the CLV Python models are computed by the runner between two dbt invocations (salesdw.pipeline.spark);
- the summary is row counts read from Spark; exports, the report and the notebook read the DuckDB warehouse.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

from salesdw.inputs.input_check import InputError, check_raw_input
from salesdw.inputs.marketing_check import MarketingReport, check_marketing_dir
from salesdw.inputs.spec import load_spec
from salesdw.paths import SPARK_RUN_RESULTS, Workspace
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
    python_model_id,
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
MARKETING_SUMMARY_TABLES: tuple[str, ...] = ("fact_ad_spend", "fact_touchpoints", "order_attribution")


def _dbt_results(workspace: Workspace) -> list[dict]:
    """The node results of the dbt invocation that just ended (its run_results.json)."""
    path = workspace.target_dir / "run_results.json"
    return json.loads(path.read_text())["results"] if path.exists() else []


def write_run_results(workspace: Workspace, results: list[dict], seconds: float) -> None:
    """What `run_pipeline.py bench --engine spark` reads for the time per layer (salesdw.paths)."""
    (workspace.target_dir / SPARK_RUN_RESULTS).write_text(
        json.dumps({"results": results, "elapsed_time": seconds}, indent=1)
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
        marketing = check_marketing_dir(request.marketing_dir) if request.marketing_dir else None
    except InputError as error:
        return _bad_input(workspace, record, error, echo)
    record.inputs = describe_files((*report.files, *(marketing.files if marketing else ())))
    try:
        with build_lock(workspace, record):
            append_run(workspace, record)
            return _locked_spark_build(request, workspace, report, marketing, record, echo)
    except BuildLocked as locked:
        echo(f"error: {locked}")
        append_run(workspace, record.finish("locked", message=str(locked)))
        return EXIT_LOCKED
    except InputError as error:
        return _bad_input(workspace, record, error, echo)


def _locked_spark_build(
    request: BuildRequest,
    workspace: Workspace,
    report,
    marketing: MarketingReport | None,
    record: RunRecord,
    echo: Printer,
) -> int:
    # No 'nothing changed' shortcut on Spark (its tables are not one published file): the scans' facts go
    # into a fingerprint nobody records.
    report, marketing = _scan_inputs(workspace, report, marketing, record, echo, fingerprint={})
    schema = spark_schema()
    echo(f"building from {report.pattern} ({len(report.files)} file(s), {report.total_bytes:,} bytes)")
    if marketing:
        echo(f"marketing from {marketing.describe()}")
    echo(f"engine: Spark (local session), schema {schema} in {spark_dir(workspace)}")
    env = {
        **dbt_environment(
            workspace,
            report,
            request.as_of_date,
            marketing=marketing,
            max_rejected_share=request.max_rejected_share,
        ),
        "SALESDW_SPARK_SCHEMA": schema,
        # Spark's log4j settings (errors only, profiles.yml) unless the user gives Java options of their own.
        "SALESDW_SPARK_JAVA_OPTIONS": os.environ.get("SALESDW_SPARK_JAVA_OPTIONS")
        or f"-Dlog4j2.configurationFile=file:{SPARK_CONF_DIR / 'log4j2.properties'}",
    }
    args = spark_dbt_args(workspace, request)
    quiet = not request.verbose
    started = time.monotonic()
    # 1. Everything the CLV Python models do not feed.
    first = run_dbt([*args, "--exclude", *python_model_selector()], env, quiet=quiet)
    nodes: tuple[NodeResult, ...] = first.nodes
    results = _dbt_results(workspace)
    outcome: BuildOutcome | None = None
    if first.success:
        # 2. The Python models' tables, computed here with the same salesdw.clv code.
        fit_started = time.monotonic()
        spark = active_session()
        manifest = workspace.target_dir / "manifest.json"
        written = fit_clv(spark, schema, model_configs(manifest))
        fit_seconds = time.monotonic() - fit_started
        echo(
            f"clv: {', '.join(f'{name} {rows:,} rows' for name, rows in written.items())} "
            f"({fit_seconds:.1f} s, in the runner: dbt-spark's session runs no Python models)"
        )
        # The fit's time as the first Python model's node (the bench's clv column).
        results.append({"unique_id": python_model_id(manifest), "execution_time": fit_seconds})
        # 3. What reads them, and their tests.
        outcome = run_dbt(
            [*args, "--select", *python_model_selector(), "--exclude", *PYTHON_MODELS], env, quiet=quiet
        )
        nodes = (*nodes, *outcome.nodes)
        results += _dbt_results(workspace)
    write_run_results(workspace, results, time.monotonic() - started)
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
    summarised = (*SUMMARY_TABLES, *(MARKETING_SUMMARY_TABLES if marketing else ()))
    counts = table_counts(active_session(), schema, summarised)
    echo("rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    echo(
        f"built schema {schema} on Spark ({spark_dir(workspace)}). Exports, the report and the notebook read "
        "the DuckDB warehouse: build with --engine duckdb for those, or read the Spark tables directly."
    )
    append_run(workspace, record.finish("success", counts=counts))
    return EXIT_OK

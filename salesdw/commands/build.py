"""`run_pipeline.py [build] [CSV_PATH]`: validate the input, build, publish, summarise."""

from __future__ import annotations

import argparse
from pathlib import Path

from salesdw.paths import DEFAULT_MARKETING_DIR, DEFAULT_RAW_PATH, Workspace
from salesdw.pipeline.build import BuildRequest, run_build

HELP = "validate the input and build the warehouse (the default command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "raw_path",
        nargs="?",
        type=Path,
        default=DEFAULT_RAW_PATH,
        help="raw sales file (CSV, or Parquet / JSON lines with --input-spec), a directory of such files or "
        "a glob (default: the bundled sample)",
    )
    parser.add_argument(
        "--input-spec",
        type=Path,
        help="YAML file saying how to read your export: format, delimiter, date format, which column is the "
        "customer, the date, the amount ... (README, 'Your own data'; `inspect FILE` suggests one)",
    )
    parser.add_argument(
        "--max-rejected-share",
        type=float,
        help="stop (exit 2) when more than this share of the rows read is rejected (default 0.5, the "
        "max_rejected_row_share var)",
    )
    parser.add_argument(
        "--marketing-dir",
        type=Path,
        help="directory of marketing files (ad_spend*.csv|jsonl, touchpoints*.csv|jsonl); default: none, or "
        "the bundled data/sample/marketing when building the bundled sample",
    )
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="duckdb (default): the warehouse file DATA_DIR/warehouse.duckdb; spark: the same models on a "
        'local Spark session (pip install -e ".[spark]", Java 17), tables in DATA_DIR/spark (README, '
        '"Engines")',
    )
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build even when the input files, the code and the settings are those of the published "
        "warehouse (otherwise such a build says so and stops in about a second)",
    )
    parser.add_argument("--as-of-date", help="analysis date YYYY-MM-DD (default: the last order date)")
    parser.add_argument("--verbose", action="store_true", help="show dbt's own log lines")
    parser.add_argument(
        "--with-unit-tests", action="store_true", help="also run dbt's unit tests (CI runs them anyway)"
    )
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="do not rewrite exports/campaign_targets.csv after publishing (at 10M orders: 1.3 GB, ~15 s); "
        "`run_pipeline.py export campaign_targets` writes it on demand",
    )


def run(args: argparse.Namespace, workspace: Workspace) -> int:
    request = BuildRequest(
        raw_path=args.raw_path,
        full_refresh=args.full_refresh,
        as_of_date=args.as_of_date,
        verbose=args.verbose,
        unit_tests=args.with_unit_tests,
        export=not args.no_export,
        marketing_dir=args.marketing_dir
        or (DEFAULT_MARKETING_DIR if args.raw_path == DEFAULT_RAW_PATH else None),
        input_spec=args.input_spec,
        max_rejected_share=args.max_rejected_share,
        rebuild=args.rebuild,
    )
    if args.engine == "spark":
        from salesdw.pipeline.spark_build import run_spark_build

        return run_spark_build(request, workspace)
    return run_build(request, workspace)

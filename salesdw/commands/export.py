"""`run_pipeline.py export campaign_targets --out FILE.csv [filters]`: a clean CSV for the campaign tool."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from salesdw.outputs.export import (
    EXPORT_TABLES,
    CampaignFilters,
    ExportError,
    export_campaign_targets,
    parse_min_value,
)
from salesdw.paths import Workspace

HELP = "export campaign_targets from the published warehouse to a CSV file (optionally filtered)"

EXIT_OK = 0
EXIT_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", choices=EXPORT_TABLES, help="what to export")
    parser.add_argument(
        "--out", type=Path, required=True, help="the CSV file to write (its folder must exist)"
    )
    parser.add_argument("--campaign-type", help="only this campaign type, e.g. Retention (case-insensitive)")
    parser.add_argument("--priority", help="only this priority: High, Medium or Low (case-insensitive)")
    parser.add_argument(
        "--min-value", help="only targets whose estimated_campaign_value is at least this amount, e.g. 25"
    )


def run(args: argparse.Namespace, workspace: Workspace) -> int:
    try:
        filters = CampaignFilters(
            campaign_type=args.campaign_type,
            priority=args.priority,
            min_value=parse_min_value(args.min_value) if args.min_value is not None else None,
        )
        result = export_campaign_targets(workspace, args.out, filters)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(f"exported {result.rows:,} rows to {result.path}")
    return EXIT_OK

"""`run_pipeline.py export TABLE --out FILE.csv [filters]`: a clean CSV of campaign_targets (for the campaign
tool), channel_performance or order_attribution."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from salesdw.outputs.export import EXPORT_TABLES, FILTERS, ExportError, export_table
from salesdw.paths import Workspace

HELP = "export campaign_targets, channel_performance or order_attribution to a CSV file (optionally filtered)"

EXIT_OK = 0
EXIT_ERROR = 2

# What each filter means, for --help (which tables take it is checked when the export runs).
FILTER_HELP: dict[str, str] = {
    "campaign_type": "campaign_targets: only this campaign type, e.g. Retention (case-insensitive)",
    "priority": "campaign_targets: only this priority: High, Medium or Low (case-insensitive)",
    "min_value": "campaign_targets: only targets whose estimated_campaign_value is at least this, e.g. 25",
    "grain": "channel_performance: only this time grain: day, week or month",
    "channel": "channel_performance, order_attribution: only this channel, e.g. google_ads",
    "campaign": "channel_performance: only this campaign id",
    "model": "order_attribution: only this attribution model (first_touch, last_touch, linear, time_decay, "
    "position_based)",
    "date_from": "channel_performance (period start), order_attribution (order date): from this day",
    "date_to": "channel_performance, order_attribution: up to this day (inclusive), YYYY-MM-DD",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", choices=EXPORT_TABLES, help="what to export")
    parser.add_argument(
        "--out", type=Path, required=True, help="the CSV file to write (its folder must exist)"
    )
    for item in FILTERS:
        parser.add_argument(item.flag, dest=item.option, help=FILTER_HELP.get(item.option))


def run(args: argparse.Namespace, workspace: Workspace) -> int:
    filters = {item.option: getattr(args, item.option) for item in FILTERS}
    try:
        result = export_table(workspace, args.table, args.out, filters)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(f"exported {result.rows:,} rows to {result.path}")
    return EXIT_OK

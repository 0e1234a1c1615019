"""`run_pipeline.py inspect PATH [--input-spec SPEC.yml]`: a dry run on a sample of the file, in seconds.

Shows the columns found and the mapping used, the first rows as staging parses them, the rejections by reason
on the sample, and, when no spec is given and the columns are not the defaults, a suggested spec."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import duckdb

from salesdw.inputs.errors import InputError
from salesdw.inputs.input_check import EXPECTED_COLUMNS, read_columns, read_json_lines, sniff_delimiter
from salesdw.inputs.sample import Sample, first_input_file, guess_format, take_sample
from salesdw.inputs.spec import InputSpec, describe_mapping, load_spec, parse_spec
from salesdw.inputs.suggest import Suggestion, suggest_spec
from salesdw.paths import Workspace
from salesdw.pipeline.build import EXIT_BAD_INPUT
from salesdw.pipeline.preview import Preview, preview_staging
from salesdw.pipeline.rejections import format_short_summary

HELP = "dry run: read a sample of a file, show how it would be parsed and suggest an input spec"
_VALUE_WIDTH = 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("raw_path", type=Path, help="the sales file (or a directory / glob: its first file)")
    parser.add_argument("--input-spec", type=Path, help="the input spec to try (default: suggest one)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the sample (default 10,000)")
    parser.add_argument("--write-spec", type=Path, help="save the suggested spec to this file")


def run(args: argparse.Namespace, workspace: Workspace, echo: Any = print) -> int:
    try:
        return _inspect(args, workspace, echo)
    except InputError as error:
        echo(f"error: {error}")
        if error.hint:
            echo(f"hint: {error.hint}")
        return EXIT_BAD_INPUT


def _inspect(args: argparse.Namespace, workspace: Workspace, echo: Any) -> int:
    spec = load_spec(args.input_spec) if args.input_spec else None
    source = first_input_file(args.raw_path, spec)
    fmt = spec.format if spec else guess_format(source)
    header = spec.header if spec else True
    folder = workspace.build_dir / "inspect"
    sample = take_sample(source, fmt, header, max(1, args.rows), folder / "sample")
    size = source.stat().st_size
    what = "the whole file" if sample.is_whole_file else f"a sample of its first {sample.rows:,} rows"
    echo(f"inspecting {source} ({size:,} bytes; {what})")

    # How to read the columns: the spec's reader, or the format's with a sniffed delimiter.
    probe = spec or InputSpec(columns={}, format=fmt)
    if fmt == "csv" and probe.delimiter is None:
        probe = dataclasses.replace(probe, delimiter=sniff_delimiter(sample.path, header))
    columns = read_columns(sample.path, probe)
    echo(f"columns found ({len(columns)}): {', '.join(columns)}")

    if spec is None and fmt == "csv" and all(column in columns for column in EXPECTED_COLUMNS):
        echo("the columns are the defaults: no input spec needed")
    elif spec is None:
        values = _sample_values(sample, probe, columns)
        suggestion = suggest_spec(list(values), values, fmt, probe.delimiter)
        spec = _show_suggestion(suggestion, source, args.write_spec, echo)
        if spec is None:
            return EXIT_BAD_INPUT
    echo("mapping used:")
    for line in describe_mapping(spec):
        echo(f"  {line}")
    mapped = {str(name) for name in (spec.columns.values() if spec else EXPECTED_COLUMNS)}
    unused = [column for column in columns if column not in mapped]
    if unused:
        echo(f"  not used: {', '.join(unused)}")

    preview = preview_staging(sample.path, spec, folder)
    _show_preview(preview, echo)
    if preview.rejections is None:
        return 1
    command = f"python run_pipeline.py build {args.raw_path}"
    if spec is not None:
        command += f" --input-spec {args.write_spec or args.input_spec or 'SPEC.yml'}"
    echo(f"next: {command}")
    return 0


def _sample_values(sample: Sample, spec: InputSpec, columns: tuple[str, ...]) -> dict[str, list[str]]:
    """Each column's values in the sample, as text (what the suggestion looks at). A JSON object's nested
    fields are offered as JSONPaths too ($.billing.email), which the spec can map."""
    if spec.format == "jsonl":
        records = [record for _, record in read_json_lines(sample.path, 1_000) if isinstance(record, dict)]
        values = {column: [_text(record.get(column)) for record in records] for column in columns}
        for column in columns:
            nested = sorted(
                {key for record in records if isinstance(record.get(column), dict) for key in record[column]}
            )
            for key in nested:
                values[f"$.{column}.{key}"] = [
                    _text((record.get(column) or {}).get(key)) for record in records
                ]
        return {
            column: texts for column, texts in values.items() if not texts or not texts[0].startswith("{")
        }
    path = str(sample.path).replace("'", "''")
    if spec.format == "parquet":
        reader = f"read_parquet('{path}')"
    else:
        delimiter = (spec.delimiter or ",").replace("'", "''")
        reader = f"read_csv('{path}', all_varchar = true, header = true, delim = '{delimiter}')"
    with duckdb.connect(":memory:") as connection:
        names = ", ".join('cast("' + column.replace('"', '""') + '" as varchar)' for column in columns)
        rows = connection.execute(f"select {names} from {reader} limit 1000").fetchall()
    return {column: [_text(row[index]) for row in rows] for index, column in enumerate(columns)}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _show_suggestion(
    suggestion: Suggestion, source: Path, write_to: Path | None, echo: Any
) -> InputSpec | None:
    defaults = ", ".join(EXPECTED_COLUMNS)
    echo(f"no input spec given and the columns are not the defaults ({defaults}); suggested spec:")
    text = suggestion.to_yaml(source.name)
    echo("-" * 72)
    echo(text.rstrip("\n"))
    echo("-" * 72)
    if write_to:
        write_to.write_text(text)
        echo(f"saved to {write_to}")
    if not suggestion.is_complete:
        echo(
            f"cannot try it: no column for {', '.join(suggestion.missing)}; save the spec, map the "
            "column(s) by hand and run inspect again with --input-spec"
        )
        return None
    echo("trying the suggested spec on the sample:")
    return parse_spec(suggestion.spec, None)


def _show_preview(preview: Preview, echo: Any) -> None:
    if preview.rejections is None:
        failed = [node.describe() for node in preview.outcome.failed_nodes]
        echo(f"staging could not be built on the sample: {'; '.join(failed) or preview.outcome.error}")
        return
    echo("first rows as parsed:")
    header = ["row", "order_id", "customer_id", "order_date", "amount", "outcome"]
    table = [header] + [_row_cells(row) for row in preview.first_rows]
    widths = [max(len(line[index]) for line in table) for index in range(len(header))]
    for line in table:
        echo("  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    load = preview.rejections
    echo(
        f"on the sample ({load.rows_read:,} rows): {load.clean:,} clean, {load.returns:,} returns, "
        f"{load.rejected:,} rejected, {load.collapsed:,} collapsed duplicates"
    )
    for line in format_short_summary(load):
        echo(line.replace("; the rows are in stg_sales_rejected:", ", by reason:"))


def _row_cells(row: dict[str, Any]) -> list[str]:
    outcome = row["row_outcome"] + (f": {row['rejection_reason']}" if row["rejection_reason"] else "")
    values = [row["source_row_index"], row["order_id"], row["customer_id"], row["order_date"], row["amount"]]
    return [_cell(value) for value in values] + [outcome]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"

"""A sample of a raw input: its first rows as a small file of the same format, read in milliseconds whatever
the input's size (inspect judges the sample with the real staging rules)."""

from __future__ import annotations

import glob
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from salesdw.inputs.errors import InputError
from salesdw.inputs.input_check import resolve_pattern
from salesdw.inputs.spec import DIRECTORY_GLOBS, InputSpec

# Cut a text sample at this many bytes even if it has fewer rows (very wide rows).
_MAX_SAMPLE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Sample:
    source: Path  # the input file sampled (the first of a directory or glob)
    path: Path  # the sample, a file of the same name and format
    rows: int  # data rows in the sample
    is_whole_file: bool


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "csv"


def first_input_file(raw_path: Path, spec: InputSpec | None) -> Path:
    """The file a sample is taken from: the path itself, or the first match of a directory or glob."""
    path = Path(raw_path).expanduser()
    if path.is_dir() and spec is None:
        # No spec: any format the directory holds, CSV first.
        for pattern in DIRECTORY_GLOBS.values():
            matches = sorted(path.glob(pattern))
            if matches:
                return matches[0]
        raise InputError(f"{raw_path}: no .csv, .parquet or .jsonl files in the directory")
    pattern = resolve_pattern(path, DIRECTORY_GLOBS[spec.format] if spec else "*.csv")
    if glob.has_magic(pattern):
        matches = sorted(match for match in glob.glob(pattern) if Path(match).is_file())
        if not matches:
            raise InputError(f"{raw_path}: no files match")
        return Path(matches[0])
    if not Path(pattern).is_file():
        raise InputError(f"{raw_path}: file not found")
    return Path(pattern)


def take_sample(source: Path, fmt: str, header: bool, rows: int, folder: Path) -> Sample:
    """The first `rows` data rows of `source` in `folder` under the same name."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    target = folder / source.name
    if fmt == "parquet":
        try:
            with duckdb.connect(":memory:") as connection:
                counted = connection.execute("select count(*) from read_parquet(?)", [str(source)]).fetchall()
                total = counted[0][0]
                path = str(source).replace("'", "''")
                connection.execute(
                    f"copy (select * from read_parquet('{path}') limit {int(rows)}) to ? (format parquet)",
                    [str(target)],
                )
        except duckdb.Error as error:
            problem = str(error).splitlines()[0]
            raise InputError(f"{source}: not a readable Parquet file ({problem})") from None
        return Sample(source, target, min(rows, total), total <= rows)
    header_rows = 1 if fmt == "csv" and header else 0
    lines, records = _head_records(source, rows + header_rows)
    target.write_bytes(b"".join(lines))
    return Sample(source, target, max(0, records - header_rows), _is_whole(source, lines))


def _head_records(path: Path, count: int) -> tuple[list[bytes], int]:
    """The lines of the first `count` records: a record ends with a line at which the quotes seen so far pair
    up, so a quoted CSV field that spans lines is never cut (the byte-order mark is kept: the sample reads
    as the file does)."""
    lines: list[bytes] = []
    records = size = quotes = 0
    try:
        with path.open("rb") as handle:
            for line in handle:
                lines.append(line)
                size += len(line)
                quotes += line.count(b'"')
                if quotes % 2 == 0:
                    records += 1
                    if records >= count or size > _MAX_SAMPLE_BYTES:
                        break
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from None
    return lines, records


def _is_whole(path: Path, lines: list[bytes]) -> bool:
    return sum(len(line) for line in lines) >= path.stat().st_size

"""Checks a raw input before dbt runs, so a bad file gets one clear line instead of a stack trace.

Without an input spec the file must have the default columns; with one (salesdw/inputs/spec.py) the file is
read in the spec's format and every column the spec maps must be in it. CSV files get the shape check and the
UTF-8 staging in every case; a JSON-lines file is text too (UTF-8 staging); a Parquet file is binary and
checked through its schema."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import difflib
import glob
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from salesdw.inputs.errors import InputError
from salesdw.inputs.spec import DIRECTORY_GLOBS, InputSpec

EXPECTED_COLUMNS: tuple[str, ...] = ("Unnamed: 0", "Date", "Customer ID", "Order ID", "Sales")
_HEADER_PROBE_BYTES = 64 * 1024
_SCAN_CHUNK = 8 * 1024 * 1024
# How a byte that is not valid UTF-8 is read: as Windows-1252, what Excel on Windows writes (latin-1 for
# the five bytes cp1252 leaves undefined). DuckDB's own latin-1 reader cannot be used: it rejects the
# bytes 0x80-0x9F (cp1252's euro sign, curly quotes) and fails the whole file.
STRAY_BYTE_ENCODING = "cp1252"
# How many JSON lines are read to list a JSON-lines file's fields.
_JSON_PROBE_LINES = 1000
INSPECT_HINT = (
    "for your own export, `python run_pipeline.py inspect {path}` suggests an input spec (--input-spec)"
)


@dataclass(frozen=True)
class InputReport:
    """What the pre-flight check found: the files to read, their columns and the input spec (None for the
    default columns; a CSV spec's delimiter is filled in, sniffed when the spec leaves it out)."""

    pattern: str
    files: tuple[Path, ...]
    columns: tuple[str, ...]
    extra_columns: tuple[str, ...] = field(default=())
    spec: InputSpec | None = None

    @property
    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def resolve_pattern(raw_path: str | Path, directory_glob: str = "*.csv") -> str:
    """An absolute file path or glob; a directory means every file of the format in it (*.csv by default)."""
    path = Path(raw_path).expanduser()
    if path.is_dir():
        return str(path.resolve() / directory_glob)
    if glob.has_magic(str(path)):
        return str(path.absolute())
    return str(path.resolve())


def _probe(path: Path) -> bytes:
    """The file's first bytes, without a UTF-8 byte-order mark; fails on an unreadable or empty file."""
    try:
        with path.open("rb") as handle:
            probe = handle.read(_HEADER_PROBE_BYTES)
    except PermissionError as error:
        raise InputError(f"{path}: cannot read the file (permission denied)") from error
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from error
    if probe.startswith(codecs.BOM_UTF8):
        probe = probe[len(codecs.BOM_UTF8) :]
    if not probe.strip():
        raise InputError(f"{path}: the file is empty")
    return probe


def read_header(path: Path, delimiter: str = ",") -> tuple[str, ...]:
    """The header row of a CSV file, with a UTF-8 byte-order mark removed."""
    first_line = _probe(path).splitlines()[0].decode("utf-8", errors="replace")
    return tuple(column.strip() for column in next(csv.reader(io.StringIO(first_line), delimiter=delimiter)))


def read_columns(path: Path, spec: InputSpec | None) -> tuple[str, ...]:
    """The columns a file offers: a CSV header (or positions 1..n without one), a Parquet file's schema, the
    fields of a JSON-lines file's first objects."""
    if spec is None or spec.format == "csv":
        delimiter = spec.delimiter or "," if spec else ","
        columns = read_header(path, delimiter)
        if spec is not None and not spec.header:
            return tuple(str(position) for position in range(1, len(columns) + 1))
        return columns
    if spec.format == "parquet":
        _probe(path)
        try:
            with duckdb.connect(":memory:") as connection:
                rows = connection.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
        except duckdb.Error as error:
            raise InputError(f"{path}: not a readable Parquet file ({_first_line(error)})") from None
        return tuple(row[0] for row in rows)
    return tuple(json_fields(path))


def json_fields(path: Path) -> list[str]:
    """Top-level fields of a JSON-lines file's first objects, in order of first appearance."""
    fields: dict[str, None] = {}
    for number, record in read_json_lines(path, _JSON_PROBE_LINES):
        if not isinstance(record, dict):
            raise InputError(f"{path}: line {number} is not a JSON object (one object per line is expected)")
        fields.update(dict.fromkeys(record))
    return list(fields)


def read_json_lines(path: Path, limit: int) -> list[tuple[int, object]]:
    """The first `limit` non-blank lines of a JSON-lines file, parsed, with their line numbers."""
    _probe(path)
    records: list[tuple[int, object]] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if len(records) >= limit:
                break
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line.decode("utf-8", errors="replace").lstrip("\ufeff"))))
            except json.JSONDecodeError as error:
                raise InputError(f"{path}: line {number} is not valid JSON ({error.msg})") from None
    return records


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def _has_data_row(path: Path, spec: InputSpec | None = None) -> bool:
    if spec is not None and spec.format == "parquet":
        with duckdb.connect(":memory:") as connection:
            rows = connection.execute("select count(*) from read_parquet(?)", [str(path)]).fetchall()
        return bool(rows[0][0])
    with path.open("rb") as handle:
        if spec is None or (spec.format == "csv" and spec.header):
            handle.readline()
        return any(line.strip() for line in handle)


def check_columns(path: Path, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Fails when an expected column is missing or doubled; returns the extra columns (ignored)."""
    missing = [column for column in EXPECTED_COLUMNS if column not in columns]
    if missing:
        raise InputError(
            f"{path}: wrong columns: missing {_quoted(missing)}; "
            f"expected {_quoted(EXPECTED_COLUMNS)}, found {_quoted(columns)}",
            hint=INSPECT_HINT.format(path=path),
        )
    duplicated = sorted({column for column in columns if columns.count(column) > 1})
    if duplicated:
        raise InputError(f"{path}: column(s) {_quoted(duplicated)} appear more than once in the header")
    return tuple(column for column in columns if column not in EXPECTED_COLUMNS)


def check_spec_columns(spec: InputSpec, path: Path, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Fails when a column the spec maps is not in the file; returns the file's unmapped columns."""
    for key, name in spec.columns.items():
        if spec.format == "jsonl" and str(name).startswith("$"):
            continue  # a JSONPath into nested objects: read as null where absent
        if str(name) not in columns:
            if spec.format == "csv" and not spec.header:
                raise InputError(
                    f"{path}: {spec.name}: columns.{key}: the file has {len(columns)} column(s), "
                    f"there is no column {name}"
                )
            close = difflib.get_close_matches(str(name), columns, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"{path}: {spec.name}: columns.{key}: {name!r} is not a column of the file{hint}; "
                f"found {_quoted(columns)}"
            )
    duplicated = sorted({column for column in columns if columns.count(column) > 1})
    if duplicated and spec.format == "csv":
        raise InputError(f"{path}: column(s) {_quoted(duplicated)} appear more than once in the header")
    mapped = {str(name) for name in spec.columns.values()}
    return tuple(column for column in columns if column not in mapped)


def sniff_delimiter(path: Path, header: bool) -> str:
    """The delimiter DuckDB's sniffer finds (what a plain `dbt build` would use for a spec without one)."""
    try:
        with duckdb.connect(":memory:") as connection:
            rows = connection.execute(
                "select Delimiter from sniff_csv(?, header = ?, all_varchar = true)", [str(path), header]
            ).fetchall()
    except duckdb.Error as error:
        raise InputError(
            f"{path}: cannot tell the delimiter ({_first_line(error)}); set delimiter in the input spec"
        ) from None
    delimiter = rows[0][0] if rows else ""
    if len(delimiter) != 1:
        raise InputError(f"{path}: cannot tell the delimiter; set delimiter in the input spec")
    return delimiter


def check_raw_input(raw_path: str | Path, spec: InputSpec | None = None) -> InputReport:
    """Resolves the input to files and checks each one's existence, readability, emptiness and columns
    (the default columns, or the ones the input spec maps)."""
    pattern = resolve_pattern(raw_path, DIRECTORY_GLOBS[spec.format] if spec else "*.csv")
    if glob.has_magic(pattern):
        files = tuple(Path(match) for match in sorted(glob.glob(pattern)) if Path(match).is_file())
        if not files:
            hint = None
            if Path(raw_path).expanduser().is_dir():
                hint = f"a directory means every {Path(pattern).name} file in it" + (
                    " (the input spec's format)" if spec else ""
                )
            raise InputError(f"{raw_path}: no files match", hint=hint)
    else:
        path = Path(pattern)
        if not path.exists():
            raise InputError(f"{raw_path}: file not found")
        if not path.is_file():
            raise InputError(f"{raw_path}: not a regular file")
        files = (path,)

    if spec is not None and spec.format == "csv" and spec.delimiter is None:
        _probe(files[0])
        spec = dataclasses.replace(spec, delimiter=sniff_delimiter(files[0], spec.header))
    if spec is not None and "order_id" not in spec.columns:
        _check_unique_names(files)
    header: tuple[str, ...] | None = None
    extra: tuple[str, ...] = ()
    for path in files:
        columns = read_columns(path, spec)
        extra = check_columns(path, columns) if spec is None else check_spec_columns(spec, path, columns)
        if not _has_data_row(path, spec):
            has_header = spec is None or (spec.format == "csv" and spec.header)
            raise InputError(f"{path}: the file has {'a header but ' if has_header else ''}no data rows")
        # JSON objects may each have other fields; a CSV or Parquet file's columns are its contract.
        same = spec is not None and spec.format == "jsonl"
        if header is not None and not same and set(columns) != set(header):
            raise InputError(
                f"{path}: columns differ from {files[0].name}: found {_quoted(columns)}, "
                f"expected {_quoted(header)}"
            )
        header = columns
    assert header is not None
    return InputReport(pattern, files, header, extra, spec)


def _check_unique_names(files: tuple[Path, ...]) -> None:
    """Without an order id column an order is named <file name>:<row>, so two files may not share a name."""
    seen: dict[str, Path] = {}
    for path in files:
        if path.name in seen:
            raise InputError(
                f"{path}: has the same name as {seen[path.name]}; without an order_id column the order ids "
                "are <file name>:<row>, so every input file needs its own name"
            )
        seen[path.name] = path


def _quoted(columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{column}'" for column in columns)


@dataclass(frozen=True)
class FileScan:
    """One full read of a file: its checksum and whether it is valid UTF-8 (and if not, where it breaks)."""

    path: Path
    size: int
    sha256: str
    is_utf8: bool
    has_bom: bool
    first_bad_line: int | None = None


def scan_file(path: Path, text: bool = True) -> FileScan:
    """Streams the file once: SHA-256 and a UTF-8 check (an ASCII fast path; the incremental decoder runs only
    on chunks with non-ASCII bytes). About 0.5 s per 400 MB on a warm page cache (1.2 GB/s for SHA-256).
    A binary file (Parquet: text=False) gets the checksum only."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    buffer = bytearray(_SCAN_CHUNK)
    view = memoryview(buffer)
    size = 0
    bad_offset: int | None = None
    with path.open("rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            chunk = buffer if count == _SCAN_CHUNK else view[:count].tobytes()
            digest.update(chunk)
            # A chunk may end inside a multi-byte character: then the next one is decoded even if ASCII.
            if text and bad_offset is None and (decoder.getstate()[0] or not chunk.isascii()):
                bad_offset = _bad_byte(decoder, bytes(chunk), size)
            size += count
    if text and bad_offset is None:
        bad_offset = _bad_byte(decoder, b"", size, final=True)
    first_bad_line = None if bad_offset is None else _line_of(path, bad_offset)
    return FileScan(
        path, size, digest.hexdigest(), bad_offset is None, text and _has_bom(path), first_bad_line
    )


def _bad_byte(
    decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int, final: bool = False
) -> int | None:
    """The file offset of the first invalid UTF-8 byte in chunk (which starts at offset), or None."""
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError as error:
        return offset + error.start
    return None


def _line_of(path: Path, offset: int) -> int:
    """1-based line number of a byte offset (only computed for a file that is not valid UTF-8)."""
    lines = 1
    with path.open("rb") as handle:
        while offset > 0 and (chunk := handle.read(min(_SCAN_CHUNK, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def _has_bom(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(3) == codecs.BOM_UTF8


def _decode_stray_bytes(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    text = []
    for byte in error.object[error.start : error.end]:
        try:
            text.append(bytes([byte]).decode(STRAY_BYTE_ENCODING))
        except UnicodeDecodeError:
            text.append(chr(byte))
    return "".join(text), error.end


codecs.register_error("salesdw-stray-bytes", _decode_stray_bytes)


def transcode_to_utf8(source: Path, target: Path) -> None:
    """A UTF-8 copy: valid UTF-8 kept as is, each stray byte read as cp1252. Streams; keeps the mtime."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="salesdw-stray-bytes")
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(_SCAN_CHUNK):
            writer.write(decoder.decode(chunk).encode("utf-8"))
        writer.write(decoder.decode(b"", final=True).encode("utf-8"))
    stat = source.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def stage_as_utf8(report: InputReport, scans: tuple[FileScan, ...], folder: Path) -> InputReport:
    """The input as dbt must read it. All valid UTF-8 (the usual case): unchanged. Otherwise a folder with
    a UTF-8 copy of each file that is not and a symlink to each file that is, and the report points there
    (DuckDB reads one input in one encoding; so the rows' source_file names the staged path)."""
    if all(scan.is_utf8 for scan in scans):
        return report
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    names = [scan.path.name for scan in scans]
    unique = len(set(names)) == len(names)
    staged = []
    for index, scan in enumerate(scans):
        target = folder / (scan.path.name if unique else f"{index:05d}_{scan.path.name}")
        if scan.is_utf8:
            target.symlink_to(scan.path)
        else:
            transcode_to_utf8(scan.path, target)
        staged.append(target)
    single = len(staged) == 1 and not glob.has_magic(report.pattern) and Path(report.pattern).is_file()
    pattern = str(staged[0]) if single else str(folder / "*")
    return dataclasses.replace(report, pattern=pattern, files=tuple(staged))


def check_csv_shape(
    path: Path, columns: tuple[str, ...], encoding: str, delimiter: str = ",", header: bool = True
) -> None:
    """DuckDB's sniffer on the file's first rows, with the source's own options: a row with more fields
    than the header (an unquoted comma) or fewer (a cut-off line) makes DuckDB misjudge the header or fail.
    Caught here, before dbt, as one line; a ragged row beyond the sample fails the build naming its line.
    Costs milliseconds (the sniffer reads at most ~20k rows)."""
    sql = (
        "select Columns from sniff_csv(?, delim = ?, quote = '\"', escape = '\"', header = ?, "
        "all_varchar = true, encoding = ?)"
    )
    problem = None
    try:
        with duckdb.connect(":memory:") as connection:
            rows = connection.execute(sql, [str(path), delimiter, header, encoding]).fetchall()
        found = [column["name"] for column in rows[0][0]]
        if not header:
            found = [str(position) for position in range(1, len(found) + 1)]
    except duckdb.Error as error:
        found = []
        problem = str(error).strip().splitlines()[0]
    if found == list(columns):
        return
    if len(found) == len(columns):
        raise InputError(f"{path}: DuckDB reads the header as {_quoted(found)}, expected {_quoted(columns)}")
    problem = problem or f"DuckDB read {len(found)} field(s) per row"
    raise InputError(
        f"{path}: not every row has the header's {len(columns)} fields ({problem}); "
        "quote values that contain commas and check the file is complete"
    )

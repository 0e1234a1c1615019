"""The "nothing changed" shortcut: a build whose input files, code and settings are those of the published
warehouse's build confirms that in well under a second and exits without starting dbt.

After each published runner build, a small record (DATA_DIR/build_fingerprint.json) keeps what the published
warehouse was built from: every input file's path, size and modification time (sales and marketing, the same
facts stg_sales__loaded_files and stg_marketing__loaded_files record), a hash of the project's code (models,
macros, seeds, dbt's singular tests, dbt_project.yml, profiles.yml and the salesdw package the Python models
and the dbt plugin import), the build's settings (analysis date, input spec, CLV model, rejection limit, dbt
arguments) and the published file's own size and modification time. The next build compares; any difference,
including a warehouse published by something else (a plain `dbt build`), means a normal build.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from salesdw.inputs.input_check import FileScan
from salesdw.paths import PROJECT_ROOT, Workspace

FINGERPRINT_NAME = "build_fingerprint.json"
#: What the build's results depend on, besides the inputs and the settings.
CODE_PATHS: tuple[str, ...] = (
    "models",
    "macros",
    "seeds",
    "tests/dbt",
    "salesdw",
    "dbt_project.yml",
    "profiles.yml",
)
CODE_SUFFIXES = frozenset({".sql", ".py", ".yml", ".yaml", ".csv", ".jinja", ".md"})
#: Environment variables the dbt project reads besides the ones the runner sets from its options.
RESULT_ENV_VARS: tuple[str, ...] = ("SALESDW_CLV_MODEL",)


def fingerprint_path(workspace: Workspace) -> Path:
    return workspace.data_dir / FINGERPRINT_NAME


def code_hash(root: Path = PROJECT_ROOT, paths: Sequence[str] = CODE_PATHS) -> str:
    """SHA-256 over the relative path and content of every code file (a few hundred small files: ~10 ms)."""
    digest = hashlib.sha256()
    for relative in paths:
        top = root / relative
        files = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in files:
            if path.is_file() and path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_facts(paths: Iterable[Path]) -> list[list[Any]]:
    """[path, size, modification time in ns] per file, sorted by path."""
    facts = []
    for path in sorted({str(Path(item)) for item in paths}):
        stat = os.stat(path)
        facts.append([path, stat.st_size, stat.st_mtime_ns])
    return facts


def _published_facts(workspace: Workspace) -> list[Any] | None:
    try:
        stat = workspace.published_db.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def build_fingerprint(
    workspace: Workspace, input_files: Iterable[Path], settings: dict[str, Any]
) -> dict[str, Any]:
    """What a build about to run (or just published) depends on; the published file's facts are added by
    record_fingerprint after the publish."""
    return {
        "inputs": file_facts(input_files),
        "code": code_hash(),
        "settings": {**settings, **{name: os.environ.get(name, "") for name in RESULT_ENV_VARS}},
    }


def _recorded(workspace: Workspace) -> dict[str, Any]:
    try:
        recorded = json.loads(fingerprint_path(workspace).read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def unchanged_since_last_build(workspace: Workspace, fingerprint: dict[str, Any]) -> str | None:
    """The time of the published build this one would repeat (its inputs, code and settings are the same
    and the published warehouse is the file that build wrote), or None: build."""
    recorded = _recorded(workspace)
    if not recorded or recorded.get("published") != _published_facts(workspace):
        return None
    if any(recorded.get(key) != fingerprint[key] for key in ("inputs", "code", "settings")):
        return None
    return str(recorded.get("published_at", ""))


def may_scope_data_tests(workspace: Workspace, fingerprint: dict[str, Any]) -> bool:
    """Whether an incremental build's data tests of fact_sales and dim_customer may check only the keys of the
    latest load (macros/generic_tests.sql, DECISIONS.md "Data tests of the daily build"): the published
    warehouse, which the working copy starts from, must be the file the runner's last build published (its
    size and modification time), built by this same code (so with these tests, which passed: nothing is
    published otherwise) and with every data test (no extra dbt arguments then or now, which could have
    excluded some). Anything else, e.g. a warehouse a plain `dbt build` published, tests every row."""
    recorded = _recorded(workspace)
    if not recorded or recorded.get("published") != _published_facts(workspace):
        return False
    if recorded.get("code") != fingerprint["code"]:
        return False
    recorded_settings = recorded.get("settings")
    if not isinstance(recorded_settings, dict) or recorded_settings.get("extra_dbt_args") != []:
        return False
    return fingerprint["settings"].get("extra_dbt_args") == []


def record_fingerprint(workspace: Workspace, fingerprint: dict[str, Any]) -> None:
    """After a publish: what the published warehouse was built from (written to a temporary name and
    renamed, so a reader never sees half a record)."""
    published = _published_facts(workspace)
    if published is None:
        return
    record = {
        **fingerprint,
        "published": published,
        "published_at": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC",
    }
    path = fingerprint_path(workspace)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1))
    os.replace(temporary, path)


def scan_facts(scans: Iterable[FileScan]) -> dict[str, list[Any]]:
    """The input scans of a build (checksum, UTF-8 verdict), keyed by path, with the size and modification
    time they were taken at: kept in the record so the next build need not read unchanged files again."""
    facts = {}
    for scan in scans:
        stat = os.stat(scan.path)
        facts[str(scan.path)] = [
            stat.st_size,
            stat.st_mtime_ns,
            scan.sha256,
            scan.is_utf8,
            scan.has_bom,
            scan.first_bad_line,
        ]
    return facts


def known_scans(workspace: Workspace) -> dict[str, list[Any]]:
    """The scans the last published runner build recorded (empty when there is none)."""
    scans = _recorded(workspace).get("scans", {})
    return scans if isinstance(scans, dict) else {}


def reuse_scan(known: dict[str, list[Any]], path: Path) -> FileScan | None:
    """The recorded scan of a file that still has the size and modification time it was scanned at (the
    test the loaded-files check uses to decide a file is unchanged), else None: scan it."""
    facts = known.get(str(path))
    if not isinstance(facts, list) or len(facts) != 6:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if facts[:2] != [stat.st_size, stat.st_mtime_ns]:
        return None
    return FileScan(path, stat.st_size, str(facts[2]), bool(facts[3]), bool(facts[4]), facts[5])

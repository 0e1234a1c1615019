"""The run history: one JSON line per run, beside the warehouse (a failed run is never published, so the
log cannot live inside it)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from salesdw.input_check import InputReport
from salesdw.paths import Workspace

_CHUNK = 8 * 1024 * 1024


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    command: str
    input: str
    started_at: str
    started_monotonic: float
    inputs: list[dict[str, Any]] = field(default_factory=list)
    finished_at: str | None = None
    seconds: float | None = None
    status: str = "running"
    counts: dict[str, Any] = field(default_factory=dict)
    failing_nodes: list[str] = field(default_factory=list)
    message: str = ""

    @classmethod
    def start(cls, command: str, raw_input: str) -> RunRecord:
        return cls(command=command, input=raw_input, started_at=_now(), started_monotonic=time.monotonic())

    def finish(
        self,
        status: str,
        counts: dict[str, Any] | None = None,
        failing_nodes: list[str] | None = None,
        message: str = "",
    ) -> RunRecord:
        self.status = status
        self.finished_at = _now()
        self.seconds = round(time.monotonic() - self.started_monotonic, 3)
        self.counts = counts or {}
        self.failing_nodes = failing_nodes or []
        self.message = message
        return self


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def describe_inputs(report: InputReport) -> list[dict[str, Any]]:
    return [
        {"path": str(path), "bytes": path.stat().st_size, "sha256": file_checksum(path)}
        for path in report.files
    ]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def append_run(workspace: Workspace, record: RunRecord) -> None:
    workspace.data_dir.mkdir(parents=True, exist_ok=True)
    entry = asdict(record)
    entry.pop("started_monotonic")
    with workspace.run_log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, default=_json_default) + "\n")


def read_runs(workspace: Workspace, last: int = 10) -> list[dict[str, Any]]:
    if not workspace.run_log.exists():
        return []
    lines = workspace.run_log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[-last:] if line.strip()]

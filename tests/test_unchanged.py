"""The "nothing changed" shortcut (salesdw/pipeline/unchanged.py): a build repeats the published one only when
the input files, the code, the settings and the published file itself are all what that build recorded."""

from __future__ import annotations

import os
from pathlib import Path

from salesdw.paths import Workspace
from salesdw.pipeline.unchanged import (
    build_fingerprint,
    code_hash,
    record_fingerprint,
    unchanged_since_last_build,
)


def _workspace(tmp_path: Path) -> tuple[Workspace, list[Path]]:
    workspace = Workspace(tmp_path / "data")
    workspace.data_dir.mkdir()
    workspace.published_db.write_bytes(b"warehouse")
    inputs = [tmp_path / "sales_1.csv", tmp_path / "ad_spend.csv"]
    for path in inputs:
        path.write_text("a,b\n1,2\n")
    return workspace, inputs


def test_same_inputs_code_and_settings_are_unchanged(tmp_path: Path) -> None:
    workspace, inputs = _workspace(tmp_path)
    settings = {"as_of_date": "", "raw": str(inputs[0])}
    assert unchanged_since_last_build(workspace, build_fingerprint(workspace, inputs, settings)) is None
    record_fingerprint(workspace, build_fingerprint(workspace, inputs, settings))
    assert unchanged_since_last_build(workspace, build_fingerprint(workspace, inputs, settings))


def test_any_difference_means_a_build(tmp_path: Path) -> None:
    workspace, inputs = _workspace(tmp_path)
    settings = {"as_of_date": ""}
    record_fingerprint(workspace, build_fingerprint(workspace, inputs, settings))

    # Another analysis date, another CLV model (an environment variable the project reads), one file more.
    other_date = build_fingerprint(workspace, inputs, {"as_of_date": "x"})
    assert unchanged_since_last_build(workspace, other_date) is None
    os.environ["SALESDW_CLV_MODEL"] = "pareto_nbd"
    try:
        assert unchanged_since_last_build(workspace, build_fingerprint(workspace, inputs, settings)) is None
    finally:
        del os.environ["SALESDW_CLV_MODEL"]
    extra = tmp_path / "sales_2.csv"
    extra.write_text("a,b\n")
    one_more = build_fingerprint(workspace, [*inputs, extra], settings)
    assert unchanged_since_last_build(workspace, one_more) is None

    # A loaded file touched (same size, new modification time).
    stat = inputs[0].stat()
    os.utime(inputs[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert unchanged_since_last_build(workspace, build_fingerprint(workspace, inputs, settings)) is None
    record_fingerprint(workspace, build_fingerprint(workspace, inputs, settings))
    assert unchanged_since_last_build(workspace, build_fingerprint(workspace, inputs, settings))

    # The published warehouse replaced by something else (a plain `dbt build`): the record no longer holds.
    workspace.published_db.write_bytes(b"another warehouse")
    assert unchanged_since_last_build(workspace, build_fingerprint(workspace, inputs, settings)) is None


def test_code_hash_follows_every_code_file(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "a.sql"
    model.write_text("select 1")
    (tmp_path / "dbt_project.yml").write_text("name: x")
    before = code_hash(tmp_path, ("models", "dbt_project.yml"))
    assert code_hash(tmp_path, ("models", "dbt_project.yml")) == before
    model.write_text("select 2")
    assert code_hash(tmp_path, ("models", "dbt_project.yml")) != before
    (tmp_path / "models" / "b.sql").write_text("select 2")
    assert code_hash(tmp_path, ("models", "dbt_project.yml")) not in {before}

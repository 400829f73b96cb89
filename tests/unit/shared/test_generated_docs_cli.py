"""`jemput asyncapi` / `jemput config-reference`: rewrite the document, or with --check fail on drift."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import typer

from shared.cli import regenerate


def doc_at(tmp_path: Path, current: str, committed: str | None) -> SimpleNamespace:
    path = tmp_path / "docs" / "thing.md"
    path.parent.mkdir()
    if committed is not None:
        path.write_text(committed)

    def write() -> Path:
        path.write_text(current)
        return path

    return SimpleNamespace(DOC_PATH=path, write=write,
                           drift=lambda: not path.exists() or path.read_text() != current)


def test_check_fails_on_drift_and_names_the_command(tmp_path, capsys) -> None:
    doc = doc_at(tmp_path, "new", "old")
    with pytest.raises(typer.Exit) as stop:
        regenerate(doc, "thing", check=True)
    assert stop.value.exit_code == 1
    assert "docs/thing.md differs from the code: run `jemput thing`" in capsys.readouterr().out


def test_regenerating_writes_and_then_the_check_passes(tmp_path, capsys) -> None:
    doc = doc_at(tmp_path, "new", None)
    regenerate(doc, "thing", check=False)
    assert doc.DOC_PATH.read_text() == "new"
    regenerate(doc, "thing", check=True)
    assert "docs/thing.md is up to date" in capsys.readouterr().out

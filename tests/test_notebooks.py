"""Every notebook in notebooks/ runs top to bottom on small data (the tutorials cannot rot), and
is committed with its outputs, so its tables and charts show on the repository page.

Refresh the committed outputs after changing a notebook (or what it shows) with::

    XVERIFY_WRITE_NOTEBOOKS=1 pytest tests/test_notebooks.py

The notebooks make their synthetic data from the tables inside the package, never from a path
in the repository, so they run from a wheel install too.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import require_recordlinkage

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
#: notebooks that need a package the test extra cannot name (see conftest.require_recordlinkage)
NEEDS_RECORDLINKAGE = {"03_recordlinkage_interop.ipynb"}
WRITE = bool(os.environ.get("XVERIFY_WRITE_NOTEBOOKS"))


def outputs(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def text(nb: nbformat.NotebookNode) -> str:
    """Everything the outputs show as text (stream, plain and HTML representations)."""
    parts = []
    for o in outputs(nb):
        parts.append(str(o.get("text", "")))
        data = o.get("data", {})
        parts += [str(data.get(k, "")) for k in ("text/plain", "text/html")]
    return "\n".join(parts)


def shows_something(source: str) -> bool:
    """Whether a cell displays a value (its last statement is an expression not silenced by
    ``;``) or prints."""
    code = "\n".join(ln for ln in source.splitlines() if not ln.startswith("%"))
    tree = ast.parse(code)
    last_is_value = bool(tree.body) and isinstance(tree.body[-1], ast.Expr)
    prints = any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        for n in ast.walk(tree)
    )
    return (last_is_value and not code.rstrip().endswith(";")) or prints


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs(nb))


def test_notebooks_do_not_read_repository_paths() -> None:
    for path in NOTEBOOKS:
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        assert "synthetic_data" not in source and "__file__" not in source, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_with_outputs(path: Path) -> None:
    """Every code cell that shows something has its output committed, charts included, and
    nothing a reader should not see: no error, no local path."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    missing = [c.source[:40] for c in code if shows_something(c.source) and not c.get("outputs")]
    assert not missing, f"cells without committed output: {missing}"
    assert all(c.get("execution_count") for c in code), "a cell never executed"
    assert images(nb) >= 2, "charts missing from the committed outputs"
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    shown = text(nb)
    assert not re.search(r"/tmp/|/home/|/work/|/Users/", shown), "a local path in the outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if path.name in NEEDS_RECORDLINKAGE:
        require_recordlinkage()
    monkeypatch.setenv("XVERIFY_NOTEBOOK_WORKDIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    assert images(nb) >= 2  # the charts render (a Figure shown as text would not count)
    if WRITE:
        nbformat.write(nb, path)

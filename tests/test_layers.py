"""The package's import graph: one-way layers (import-linter's contracts in pyproject.toml) and
no cycle between any two modules, lazy imports included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = grimp.build_graph("rightturn")
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(" -> ".join((importer, *back)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_layer_contracts_hold() -> None:
    tool = Path(sys.executable).with_name("lint-imports")
    if not tool.exists():
        found = shutil.which("lint-imports")
        if found is None:
            pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
        tool = Path(found)
    done = subprocess.run(
        [str(tool)], capture_output=True, text=True, cwd=Path(__file__).parents[1]
    )
    assert done.returncode == 0, done.stdout[-3000:]

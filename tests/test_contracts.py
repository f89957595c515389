"""Contracts other code relies on: the package's public names, and every environment variable
the package reads documented where settings are (``rightturn/config.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import rightturn
import rightturn.config

PACKAGE = Path(rightturn.__file__).parent


def test_the_root_exports_exactly_these_names() -> None:
    assert sorted(rightturn.__all__) == [
        "RightturnError",
        "Settings",
        "Store",
        "__version__",
        "load_settings",
    ]
    for name in rightturn.__all__:
        assert getattr(rightturn, name) is not None


def test_every_environment_variable_the_package_reads_is_documented_in_config() -> None:
    used = {
        name
        for path in PACKAGE.rglob("*.py")
        for name in re.findall(r"RIGHTTURN_[A-Z_]+", path.read_text(encoding="utf-8"))
    }
    assert used, "the scan found no RIGHTTURN_* variable at all"
    documented = set(re.findall(r"RIGHTTURN_[A-Z_]+", rightturn.config.__doc__ or ""))
    assert used <= documented, f"document in config.py: {sorted(used - documented)}"


def test_the_benchmarks_import_only_names_that_exist() -> None:
    """Benchmarks are scripts outside mypy's reach: a moved name would break `make bench` only."""
    import ast
    import importlib.util

    missing = []
    for script in sorted((PACKAGE.parent / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rightturn"):
                module = importlib.import_module(node.module or "")
                missing += [
                    f"{script.name}: {node.module}.{alias.name}"
                    for alias in node.names
                    if not hasattr(module, alias.name)
                    and importlib.util.find_spec(f"{node.module}.{alias.name}") is None
                ]
    assert not missing, missing

"""The layout by concern holds: each folder of ``kdgraph`` imports only the folders its
``__init__`` docstring allows, and the folders below the web layer import no web framework.

Read from the source (every ``import`` and ``from ... import``, at any depth, also inside
functions), so a new dependency between folders is a decision written here, not an accident.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kdgraph

PACKAGE = Path(kdgraph.__file__).parent
FOLDERS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())

# Which other folders each folder may import (the modules at the top, config, namespaces,
# resources, log_lines, child_processes, may be imported by every folder). From the folders' docstrings; the
# entries marked "as built" are dependencies that exist and that the docstrings do not name.
ALLOWED: dict[str, set[str]] = {
    # the query path: engines over a store; its engine processes are child processes
    "query": {"store"},  # the layout of every store (store.layout), which the engines read
    "catalogue": {"query"},  # a saved query binds its parameters into a Query
    "pipeline": {"store"},  # as built: store.state_dir.atomic_write for the written TriG files
    "checks": {"pipeline", "store"},  # as built: store.state_dir.atomic_write for the verdicts
    "pages": {"query"},  # page models from the engine's rows
    # the data as served: built from checked files, in child processes; dumps made by an engine
    "store": {"pipeline", "checks", "catalogue", "query", "pages"},
    "serving": {"query", "store", "web"},  # starts the web layer (web.app.create_app)
    "web": {"query", "catalogue", "pages", "store", "serving"},
}
NO_WEB_FRAMEWORK = ("query", "catalogue", "pipeline", "checks", "store", "pages")
# Flask and Werkzeug's request/response machinery; werkzeug.http (header parsing, a pure
# function of a string) and markupsafe (escaping a page model's text) are libraries, not a framework.
WEB_FRAMEWORKS = ("flask", "werkzeug.wrappers", "werkzeug.exceptions", "werkzeug.routing", "werkzeug.local")


def imports(folder: str) -> dict[str, set[str]]:
    """Module names imported anywhere in ``folder``, with the files that import each."""
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name, set()).add(str(path.relative_to(PACKAGE)))
    return found


def test_every_folder_is_in_the_table() -> None:
    assert sorted(ALLOWED) == FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_imports_only_the_folders_it_may(folder: str) -> None:
    used = {
        name.split(".")[1]: files
        for name, files in imports(folder).items()
        if name.startswith("kdgraph.") and name.split(".")[1] in FOLDERS
    }
    unexpected = {
        other: sorted(files) for other, files in used.items() if other not in {folder, *ALLOWED[folder]}
    }
    assert unexpected == {}


@pytest.mark.parametrize("folder", NO_WEB_FRAMEWORK)
def test_below_the_web_layer_no_web_framework(folder: str) -> None:
    framework = {
        name: sorted(files)
        for name, files in imports(folder).items()
        if any(name == f or name.startswith(f + ".") for f in WEB_FRAMEWORKS)
    }
    assert framework == {}


def test_the_check_sees_an_import_of_flask() -> None:
    """The scan is not blind: the web layer's own Flask imports are found."""
    assert "flask" in imports("web")


def test_the_readme_test_command_is_what_ci_runs() -> None:
    """.ci/run runs the README's test command (install, ruff, mypy, pytest): the two in step."""
    root = Path(__file__).resolve().parents[1]  # the checkout the tests are in
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").split("# The README's test command", 1)[1]
    command = ci.splitlines()[1].strip()
    assert ".venv/bin/mypy" in command and ".venv/bin/ruff check" in command
    assert f"python3 -m venv .venv && {command}\n" in (root / "README.md").read_text(encoding="utf-8")

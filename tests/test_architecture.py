"""The corridors of docs/architecture.md: imports run downward only, and views leave the database to operations."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports('setup.cfg', no_cache=True))"


def test_imports_follow_the_contracts() -> None:
    """Each feature imports only the layers below it; models and schemas import no operations (setup.cfg)."""
    assert lint_imports(str(ROOT / "setup.cfg"), no_cache=True, no_logo=True) == 0, "see the broken contract above"


def test_an_import_running_upward_breaks_the_contract(tmp_path: Path) -> None:
    """The contract is not vacuous: a copy of the server with one upward import fails it."""
    shutil.copytree(ROOT / "server", tmp_path / "server", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", tmp_path)
    with (tmp_path / "server" / "communes" / "models.py").open("a") as models:
        models.write("\nfrom ..reports import operations as _upward  # noqa: E402\n")
    result = subprocess.run([sys.executable, "-c", LINT], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "server.communes is not allowed to import server.reports" in result.stdout


def test_views_run_no_queries_and_no_commits() -> None:
    """A view parses, calls an operation (or a scoped lookup) and serializes: SQL lives in operations and queries."""
    for path in sorted((ROOT / "server").glob("*/views.py")):
        found = re.search(r"db\.session|\bselect\(|\.commit\(", path.read_text())
        assert found is None, f"{path.relative_to(ROOT)} runs {found and found.group()}: move it to an operation"

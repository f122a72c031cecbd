"""What ships runs without the test-only code: no module imports tests/fakes/ or moto."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("collectors", "tui", "widgets")


def _modules() -> list[str]:
    names = []
    for package in SHIPPED:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_shipped_module_imports_without_the_test_fakes_or_moto(tmp_path: Path) -> None:
    # A fresh interpreter in an empty folder: tests/ is not on its path, as in a user's
    # install, and moto (a test extra) cannot be imported.
    code = (
        "import importlib, json, sys\n"
        "sys.modules['moto'] = None\n"
        f"for name in {_modules()!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "collectors.fakes.chatwoot_api" in loaded  # the demo's fakes do ship
    assert [m for m in loaded if m.split(".")[0] in {"fakes", "moto"}] == []


def test_a_long_module_says_why_it_is_one_unit() -> None:
    """Issue 15: over 500 lines, a module is split or its docstring says why it is one unit."""
    import ast

    unexplained = []
    for path in sorted(
        p for top in ("collectors", "tui", "widgets") for p in (ROOT / top).rglob("*.py")
    ):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= 500:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "One unit over 500 lines:" not in doc:
            unexplained.append(str(path.relative_to(ROOT)))
    assert unexplained == []

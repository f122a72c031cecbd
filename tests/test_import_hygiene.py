"""collectors/ runs without a screen: it never imports Textual, tui or widgets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_collectors_import_no_textual_module() -> None:
    modules = sorted(p.stem for p in (ROOT / "collectors").glob("*.py") if p.stem != "__init__")
    # As installed without the test extras: no click. (moto[server] brings click in, and
    # with click present `import httpx` also imports httpx's command line, and with it rich.)
    code = (
        "import importlib, json, sys\n"
        "sys.modules['click'] = None\n"
        f"for name in {modules!r}: importlib.import_module('collectors.' + name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "collectors.store" in loaded
    leaked = [m for m in loaded if m.split(".")[0] in {"textual", "tui", "widgets", "rich"}]
    assert leaked == []


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr

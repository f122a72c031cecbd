"""Run the `wootwatch` command of this environment as a user would, in a private home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))


def run_wootwatch(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`wootwatch ARGS` with `home` as $HOME and state directory, no $WOOTWATCH_*, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WOOTWATCH")}
    clean.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), **env)
    return subprocess.run(
        [WOOTWATCH, *args], capture_output=True, text=True, cwd=home, env=clean, timeout=60
    )

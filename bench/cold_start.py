"""Cold start of the headless commands against `python -c pass`, in one run.

Each command runs as a new process, the installed `wootwatch` entry point,
`RUNS` times interleaved with the baseline; the figure is the median wall
time. Targets (issue 12): `wootwatch --help` and `wootwatch alerts --json` on
a small database under 0.3 s on the development machine. `check-config` and
`ack` are shown for information.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import Result

RUNS = 11
TARGET_S = 0.3
WOOTWATCH = str(Path(sys.executable).with_name("wootwatch"))

CONFIG = """\
database: {db}
sources:
  - {{type: demo, name: chatwoot, part: chatwoot, interval: 5s}}
  - {{type: demo, name: sidekiq, part: sidekiq, interval: 5s}}
"""


def _wall(argv: list[str], cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - began


def run(workdir: Path) -> list[Result]:
    """Median wall time of each command and of the bare interpreter."""
    db = workdir / "cold.db"
    config = workdir / "cold.yaml"
    config.write_text(CONFIG.format(db=db))
    subprocess.run([WOOTWATCH, "collect", "--once", "--config", str(config)], check=True)
    commands = {
        "--help": ([WOOTWATCH, "--help"], TARGET_S),
        "alerts --json": ([WOOTWATCH, "alerts", "--db", str(db), "--json"], TARGET_S),
        "ack (no such alert)": ([WOOTWATCH, "ack", "999", "--db", str(db)], None),
        "check-config": ([WOOTWATCH, "check-config", "--config", str(config)], None),
    }
    baseline: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        baseline.append(_wall([sys.executable, "-c", "pass"], workdir))
        for name, (argv, _target) in commands.items():
            times[name].append(_wall(argv, workdir))
    base = statistics.median(baseline)
    results = []
    for name, (_argv, target) in commands.items():
        figure = statistics.median(times[name])
        results.append(
            Result(
                benchmark=f"cold start: wootwatch {name}",
                figure=f"{figure:.3f} s",
                target=f"< {target} s" if target else "-",
                baseline=f"python -c pass {base:.3f} s",
                ratio=f"{figure / base:.1f}x",
                passed=None if target is None else figure < target,
            )
        )
    return results

"""`interval: 1ms` passed `check-config`; `collect` then ignored SIGTERM for minutes.

Issue 14: a config may not ask for a process too busy to answer. The final
flush is bounded as well: `tests/faults/test_full_disk.py::
test_stopping_while_writes_fail_counts_what_was_not_written`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _wootwatch import run_in_process


@pytest.mark.parametrize("interval", ["1ms", "500ms"])
def test_an_interval_under_a_second_is_a_config_error(
    interval: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        "database: ww.db\nsources:\n"
        "  - {type: demo, name: chatwoot, part: chatwoot, interval: 5s}\n"
        f"  - {{type: demo, name: sidekiq, part: sidekiq, interval: {interval}}}\n"
    )
    for command in (["check-config"], ["collect", "--once"]):
        code, _, err = run_in_process(
            [*command, "--config", str(config)], capsys, monkeypatch, tmp_path
        )
        assert code == 2
        assert (
            f"source 'sidekiq': an interval of {interval} is too short; the shortest is 1s" in err
        )
    assert not (tmp_path / "ww.db").exists()


def test_one_second_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        "database: ww.db\nsources:\n  - {type: demo, name: sidekiq, part: sidekiq, interval: 1s}\n"
    )
    code, _, err = run_in_process(
        ["check-config", "--config", str(config)], capsys, monkeypatch, tmp_path
    )
    assert code == 0, err

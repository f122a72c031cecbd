"""`collect --metrics-listen` and `rules export --format prometheus` on the command line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tui.cli import main

CONFIG = """\
database: {db}
sources:
  - {{type: demo, name: chatwoot, part: chatwoot, interval: 10s}}
rules:
  - name: health_down
    series: chatwoot.up
    labels: {{check: health}}
    condition: {{op: "<", value: 1}}
    for: 3 checks
    severity: critical
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "wootwatch.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "w.db"), encoding="utf-8")
    return path


def test_a_listen_address_without_a_port_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["collect", "--metrics-listen", "localhost"])
    assert exited.value.code == 2
    assert "use HOST:PORT, like 127.0.0.1:9817" in capsys.readouterr().err


def test_a_taken_port_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(
            ["collect", "--config", str(_config(tmp_path)), "--metrics-listen", f"127.0.0.1:{port}"]
        )
    assert code == 1
    err = capsys.readouterr().err
    assert f"/metrics cannot listen on 127.0.0.1:{port}: Address already in use" in err
    assert "Traceback" not in err


def test_rules_export_writes_the_config_rules_with_its_poll_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rules.yml"
    args = ["rules", "export", "--config", str(_config(tmp_path)), "--format", "prometheus"]
    assert main([*args, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "      - alert: health_down\n" in text
    assert 'expr: max by (source) (wootwatch_chatwoot_up{check="health"}) < 1\n' in text
    assert "for: 20s\n" in text  # 3 checks of a source polled every 10 s
    assert "alert: chatwoot_api_down\n" in text  # the default pack too
    assert "wrote" in capsys.readouterr().err

"""A real Prometheus scrapes a real `wootwatch collect` running the demo stack.

The collector polls each demo part once (a 1 h interval), so the store holds
still while Prometheus scrapes it every second: what PromQL returns through
Prometheus's HTTP API must equal what `wootwatch export --format json`
reads from the same database (queue sizes, SLA ratio, latency buckets), and
`promtool check metrics` must find nothing to say about `/metrics`. A
collector whose source and Alertmanager refuse connections shows its refused
polls and its sink's counters there, and promtool accepts that page too.

Needs Debian's `prometheus` package (prometheus and promtool): skipped
without it, failed under CI.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._tools import tool
from tests.collectors.test_grafana_dashboard import dashboard_expressions

WOOTWATCH = Path(sys.executable).parent / "wootwatch"
DEADLINE = 30.0
"""Seconds any one wait may take: generous, for a loaded 2-core machine."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body.decode()


def _wait_for(what: str, check: object) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@dataclass
class Collector:
    url: str
    db: Path
    started: float


@dataclass
class Prometheus:
    url: str

    def query(self, promql: str) -> dict[tuple[tuple[str, str], ...], float]:
        """Instant query: each series' labels (without __name__) to its value."""
        body = _get(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
        result = json.loads(body)["data"]["result"]
        return {
            tuple(sorted((k, v) for k, v in r["metric"].items() if k != "__name__")): float(
                r["value"][1]
            )
            for r in result
        }


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    tmp = tmp_path_factory.mktemp("collect")
    config = tmp / "wootwatch.yaml"
    parts = ("chatwoot", "sidekiq", "pipeline")
    sources = "".join(f"  - {{type: demo, name: {p}, part: {p}, interval: 1h}}\n" for p in parts)
    config.write_text(f"database: {tmp / 'w.db'}\nsources:\n{sources}", encoding="utf-8")
    port = _free_port()
    started = time.time()
    process = subprocess.Popen(
        [WOOTWATCH, "collect", "--config", str(config), "--metrics-listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        _wait_for(
            "every demo part's first poll",
            lambda: (
                _get(url).count("wootwatch_source_polls_total{") == len(parts)
                and 'wootwatch_source_polls_total{source="chatwoot"} 1.0' in _get(url)
            ),
        )
        yield Collector(url, tmp / "w.db", started)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=DEADLINE)
    assert process.returncode == 0, process.stderr.read().decode() if process.stderr else ""


@pytest.fixture(scope="module")
def prometheus(
    collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    binary = tool("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    target = collector.url.removeprefix("http://").removesuffix("/metrics")
    (tmp / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: wootwatch\n    static_configs: [{{targets: ['{target}']}}]\n",
        encoding="utf-8",
    )
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Prometheus(f"http://127.0.0.1:{port}")
    try:
        _wait_for("Prometheus to be ready", lambda: "Ready" in _get(f"{server.url}/-/ready"))
        _wait_for(
            "a scrape of the collector",
            lambda: server.query('up{job="wootwatch"}') and server.query("wootwatch_source_up"),
        )
        yield server
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE)


def _export(collector: Collector) -> dict[str, object]:
    since = time.time() - collector.started + 5  # from before the collector's start
    result = subprocess.run(
        [
            WOOTWATCH,
            "export",
            "--db",
            str(collector.db),
            "--format",
            "json",
            "--since",
            f"{since:.0f}s",
        ],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=True,
    )
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_promtool_finds_no_problem_in_metrics(collector: Collector) -> None:
    promtool = tool("promtool")
    page = _get(collector.url)
    result = subprocess.run(
        [promtool, "check", "metrics"], input=page, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert "wootwatch_pipeline_latency_seconds_bucket" in page


def test_promql_returns_what_the_export_reads(collector: Collector, prometheus: Prometheus) -> None:
    document = _export(collector)
    queues = {(q["source"], q["queue"]): q["size"] for q in document["queues"]}  # type: ignore[attr-defined]
    scraped = {
        (dict(labels)["source"], dict(labels)["queue"]): value
        for labels, value in prometheus.query("wootwatch_sidekiq_queue_size").items()
    }
    assert queues and scraped == queues
    # the SLA ratio is the stored percent over 100
    (sla,) = document["sla"]  # type: ignore[misc]
    (ratio,) = prometheus.query("wootwatch_chatwoot_sla_compliance_ratio").values()
    assert ratio == pytest.approx(sla["latest"] / 100)
    # latency buckets: Prometheus's cumulative le buckets are the export's bars added up
    (pipeline,) = [d for d in document["distributions"] if "pipeline" in d["title"]]  # type: ignore[attr-defined]
    bars = [b["count"] for b in pipeline["buckets"]]
    buckets = prometheus.query("wootwatch_pipeline_latency_seconds_bucket")
    by_le = {dict(k)["le"]: v for k, v in buckets.items()}
    for le, bars_below in (("1", 1), ("2", 2), ("5", 3), ("10", 4), ("30", 5), ("+Inf", 6)):
        assert by_le[le] == pytest.approx(sum(bars[:bars_below]))
    assert by_le["+Inf"] == pipeline["total"] > 0


def test_every_dashboard_expression_runs_in_prometheus(prometheus: Prometheus) -> None:
    for expr in dashboard_expressions():
        if expr.startswith("label_values("):  # a Grafana variable, not PromQL
            continue
        promql = expr.replace("$source", ".*")
        body = _get(f"{prometheus.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
        assert json.loads(body)["status"] == "success", expr
    assert prometheus.query("sum by (source) (wootwatch_alert_firing) >= 0")


def test_collect_counts_refused_polls_and_its_alertmanager_sink(tmp_path: Path) -> None:
    promtool = tool("promtool")
    dead = _free_port()  # nothing listens: the source and Alertmanager refuse connections
    config = tmp_path / "wootwatch.yaml"
    config.write_text(
        f"database: {tmp_path / 'w.db'}\n"
        "sources:\n"
        f'  - {{type: pipeline, name: pipeline, url: "http://127.0.0.1:{dead}/p", interval: 1s}}\n'
        "notify:\n"
        "  bell: false\n"
        f'  alertmanager: {{url: "http://127.0.0.1:{dead}", retries: 0}}\n',
        encoding="utf-8",
    )
    port = _free_port()
    process = subprocess.Popen(
        [WOOTWATCH, "collect", "--config", str(config), "--metrics-listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    refused = 'wootwatch_poll_failures_total{reason="refused",source="pipeline"}'
    try:
        _wait_for("a refused poll counted", lambda: refused in _get(url))
        page = _get(url)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=DEADLINE)
    assert 'wootwatch_notifications_total{sink="alertmanager"} 0.0' in page
    assert 'wootwatch_notification_failures_total{sink="alertmanager"}' in page
    result = subprocess.run(
        [promtool, "check", "metrics"], input=page, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr

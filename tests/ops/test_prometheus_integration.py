"""A real Prometheus on loopback scrapes a running campaign's driver and Ray's nodes."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from cluster.launch import execute, open_campaign
from cluster.metrics import write_ray_sd_file
from cluster.ray_executor import RayExecutor
from ops.prom import PrometheusServer, start
from tools import metrics


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def query(server: PrometheusServer, expr: str) -> list[dict[str, object]]:
    url = f"{server.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.loads(resp.read())
    assert body["status"] == "success"
    return list(body["data"]["result"])


def wait_for(server: PrometheusServer, expr: str, timeout_s: float = 90) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = query(server, expr)
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"Prometheus never returned a result for {expr}")


@pytest.fixture
def local_ray(tmp_path: Path) -> Iterator[None]:
    os.environ.setdefault("RAY_TMPDIR", "/tmp")
    ray.init(
        num_cpus=2,
        resources={"target_x86_64": 1000.0},
        include_dashboard=False,
        log_to_driver=False,
        _system_config={"metrics_report_interval_ms": 1000},
    )
    yield
    ray.shutdown()


def test_campaign_and_ray_metrics_reach_prometheus(tmp_path: Path, local_ray: None) -> None:
    driver_port = metrics.serve(0)
    sd_file = write_ray_sd_file(tmp_path / "ray_sd.json")
    server = start(tmp_path / "prom", free_port(), driver_port, sd_file=sd_file)
    try:
        campaign = tmp_path / "c.yaml"
        campaign.write_text(
            "name: drill\nbenchmark: {kind: synthetic, problems: 3, work: 1000}\nsamples: 2\n"
        )
        opened = open_campaign(campaign, root=tmp_path / "runs")
        executor = RayExecutor()
        try:
            outcome = execute(opened, executor)
        finally:
            executor.close()
        assert outcome.recorded == 6
        done = wait_for(server, 'qimeng_campaign_samples_done{job="qimeng"} >= 6')
        assert float(done[0]["value"][1]) >= 6  # type: ignore[index]
        finished = wait_for(server, 'sum(qimeng_samples_finished_total{job="qimeng",kind="other"}) >= 6')
        assert finished
        assert query(server, 'qimeng_campaign_samples{job="qimeng"}')
        # Ray's own metrics and the counters our tasks record inside Ray, through the SD file
        assert wait_for(server, 'up{job="ray"} == 1')
        task_calls = wait_for(server, '{job="ray", __name__=~"ray_qimeng_task_calls.*"}')
        assert any(r["metric"].get("task") == "synthetic-sample" for r in task_calls)  # type: ignore[union-attr]
        # the recording rule over the campaign's series evaluates
        assert wait_for(server, "qimeng:campaign_progress:ratio")
    finally:
        server.stop()

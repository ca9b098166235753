"""Campaign metrics: the driver's progress in the catalog (:mod:`tools.metrics`), metrics inside Ray
tasks through ``ray.util.metrics`` (exported by each node's metrics agent), and the Prometheus
service-discovery file that lists every Ray node's metrics endpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import ray

from cluster.calls import CallResult
from tools import metrics as catalog
from tools.settings import get_settings

#: Campaign task name -> the catalog's bounded ``kind`` label.
TASK_KINDS = {
    "verilog-eval-sample": "verilog_eval",
    "hw-design-sample": "hw_design",
    "sw-design-sample": "sw_design",
    "synthetic-sample": "other",
}

_task_metrics: dict[str, Any] = {}


def campaign_started(planned: int, done: int, run_dir: Path) -> None:
    """Set the progress gauges (and the daily token budget the alert compares with) when a campaign
    (re)starts."""
    catalog.CAMPAIGN_SAMPLES.set(planned)
    catalog.CAMPAIGN_DONE.set(done)
    catalog.CAMPAIGN_LAST_PROGRESS.set(time.time())
    catalog.set_token_budget(get_settings().llm_tokens_per_day)
    catalog.update_disk(run_dir)


def samples_submitted(task: str, target: str | None, count: int) -> None:
    """Count samples handed to the executor."""
    kind = TASK_KINDS.get(task, "other")
    catalog.SAMPLES_STARTED.labels(kind=kind, target=catalog.bounded("target", target or "none")).inc(count)


def sample_finished(task: str, target: str | None, result: CallResult, remaining: int, run_dir: Path) -> None:
    """Count one finished sample by outcome (pass, fail, or error when it did not run to a verdict)."""
    passed = bool(result.value.get("passed")) if result.ok and isinstance(result.value, dict) else False
    outcome = "error" if not result.ok else ("pass" if passed else "fail")
    catalog.record_sample(TASK_KINDS.get(task, "other"), target or "none", outcome, remaining)
    catalog.update_disk(run_dir)


def task_ran(task: str, seconds: float, ok: bool) -> None:
    """Inside a Ray task: count the call and its duration with ``ray.util.metrics``."""
    from ray.util.metrics import Counter, Histogram

    if not _task_metrics:
        _task_metrics["calls"] = Counter(
            "qimeng_task_calls", description="Calls run on this Ray node.", tag_keys=("task", "ok")
        )
        _task_metrics["seconds"] = Histogram(
            "qimeng_task_seconds",
            description="Wall time of calls run on this Ray node.",
            boundaries=[0.1, 0.5, 1, 5, 10, 30, 60, 300],
            tag_keys=("task",),
        )
    _task_metrics["calls"].inc(1, tags={"task": task, "ok": str(ok).lower()})
    _task_metrics["seconds"].observe(seconds, tags={"task": task})


def write_ray_sd_file(path: Path) -> Path:
    """Write a Prometheus file_sd list of every live Ray node's metrics endpoint (as Ray's head does
    when its dashboard runs); needs a connected Ray."""
    targets = [
        f"{node['NodeManagerAddress']}:{node['MetricsExportPort']}"
        for node in ray.nodes()
        if node.get("Alive") and node.get("MetricsExportPort")
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"labels": {"job": "ray"}, "targets": targets}]))
    return path

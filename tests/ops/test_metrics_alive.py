"""Every series the alert rules, recording rules and dashboards read is produced by code that runs:
a real Prometheus scrapes this process's /metrics (a short LLM design session, a tool run that hits
a sandbox limit, a short campaign) and the Ray nodes of that campaign."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from fakes.llm_server import ScriptedLLMServer
from short_session import TOKENS_PER_DAY, run_short_session
from test_prometheus_integration import free_port, local_ray, query

from cluster.launch import execute, open_campaign
from cluster.metrics import write_ray_sd_file
from cluster.ray_executor import RayExecutor
from ops.prom import CONFIG_DIR, PrometheusServer, start
from tools import metrics
from tools.calls import LOCAL_NODE, Call
from tools.hdl.calls import LINT
from tools.sandbox import run_sandboxed
from tools.settings import SandboxLimits

__all__ = ["local_ray"]  # the fixture, shared with the integration test

ADDER = "module top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n"
GRAFANA = Path(__file__).parents[2] / "ops" / "grafana" / "dashboards"
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without", "on", "ignoring"}
# Labels every scraped series has; a series with no other label is "unlabeled" (see produced()).
TARGET_LABELS = {"__name__", "job", "instance"}


def series_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (functions, keywords, labels and numbers left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(\s*\()?", text):
        if m.group(2) is None and m.group(1) not in KEYWORDS:
            names.add(m.group(1))
    return names


def rules() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(name -> where it is read) for alert and recording rules, and (recorded name -> its inputs)."""
    read: dict[str, set[str]] = {}
    recorded: dict[str, set[str]] = {}
    for path in sorted((CONFIG_DIR / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                names = series_names(rule["expr"])
                if "record" in rule:
                    recorded[rule["record"]] = names
                where = f"{path.name}:{rule.get('alert') or rule.get('record')}"
                for name in names:
                    read.setdefault(name, set()).add(where)
    return read, recorded


def dashboard_series() -> dict[str, set[str]]:
    """name -> the dashboard panels that read it."""
    read: dict[str, set[str]] = {}
    for path in sorted(GRAFANA.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                for name in series_names(target["expr"]):
                    read.setdefault(name, set()).add(f"{path.name}:{panel['title']}")
    return read


def dead(required: set[str], produced: set[str], recorded: dict[str, set[str]]) -> set[str]:
    """Names in ``required`` that nothing produces; a recording rule's output counts as produced
    when every input is (inputs that are themselves recorded are followed)."""

    def alive(name: str, seen: frozenset[str]) -> bool:
        if name in produced:
            return True
        if name in recorded and name not in seen:
            return all(alive(n, seen | {name}) for n in recorded[name])
        return False

    return {n for n in required if not alive(n, frozenset())}


def produced(server: PrometheusServer, names: set[str]) -> set[str]:
    """The names Prometheus holds a series of in the last 10 minutes: any series of a labeled
    metric (it exists only once something recorded a label value), or, for an unlabeled one, a
    non-zero value (a gauge still at its initial zero was never set)."""
    found = set()
    for name in names:
        url = f"{server.url}/api/v1/series?" + urllib.parse.urlencode(
            {"match[]": name, "start": str(time.time() - 600)}
        )
        with urllib.request.urlopen(url, timeout=5) as resp:
            series = json.loads(resp.read())["data"]
        if any(set(s) - TARGET_LABELS for s in series) or (
            series and query(server, f"max_over_time({name}[10m]) != 0")
        ):
            found.add(name)
    return found


def test_the_checker_finds_a_dead_series() -> None:
    """The check can fail: an unknown name, and a recording rule over one, are reported dead."""
    assert series_names('sum by (kind) (rate(qimeng_x_total{outcome="error"}[5m])) / on() up') == {
        "qimeng_x_total",
        "up",
    }
    assert series_names("(time() - a_seconds > 900) and (b - c > 0) or d < 2e9") == {
        "a_seconds",
        "b",
        "c",
        "d",
    }
    recorded = {"qimeng:r": {"qimeng_a_total", "qimeng_b_total"}}
    assert dead({"qimeng:r", "qimeng_a_total"}, {"qimeng_a_total"}, recorded) == {"qimeng:r"}
    assert dead({"qimeng:r"}, {"qimeng_a_total", "qimeng_b_total"}, recorded) == set()


def test_every_series_in_rules_and_dashboards_is_produced(
    tmp_path: Path, local_ray: None, llm_server: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIMENG_LLM_TOKENS_PER_DAY", str(TOKENS_PER_DAY))  # the campaign reads it too
    read, recorded = rules()
    for name, where in dashboard_series().items():
        read.setdefault(name, set()).update(where)
    required = set(read)
    assert {"qimeng_llm_tokens_total", "qimeng_llm_token_budget_per_day", "ray_tasks", "up"} <= required

    driver_port = metrics.serve(0)
    server = start(
        tmp_path / "prom", free_port(), driver_port, sd_file=write_ray_sd_file(tmp_path / "sd.json")
    )
    try:
        values = run_short_session(tmp_path / "session", llm_server)
        assert values["status"] == "done"
        work = tmp_path / "sbx"
        work.mkdir()
        hung = run_sandboxed(["sleep", "30"], work, limits=SandboxLimits(wall_s=0.5))
        assert hung.limits_hit == ["wall"]
        campaign = tmp_path / "c.yaml"
        campaign.write_text(
            "name: alive\nbenchmark: {kind: synthetic, problems: 3, work: 1000}\nsamples: 2\n"
        )
        executor = RayExecutor()
        try:
            assert execute(open_campaign(campaign, root=tmp_path / "runs"), executor).recorded == 6
            # a tool call that ran in a Ray worker counts in this process's catalog (replayed)
            lints_before = (
                metrics.REGISTRY.get_sample_value("qimeng_tool_calls_total", {"tool": "verilator"}) or 0
            )
            linted = executor.run(Call(key="lint", task=LINT, args={"rtl": ADDER}))
            assert linted.ok and linted.node_id != LOCAL_NODE
            assert {name for name, _ in linted.metrics} == {"record_tool_call", "record_limit_hits"}
            lints = metrics.REGISTRY.get_sample_value("qimeng_tool_calls_total", {"tool": "verilator"})
            assert lints == lints_before + 1
        finally:
            executor.close()
        leaves = required - set(recorded)
        deadline = time.monotonic() + 90
        found = produced(server, leaves)
        while dead(required, found, recorded) and time.monotonic() < deadline:
            time.sleep(2)
            found = produced(server, leaves)
        missing = dead(required, found, recorded)
        assert not missing, "dead series: " + "; ".join(
            f"{n} (read by {', '.join(sorted(read[n]))})" for n in sorted(missing)
        )
        budget = query(server, 'qimeng_llm_token_budget_per_day{job="qimeng"}')
        assert float(budget[0]["value"][1]) == TOKENS_PER_DAY  # type: ignore[index]
        errors = query(server, 'qimeng_llm_errors_total{job="qimeng",agent="planner",error="server"}')
        assert errors and float(errors[0]["value"][1]) >= 1  # type: ignore[index]
    finally:
        server.stop()

"""The metrics catalog follows Prometheus conventions and keeps label cardinality bounded."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.metrics import MetricWrapperBase

from tools import metrics

UNBOUNDED = {
    "run",
    "run_id",
    "thread",
    "thread_id",
    "sample",
    "sample_id",
    "task_id",
    "campaign_id",
    "id",
    "path",
}
UNITS = ("_total", "_seconds", "_bytes", "_ratio", "_timestamp_seconds", "_per_day")


def catalog() -> list[MetricWrapperBase]:
    return [v for v in vars(metrics).values() if isinstance(v, MetricWrapperBase)]


def test_every_metric_is_named_by_convention() -> None:
    found = catalog()
    assert len(found) >= 15
    for metric in found:
        name = metric._name
        kind = metric._type
        assert name.startswith("qimeng_"), name
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        if kind == "counter":
            # prometheus_client stores counters without the suffix and adds it on export
            assert not name.endswith("_total"), name
        if kind == "histogram":
            assert name.endswith("_seconds") or name.endswith("_bytes"), name
        assert metric._documentation, f"{name} has no help text"


def test_no_unbounded_labels() -> None:
    for metric in catalog():
        for label in metric._labelnames:
            assert label not in UNBOUNDED, f"{metric._name} has unbounded label {label}"
            assert label in metrics.LABEL_VALUES or label in {"agent", "model", "tool"}, (metric._name, label)


def test_exported_counter_names_end_in_total() -> None:
    metrics.record_tool_call("iverilog", 0.2)
    text = generate_latest(metrics.REGISTRY).decode()
    assert 'qimeng_tool_calls_total{tool="iverilog"}' in text
    assert "qimeng_tool_duration_seconds_bucket" in text
    for line in text.splitlines():
        if line.startswith("# TYPE") and line.endswith(" counter"):
            assert line.split()[2].endswith("_total"), line


def test_label_values_are_bounded() -> None:
    assert metrics.bounded("target", "mips") == "other"
    assert metrics.bounded("target", "riscv64") == "riscv64"
    assert metrics.bounded("limit", "run-20261126-abcdef") == "other"
    metrics.record_limit_hits(["wall", "something-else"])
    text = generate_latest(metrics.REGISTRY).decode()
    assert 'qimeng_sandbox_limit_hits_total{limit="wall"}' in text
    assert 'limit="something-else"' not in text


def test_sample_progress_updates_gauges() -> None:
    before = metrics.CAMPAIGN_DONE._value.get()
    metrics.record_sample("verilog_eval", "none", "pass", remaining=3)
    assert metrics.CAMPAIGN_DONE._value.get() == before + 1
    assert metrics.CAMPAIGN_LAST_PROGRESS._value.get() > 0


def test_no_room_below_ops_imports_ops() -> None:
    """The catalog lives in tools/ so that tools, agents, graphs and cluster record without importing ops."""
    root = Path(__file__).parents[2]
    offenders = []
    for room in ("tools", "agents", "graphs", "cluster", "knowledge", "evals"):
        for path in sorted((root / room).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] == "ops"]
    assert offenders == []


def test_a_journal_replays_elsewhere_and_rejects_unknown_records() -> None:
    """What a call records in another process travels as JSON and counts once where it is replayed."""
    with metrics.journal() as recorded:
        metrics.record_tool_call("journal-tool", 0.5)
        metrics.record_llm("journal.agent", "m", 3, 4, 0.1)
    assert [name for name, _ in recorded] == ["record_tool_call", "record_llm"]
    before = metrics.REGISTRY.get_sample_value("qimeng_tool_calls_total", {"tool": "journal-tool"})
    metrics.replay(json.loads(json.dumps(recorded)))
    after = metrics.REGISTRY.get_sample_value("qimeng_tool_calls_total", {"tool": "journal-tool"})
    assert before == 1 and after == 2
    with pytest.raises(ValueError, match="unknown metrics record 'record_sample'; known: record_limit_hits"):
        metrics.replay([["record_sample", ["other", "none", "pass", 0]]])


def test_a_campaign_publishes_the_configured_daily_token_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cluster.metrics import campaign_started

    monkeypatch.setenv("QIMENG_LLM_TOKENS_PER_DAY", "777000")
    campaign_started(planned=4, done=1, run_dir=tmp_path)
    assert metrics.REGISTRY.get_sample_value("qimeng_llm_token_budget_per_day") == 777000
    assert metrics.REGISTRY.get_sample_value("qimeng_campaign_samples") == 4

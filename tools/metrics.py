"""The metrics catalog: every metric qimeng exports, declared once.

Names follow Prometheus conventions (``qimeng_`` prefix, base units, ``_total`` on counters).
Labels are bounded: each label's allowed values are listed in :data:`LABEL_VALUES` (or, for
``agent``, ``model`` and ``tool``, drawn from small fixed vocabularies); no run, thread or sample
ids. Long-lived processes expose these with :func:`serve`. A tool call that runs in another
process (a Ray worker) keeps a :func:`journal` of what it recorded; the process that collects its
result replays it (:func:`replay`), so the driver's ``/metrics`` counts work done anywhere. Ray's own view
of its tasks uses ``ray.util.metrics`` (see ``cluster/metrics.py``).

It lives in ``tools/``, below every room that records into it (tools, agents, graphs, cluster, ops),
and imports nothing of ours.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)

KINDS = ("hw_design", "sw_design", "verilog_eval", "kernel_eval", "tool", "other")
TARGETS = ("x86_64", "aarch64", "riscv64", "cuda", "none")
OUTCOMES = ("pass", "fail", "error")
LIMITS = ("wall", "cpu", "memory", "nproc", "fsize")
LLM_ERROR_KINDS = ("timeout", "rate_limit", "server", "auth", "connection", "malformed")
TOKEN_KINDS = ("prompt", "completion")
REWARD_KINDS = ("verilog", "kernel")
REWARD_VERDICTS = ("pass", "fail", "inconclusive", "invalid", "error")
REWARD_REJECTIONS = ("json", "shape", "too_large", "items")

#: Allowed values per label; ``agent``, ``model`` and ``tool`` are checked by :func:`bounded`.
LABEL_VALUES: dict[str, tuple[str, ...]] = {
    "kind": KINDS,
    "target": TARGETS,
    "outcome": OUTCOMES,
    "limit": LIMITS,
    "error": LLM_ERROR_KINDS,
    "token": TOKEN_KINDS,
    "reward_kind": REWARD_KINDS,
    "verdict": REWARD_VERDICTS,
    "cached": ("true", "false"),
    "why": REWARD_REJECTIONS,
}
_MAX_FREE_LABEL_VALUES = 64

TASKS_STARTED = Counter(
    "qimeng_tasks_started_total", "Tasks started, by kind and target.", ["kind", "target"], registry=REGISTRY
)
TASKS_FINISHED = Counter(
    "qimeng_tasks_finished_total",
    "Tasks finished, by kind, target and outcome (pass, fail, error).",
    ["kind", "target", "outcome"],
    registry=REGISTRY,
)
SAMPLES_STARTED = Counter(
    "qimeng_samples_started_total", "Campaign samples started.", ["kind", "target"], registry=REGISTRY
)
SAMPLES_FINISHED = Counter(
    "qimeng_samples_finished_total",
    "Campaign samples finished, by outcome; outcome=pass counts passing results.",
    ["kind", "target", "outcome"],
    registry=REGISTRY,
)
TOOL_CALLS = Counter("qimeng_tool_calls_total", "External tool invocations.", ["tool"], registry=REGISTRY)
TOOL_DURATION = Histogram(
    "qimeng_tool_duration_seconds",
    "Wall time of external tool invocations.",
    ["tool"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
LLM_REQUESTS = Counter(
    "qimeng_llm_requests_total", "LLM requests, by agent and model.", ["agent", "model"], registry=REGISTRY
)
LLM_TOKENS = Counter(
    "qimeng_llm_tokens_total",
    "LLM tokens, by agent, model and token kind (prompt, completion).",
    ["agent", "model", "token"],
    registry=REGISTRY,
)
LLM_ERRORS = Counter(
    "qimeng_llm_errors_total",
    "Failed LLM requests (retried or not), by agent, model and kind.",
    ["agent", "model", "error"],
    registry=REGISTRY,
)
LLM_DURATION = Histogram(
    "qimeng_llm_request_duration_seconds",
    "Wall time of LLM requests (answered or failed), by agent and model.",
    ["agent", "model"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
    registry=REGISTRY,
)
LLM_TOKEN_BUDGET = Gauge(
    "qimeng_llm_token_budget_per_day",
    "Configured LLM token budget per day (settings.llm_tokens_per_day; 0: none).",
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("qimeng_queue_depth", "Samples waiting to run, by kind.", ["kind"], registry=REGISTRY)
CAMPAIGN_SAMPLES = Gauge(
    "qimeng_campaign_samples", "Samples the running campaign plans in all.", registry=REGISTRY
)
CAMPAIGN_DONE = Gauge(
    "qimeng_campaign_samples_done", "Samples the running campaign has finished.", registry=REGISTRY
)
CAMPAIGN_LAST_PROGRESS = Gauge(
    "qimeng_campaign_last_progress_timestamp_seconds",
    "Unix time the running campaign last finished a sample.",
    registry=REGISTRY,
)
SANDBOX_LIMIT_HITS = Counter(
    "qimeng_sandbox_limit_hits_total",
    "Sandboxed runs stopped by a limit, by limit.",
    ["limit"],
    registry=REGISTRY,
)
RUN_DIR_FREE = Gauge(
    "qimeng_run_dir_free_bytes",
    "Free bytes on the file system that holds the run directory.",
    registry=REGISTRY,
)
REWARD_ITEMS = Counter(
    "qimeng_reward_items_total",
    "Reward service items answered, by kind (verilog, kernel), verdict and whether the cache answered.",
    ["reward_kind", "verdict", "cached"],
    registry=REGISTRY,
)
REWARD_ITEM_DURATION = Histogram(
    "qimeng_reward_item_duration_seconds",
    "Checker wall time of reward items that ran (cache misses), by kind.",
    ["reward_kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60),
    registry=REGISTRY,
)
REWARD_BATCH_DURATION = Histogram(
    "qimeng_reward_batch_duration_seconds",
    "Wall time of answering one POST /reward batch.",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 60, 120, 300),
    registry=REGISTRY,
)
REWARD_REJECTED = Counter(
    "qimeng_reward_requests_rejected_total",
    "POST /reward requests answered 400, by why (json, shape, too_large, items).",
    ["why"],
    registry=REGISTRY,
)


def bounded(label: str, value: str) -> str:
    """Return ``value`` if it is allowed for ``label``; otherwise ``other`` (never a new series per id)."""
    allowed = LABEL_VALUES.get(label)
    if allowed is not None:
        return value if value in allowed else "other"
    return value[:48] if value else "other"


def record_tool_call(tool: str, seconds: float) -> None:
    """Count one external tool call and its wall time."""
    _note("record_tool_call", tool, seconds)
    name = bounded("tool", tool)
    TOOL_CALLS.labels(tool=name).inc()
    TOOL_DURATION.labels(tool=name).observe(seconds)


def record_limit_hits(limits: list[str]) -> None:
    """Count sandbox limit hits."""
    _note("record_limit_hits", limits)
    for limit in limits:
        SANDBOX_LIMIT_HITS.labels(limit=bounded("limit", limit)).inc()


def record_llm(agent: str, model: str, prompt_tokens: int, completion_tokens: int, seconds: float) -> None:
    """Count one answered LLM request, its tokens and its wall time."""
    _note("record_llm", agent, model, prompt_tokens, completion_tokens, seconds)
    agent, model = bounded("agent", agent), bounded("model", model)
    LLM_REQUESTS.labels(agent=agent, model=model).inc()
    LLM_DURATION.labels(agent=agent, model=model).observe(seconds)
    LLM_TOKENS.labels(agent=agent, model=model, token="prompt").inc(prompt_tokens)
    LLM_TOKENS.labels(agent=agent, model=model, token="completion").inc(completion_tokens)


def record_llm_error(agent: str, model: str, kind: str, seconds: float) -> None:
    """Count one failed LLM request (it is a request too) by kind: timeout, rate_limit, server, auth,
    connection, malformed."""
    _note("record_llm_error", agent, model, kind, seconds)
    agent, model = bounded("agent", agent), bounded("model", model)
    LLM_REQUESTS.labels(agent=agent, model=model).inc()
    LLM_DURATION.labels(agent=agent, model=model).observe(seconds)
    LLM_ERRORS.labels(agent=agent, model=model, error=bounded("error", kind)).inc()


def set_token_budget(tokens_per_day: int) -> None:
    """Publish the configured daily LLM token budget (0: none) for the budget-burn alert."""
    _note("set_token_budget", tokens_per_day)
    LLM_TOKEN_BUDGET.set(tokens_per_day)


def record_task_started(kind: str, target: str) -> None:
    """Count one task (a design request handed to an agent) that starts running."""
    _note("record_task_started", kind, target)
    TASKS_STARTED.labels(kind=bounded("kind", kind), target=bounded("target", target)).inc()


def record_task_finished(kind: str, target: str, outcome: str) -> None:
    """Count one finished task by outcome: pass (verified), fail (not verified), error (raised)."""
    _note("record_task_finished", kind, target, outcome)
    TASKS_FINISHED.labels(
        kind=bounded("kind", kind), target=bounded("target", target), outcome=bounded("outcome", outcome)
    ).inc()


def record_reward_item(kind: str, verdict: str, cached: bool, seconds: float) -> None:
    """Count one answered reward item; a checked (not cached) item also records its checker time."""
    _note("record_reward_item", kind, verdict, cached, seconds)
    rk = bounded("reward_kind", kind)
    REWARD_ITEMS.labels(reward_kind=rk, verdict=bounded("verdict", verdict), cached=str(cached).lower()).inc()
    if not cached:
        REWARD_ITEM_DURATION.labels(reward_kind=rk).observe(seconds)


def record_reward_batch(seconds: float) -> None:
    """Record the wall time of one answered reward batch."""
    _note("record_reward_batch", seconds)
    REWARD_BATCH_DURATION.observe(seconds)


def record_reward_rejected(why: str) -> None:
    """Count one reward request answered 400: json, shape, too_large or items."""
    _note("record_reward_rejected", why)
    REWARD_REJECTED.labels(why=bounded("why", why)).inc()


Record = tuple[str, list[Any]]
"""One journaled recording: the recording function's name and its (JSON) arguments."""
_journal: ContextVar[list[Record] | None] = ContextVar("qimeng_metrics_journal", default=None)


def _note(name: str, *args: Any) -> None:
    entries = _journal.get()
    if entries is not None:
        entries.append((name, list(args)))


@contextmanager
def journal() -> Iterator[list[Record]]:
    """Inside the block, every recording (tool calls, limit hits, LLM requests and errors, the token
    budget, tasks) is also appended to the yielded list, to be replayed where the result goes."""
    entries: list[Record] = []
    token = _journal.set(entries)
    try:
        yield entries
    finally:
        _journal.reset(token)


def replay(records: list[Record] | list[list[Any]]) -> None:
    """Record here what a :func:`journal` recorded elsewhere (records may have travelled as JSON).

    Raises:
        ValueError: for a record that names no journaled recording function.
    """
    for name, args in records:
        recorder = _REPLAYABLE.get(str(name))
        if recorder is None:
            raise ValueError(f"unknown metrics record '{name}'; known: {', '.join(sorted(_REPLAYABLE))}")
        recorder(*args)


_REPLAYABLE: dict[str, Any] = {
    "record_tool_call": record_tool_call,
    "record_limit_hits": record_limit_hits,
    "record_llm": record_llm,
    "record_llm_error": record_llm_error,
    "set_token_budget": set_token_budget,
    "record_task_started": record_task_started,
    "record_task_finished": record_task_finished,
    "record_reward_item": record_reward_item,
    "record_reward_batch": record_reward_batch,
    "record_reward_rejected": record_reward_rejected,
}


def record_sample(kind: str, target: str, outcome: str, remaining: int) -> None:
    """A campaign sample finished: count it, update progress and the last-progress time."""
    SAMPLES_FINISHED.labels(
        kind=bounded("kind", kind), target=bounded("target", target), outcome=outcome
    ).inc()
    CAMPAIGN_DONE.inc()
    CAMPAIGN_LAST_PROGRESS.set(time.time())
    QUEUE_DEPTH.labels(kind=bounded("kind", kind)).set(remaining)


def update_disk(run_dir: Path) -> None:
    """Refresh the free-space gauge of the run directory's file system."""
    path = run_dir if run_dir.exists() else Path(os.getcwd())
    RUN_DIR_FREE.set(shutil.disk_usage(path).free)


def serve(port: int, addr: str = "127.0.0.1") -> int:
    """Expose ``/metrics`` on ``addr:port`` (0 picks a free port); returns the port in use."""
    server, _thread = start_http_server(port, addr=addr, registry=REGISTRY)
    return int(server.server_address[1])

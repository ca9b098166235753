"""The design-session benchmark's workload is the real tool calls, and its statistics are right."""

from __future__ import annotations

from evals.tool_dispatch import _latency, noop_call, session_calls
from tools.executor import InProcessExecutor


def test_the_session_mix_is_the_test_requests_tool_calls_and_each_one_works() -> None:
    calls = session_calls({"x86_64"})
    assert [c.key for c in calls] == [
        "lint",
        "diffsim",
        "synth",
        "compile@x86_64",
        "test@x86_64",
        "time@x86_64",
    ]
    assert [c.key for c in session_calls(None)].count("test@riscv64") == 1
    results = {r.key: r for r in InProcessExecutor().map(calls)}
    assert all(r.ok for r in results.values()), {k: r.error for k, r in results.items() if not r.ok}
    assert (results["diffsim"].value or {})["verdict"] == "pass"
    assert (results["test@x86_64"].value or {})["status"] == "pass"
    assert noop_call({"ignored": 1}) == {}


def test_median_and_p95_of_known_values() -> None:
    lat = _latency([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert lat.median_ms == 50.5 and lat.p95_ms == 95.0

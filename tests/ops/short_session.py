"""A short design session in LLM mode against the scripted server, shared by the metrics and trace
tests: the planner's first request fails once (HTTP 503, retried), its first plan is rejected by the
validator, the hardware agent's first RTL is wrong and repaired after the differential check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient
from graphs.session import Session
from tools.settings import load_settings

SPEC = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
BUGGY = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a | b;\nendmodule\n```"
FIXED = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = (
    "```python\nclass Model:\n    def reset(self):\n        pass\n\n    def outputs(self, inputs):\n"
    '        return {"y": (inputs["a"] + inputs["b"]) % 16}\n\n    def clock(self, inputs):\n        pass\n```'
)
TOKENS_PER_DAY = 200_000


def run_short_session(root: Path, server: ScriptedLLMServer) -> dict[str, Any]:
    """Script the server, run the session under ``root`` and return the thread's final state values."""
    bad = {
        "kind": "hw",
        "tasks": [{"id": "t1", "kind": "sw", "spec": "adder", "constraints": {"target": "mips"}}],
        "rationale": "wrong agent",
    }
    good = {"kind": "hw", "tasks": [{"id": "hw-1", "kind": "hw", "spec": SPEC}]}
    server.fail(503)
    server.reply_json(bad, usage=(100, 20))
    server.reply_json(good, usage=(150, 30))
    server.reply_text(BUGGY, usage=(50, 10))  # hw.designer
    server.reply_text(MODEL, usage=(40, 10))  # hw.tester
    server.reply_text("candidate", usage=(30, 1))  # hw.judge: the candidate is wrong
    server.reply_text(FIXED, usage=(60, 10))  # hw.designer repairs it
    settings = load_settings(
        llm_base_url=server.base_url,
        llm_model="scripted-model",
        llm_api_key="test-key",
        llm_timeout_s=5.0,
        llm_max_retries=2,
        llm_tokens_per_day=TOKENS_PER_DAY,
    )
    session = Session(root, llm=LLMClient(settings, backoff_base_s=0.01, jitter=0.0))
    try:
        list(session.start(SPEC, offline=False))
        return session.values()
    finally:
        session.close()

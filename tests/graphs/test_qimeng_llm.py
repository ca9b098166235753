"""The top-level graph in LLM mode against the scripted server: a plan repaired after validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient
from agents.llm_errors import LLMUnreachable
from graphs.session import Session
from tools.settings import Settings, load_settings

SPEC = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
BUGGY = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a | b;\nendmodule\n```"
FIXED = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = (
    "```python\nclass Model:\n    def reset(self):\n        pass\n\n    def outputs(self, inputs):\n"
    '        return {"y": (inputs["a"] + inputs["b"]) % 16}\n\n    def clock(self, inputs):\n        pass\n```'
)


def test_llm_planner_and_hardware_agent_repair_round_trip(
    tmp_path: Path, llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    """The plan is repaired after validator feedback; the LLM designer's wrong RTL is repaired after
    the differential checker's feedback; both through the top-level graph."""
    bad = {
        "kind": "hw",
        "tasks": [{"id": "t1", "kind": "sw", "spec": "adder", "constraints": {"target": "mips"}}],
        "rationale": "wrong agent",
    }
    good = {"kind": "hw", "tasks": [{"id": "hw-1", "kind": "hw", "spec": SPEC}]}
    llm_server.reply_json(bad, usage=(100, 20))
    llm_server.reply_json(good, usage=(150, 30))
    llm_server.reply_text(BUGGY, usage=(50, 10))  # hw.designer
    llm_server.reply_text(MODEL, usage=(40, 10))  # hw.tester (never sees the RTL)
    llm_server.reply_text("candidate", usage=(30, 1))  # hw.judge: the candidate is wrong
    llm_server.reply_text(FIXED, usage=(60, 10))  # hw.designer, repair with the checker's feedback
    s = Session(tmp_path, llm=llm_client)
    list(s.start(SPEC, offline=False))
    values = s.values()
    assert values["status"] == "done"
    hw = values["hw_results"][0].design
    assert hw.status == "verified" and "a + b" in hw.rtl
    prompts = [str(r.messages[-1]["content"]) for r in llm_server.chat_requests]
    assert "Differential check: FAIL" in prompts[5]
    assert "assign y" not in prompts[3]
    second_prompt = str(llm_server.requests[1].messages[-1]["content"])
    assert "rejected by the validator" in second_prompt
    assert "constraints.target 'mips' is not a known target" in second_prompt
    assert "a hardware request needs at least one hw task" in second_prompt
    assert any("first plan rejected" in f for f in values["feedback"])
    report = s.result()
    assert report is not None and report["cost"]["planner"]["tokens"] == 300
    assert report["cost"]["hardware"]["tokens"] == 60 + 50 + 31 + 70
    assert report["tokens"] == 300 + 211


def test_unreachable_llm_is_a_clear_error_and_the_thread_is_kept(tmp_path: Path) -> None:
    settings: Settings = load_settings(
        llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=1.0, llm_max_retries=0
    )
    s = Session(tmp_path, llm=LLMClient(settings, backoff_base_s=0.0, jitter=0.0))
    with pytest.raises(LLMUnreachable, match="127.0.0.1:9"):
        list(s.start("8-bit counter with sync reset", offline=False))
    assert s.exists() and s.values()["kind"] == "hw", "intake's checkpoint survives the failure"


WRONG_SUM = "```c\nvoid reduce_sum(const float* x, float* out, int n) { out[0] = x[0]; }\n```"
SHAPES = '```json\n[{"n": 5}, {"n": 33}]\n```'


def test_software_agent_in_the_hierarchy_uses_the_llm_roles_and_writes_its_run(
    tmp_path: Path, llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    """In LLM mode a software task goes to the LLM designer and tester (the same roles as the
    hardware agent's), is repaired from the differential test's feedback, and leaves its run."""
    from agents.sw.library import get_template

    good = get_template("reduce_sum").render("x86_64")
    plan = {
        "kind": "sw",
        "tasks": [{"id": "sw-1", "kind": "sw", "spec": "sum n=1000", "constraints": {"target": "x86_64"}}],
    }
    llm_server.reply_json(plan, usage=(100, 20))
    for reply in (WRONG_SUM, SHAPES, f"```c\n{good}```", SHAPES):  # designer, tester, repair, tester
        llm_server.reply_text(reply, usage=(10, 5))
    s = Session(tmp_path, llm=llm_client)
    list(s.start("a sum kernel n=1000 for x86_64", offline=False))
    kernel = s.values()["sw_results"][0].design
    assert kernel.origin == "llm:designer" and kernel.status == "verified" and kernel.evidence.verified
    assert [a.origin for a in kernel.attempts] == ["llm:designer"]
    run = Path(kernel.run_dir)
    assert run.parent == tmp_path / s.thread_id and (run / "reduce_sum_x86_64.c").read_text() == kernel.source
    report = s.result()
    assert report is not None and report["status"] == "done"
    assert report["cost"]["software"]["tokens"] == 4 * 15
    assert report["results"][0]["design"]["evidence"]["checks"]  # --json carries the evidence


def test_a_thread_failed_on_the_llm_shows_failed_and_resumes_offline(tmp_path: Path) -> None:
    settings: Settings = load_settings(
        llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=1.0, llm_max_retries=0
    )
    s = Session(tmp_path, "t-fail", llm=LLMClient(settings, backoff_base_s=0.0, jitter=0.0))
    with pytest.raises(LLMUnreachable):
        list(s.start("8-bit up counter with synchronous active-high reset", offline=False))
    (info,) = s.threads()
    assert info.status.startswith("failed: LLMUnreachable") and "127.0.0.1:9" in info.status
    s.close()
    offline = Session(tmp_path, "t-fail")  # no LLM client: the rest of the thread runs offline
    list(offline.resume())
    assert offline.values()["status"] == "done"
    assert offline.failure() is None
    assert offline.threads()[0].status == "done"

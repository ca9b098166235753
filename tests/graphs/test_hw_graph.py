"""The hardware subgraph end to end: offline requests to verified designs in the run store, the
node functions on their own, and the repair loop driven by the scripted LLM server (the real
client runs; only the model's answers are scripted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.llm_server import ScriptedLLMServer

from agents.hw.nodes import HwNodes, Roles, route_after_check
from agents.hw.state import HwState
from agents.llm import LLMClient
from agents.roles import build_roles
from graphs.hw import design_block
from tools.errors import UsageError
from tools.evidence import Evidence


def test_offline_counter_is_verified_and_stored(tmp_path: Path) -> None:
    out = design_block(
        "a 4-bit down counter with enable and synchronous reset", roles=Roles(), run_root=tmp_path
    )
    assert out.status == "verified" and out.evidence.verified
    run = Path(out.run_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["summary"]["verdict"] == "verified"
    evidence = json.loads((run / "evidence.json").read_text())
    by_name = {c["name"]: c for c in evidence["checks"]}
    assert by_name["lint"]["status"] == "pass"
    assert by_name["diffsim"]["status"] == "pass" and by_name["diffsim"]["seeds"] == [1, 2, 3]
    assert "module counter" in (run / "design.v").read_text()
    assert "class Model" in (run / "reference_model.py").read_text()


def test_offline_samples_area_variants_and_ranks_them(tmp_path: Path) -> None:
    out = design_block("an 6-bit multiplier", roles=Roles(), run_root=tmp_path, samples=2)
    assert out.status == "verified"
    # both variants passed; the smaller one is the design, the other is kept as an attempt
    assert len(out.attempts) == 1 and out.attempts[0].summary.startswith("passed, but another passing")
    assert Evidence(checks=out.attempts[0].checks).verified
    assert "shift_add" in str(out.variant) + out.attempts[0].origin


def test_unrecognized_request_stops_at_spec() -> None:
    with pytest.raises(UsageError, match="no generator in the offline library matches"):
        design_block("a coffee machine", roles=Roles())


def test_nodes_run_without_langgraph() -> None:
    nodes = HwNodes()
    state: HwState = {"text": "a 3-bit gray code encoder"}
    state |= nodes.spec(state)
    assert state["request"].generator == "bin2gray"
    state |= nodes.design(state)
    state |= nodes.reference(state)
    broken = state["candidates"][0].model_copy(
        update={"rtl": state["candidates"][0].rtl.replace("bin >> 1", "bin >> 2")}
    )
    state["candidates"] = [broken]
    state |= nodes.lint(state)
    state |= nodes.check(state)
    cand = state["candidates"][0]
    assert cand.verdict == "fail" and (cand.mismatches or 0) > 0
    assert "output 'gray'" in cand.feedback
    assert route_after_check(state) == "diagnose"
    state["repairs"] = 2
    assert route_after_check(state) == "finish"


BUGGY = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a | b;\nendmodule\n```"
FIXED = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = """```python
class Model:
    def reset(self):
        pass

    def outputs(self, inputs):
        return {"y": (inputs["a"] + inputs["b"]) % 16}

    def clock(self, inputs):
        pass
```"""


def test_llm_loop_repairs_a_wrong_candidate(
    llm_server: ScriptedLLMServer, llm_client: LLMClient, tmp_path: Path
) -> None:
    spec = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
    llm_server.reply_text(BUGGY)  # designer, sample 1
    llm_server.reply_text(MODEL)  # tester
    llm_server.reply_text("candidate")  # judge
    llm_server.reply_text(FIXED)  # designer repair
    out = design_block(spec, roles=build_roles(llm_client).hw, samples=1, run_root=tmp_path)
    assert out.status == "verified" and out.rtl.count("a + b") == 1
    # the final RTL's evidence is its own checks only; the wrong first answer is an attempt
    assert out.evidence.verified
    assert [c.status for c in out.evidence.checks if c.name == "diffsim"] == ["pass"]
    assert [a.origin for a in out.attempts] == ["llm:designer"]
    assert [c.status for c in out.attempts[0].checks if c.name == "diffsim"] == ["fail"]
    prompts = [r.messages[-1]["content"] for r in llm_server.chat_requests]
    assert "Differential check: FAIL" in prompts[3]  # the repair prompt carries the checker's feedback
    assert "assign y" not in prompts[1]  # the tester never sees the RTL


def test_llm_loop_gives_up_after_the_repair_budget(
    llm_server: ScriptedLLMServer, llm_client: LLMClient, tmp_path: Path
) -> None:
    spec = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
    for reply in (BUGGY, MODEL, "candidate", BUGGY):
        llm_server.reply_text(reply)
    out = design_block(spec, roles=build_roles(llm_client).hw, samples=1, max_repairs=1, run_root=tmp_path)
    assert out.status == "failed" and not out.evidence.verified and out.why_not
    manifest = json.loads((Path(out.run_dir) / "manifest.json").read_text())
    assert manifest["status"] == "failed"

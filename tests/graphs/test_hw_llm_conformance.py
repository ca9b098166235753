"""LLM mode: the spec's conformance checks apply to the LLM designer's answers the same way, and the
evidence records the interpretation (the header the text fixes) and the judge's decisions."""

from __future__ import annotations

from pathlib import Path

from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient
from agents.roles import build_roles
from graphs.hw import design_block

SPEC = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
NARROW = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [2:0] y);\n  assign y = a + b;\nendmodule\n```"
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


def test_an_llm_answer_with_the_wrong_interface_is_rejected_and_the_judge_is_recorded(
    llm_server: ScriptedLLMServer, llm_client: LLMClient, tmp_path: Path
) -> None:
    for reply in (NARROW, MODEL, "candidate", FIXED):
        llm_server.reply_text(reply)
    out = design_block(SPEC, roles=build_roles(llm_client).hw, samples=1, run_root=tmp_path)
    assert out.status == "verified"
    first = out.attempts[0]
    interface = next(c for c in first.checks if c.name == "interface")
    assert (
        interface.status == "fail"
        and "port 'y' is output 3 bit(s), the spec says output 4" in interface.summary
    )
    checks = {c.name: c for c in out.evidence.checks}
    assert checks["interface"].status == "pass" and checks["accounting"].status == "skipped"
    assert checks["judge"].status == "skipped" and "blamed the candidate" in checks["judge"].summary
    interp = out.evidence.interpretation
    assert interp is not None and interp.by == "llm:tester"
    assert [(r.name, r.value, r.source) for r in interp.readings][:2] == [
        ("module", "top", "header"),
        ("a", "input 4", "header"),
    ]


def _with_account(words: str) -> str:
    return MODEL + '\n```json\n[{"name": "modulus", "value": 16, "words": "' + words + '"}]\n```'


def test_the_llm_testers_account_of_the_spec_is_checked_like_the_offline_reading(
    llm_server: ScriptedLLMServer, llm_client: LLMClient, tmp_path: Path
) -> None:
    for reply in (FIXED, _with_account("modulo 16")):
        llm_server.reply_text(reply)
    out = design_block(SPEC, roles=build_roles(llm_client).hw, samples=1, run_root=tmp_path)
    assert out.status == "verified"
    interp = out.evidence.interpretation
    assert interp is not None and ("modulus", 16, "text", "modulo 16") in [
        (r.name, r.value, r.source, r.words) for r in interp.readings
    ]
    assert next(c for c in out.evidence.checks if c.name == "accounting").status == "pass"
    # words the spec does not hold are an assumption, and the spec's 16 is then unused
    for reply in (FIXED, _with_account("modulo 32")):
        llm_server.reply_text(reply)
    out = design_block(SPEC, roles=build_roles(llm_client).hw, samples=1, run_root=tmp_path)
    assert out.status == "failed"
    accounting = next(c for c in out.evidence.checks if c.name == "accounting")
    assert accounting.status == "fail" and "'16'" in accounting.summary

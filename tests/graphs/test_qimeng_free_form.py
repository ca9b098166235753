"""LLM mode against the scripted server: a request no scenario serves is planned by the LLM planner
(its first plan, with a dependency cycle, is sent back for repair) and carried through both agents."""

from __future__ import annotations

from pathlib import Path

from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient
from agents.sw.library import get_template
from graphs.session import Session

REQUEST = "a bit-serial checksum engine and the driver routine that streams a packet through it"
ADDER = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
RTL = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = (
    "```python\nclass Model:\n    def reset(self):\n        pass\n\n    def outputs(self, inputs):\n"
    '        return {"y": (inputs["a"] + inputs["b"]) % 16}\n\n    def clock(self, inputs):\n        pass\n```'
)


def test_a_request_no_scenario_serves_is_planned_by_the_llm_through_both_agents(
    tmp_path: Path, llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    hw = {"id": "engine", "kind": "hw", "spec": ADDER}
    sw = {
        "id": "driver",
        "kind": "sw",
        "spec": "sum n=1000",
        "constraints": {"target": "x86_64"},
        "uses": "engine",
    }
    cyclic = {
        "kind": "codesign",
        "tasks": [{**hw, "uses": "driver"}, sw],
        "rationale": "each needs the other",
    }
    llm_server.reply_json(cyclic, usage=(100, 20))  # planner: rejected (a cycle)
    llm_server.reply_json({"kind": "codesign", "tasks": [hw, sw], "rationale": "engine, then its driver"})
    llm_server.reply_text(RTL)  # hw.designer
    llm_server.reply_text(MODEL)  # hw.tester
    llm_server.reply_text(f"```c\n{get_template('reduce_sum').render('x86_64')}```")  # sw.designer
    llm_server.reply_text('```json\n[{"n": 17}]\n```')  # sw.tester
    s = Session(tmp_path, llm=llm_client)
    list(s.start(REQUEST, offline=False))
    values = s.values()
    assert values["kind"] == "free-form" and [p.scenario for p in values["parts"]] == [""]
    repair = str(llm_server.requests[1].messages[-1]["content"])
    assert "the tasks engine -> driver -> engine depend on each other in a cycle" in repair
    assert "task engine: uses 'driver', which is not a hw task of this plan" in repair
    report = s.result()
    assert report is not None
    assert report["status"] == "done", report["stop_reason"]
    assert [(r["task"], r["status"]) for r in report["results"]] == [
        ("engine", "verified"),
        ("driver", "verified"),
    ]
    assert values["sw_results"][0].design.origin == "llm:designer"
    assert report["parts"][0]["scenario"] == "" and report["parts"][0]["status"] == "done"
    assert "| p1 | " + REQUEST + " | LLM plan | done |" in Path(report["report"]).read_text()
    assert llm_server.pending == 0, "every scripted reply was asked for"

"""No result's status disagrees with its evidence: repaired designs keep only the final artifact's
checks in their evidence (earlier candidates are attempts), and every result type the agents and
the top graph publish, in memory, in the checkpoint and in report.json, derives its status from
that evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes.llm_server import ScriptedLLMServer
from pydantic import BaseModel

from agents.hw.design import HwDesign
from agents.llm import LLMClient
from agents.roles import build_roles
from agents.sw.design import SwDesign
from agents.sw.library import get_template
from agents.top.state import HwOutcome, SwOutcome
from graphs.hw import design_block
from graphs.session import Session
from graphs.sw import design_kernel
from tools.evidence import Check, DesignResult, Evidence, design_status

SPEC = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
ADDER = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = (
    "```python\nclass Model:\n    def reset(self):\n        pass\n\n    def outputs(self, inputs):\n"
    '        return {"y": (inputs["a"] + inputs["b"]) % 16}\n\n    def clock(self, inputs):\n        pass\n```'
)
WRONG_MODEL = MODEL.replace('inputs["a"] + inputs["b"]', 'inputs["a"] ^ inputs["b"]')
WRONG_SUM = "```c\nvoid reduce_sum(const float* x, float* out, int n) { out[0] = x[0]; }\n```"
SHAPES = '```json\n[{"n": 5}, {"n": 33}]\n```'


def _agrees(result: DesignResult) -> None:
    assert result.status == design_status(result.evidence, result.refusal)
    assert (result.status == "verified") == result.evidence.verified


def test_repaired_kernel_keeps_only_the_final_sources_checks(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    """The designer's first kernel compiles but computes the wrong sum; the repair is right."""
    good = get_template("reduce_sum").render("x86_64")
    for reply in (WRONG_SUM, SHAPES, f"```c\n{good}```", SHAPES):
        llm_server.reply_text(reply)
    roles = build_roles(llm_client)
    kernel = design_kernel("sum n=1000", target="x86_64", roles=roles.sw, budget=1, seed=5, store=False)
    _agrees(kernel)
    assert kernel.status == "verified" and kernel.source.strip() == good.strip()
    assert [c.status for c in kernel.evidence.checks if c.name in ("compile", "difftest")] == ["pass", "pass"]
    assert len(kernel.attempts) == 1
    wrong = kernel.attempts[0]
    assert wrong.origin == "llm:designer" and "differential test failed" in wrong.summary
    assert [c.status for c in wrong.checks] == ["pass", "fail"]  # it compiled, then failed the test


def test_kernel_that_stays_wrong_is_failed_with_its_own_failing_check(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    for reply in (WRONG_SUM, SHAPES, WRONG_SUM, SHAPES):
        llm_server.reply_text(reply)
    kernel = design_kernel(
        "sum n=1000", target="x86_64", roles=build_roles(llm_client).sw, max_repairs=1, seed=5, store=False
    )
    _agrees(kernel)
    assert kernel.status == "failed" and kernel.why_not.startswith("The differential test failed")
    assert [c.status for c in kernel.evidence.checks] == ["pass", "fail"] and len(kernel.attempts) == 1


def test_repaired_block_drops_checks_against_the_replaced_reference(
    llm_server: ScriptedLLMServer, llm_client: LLMClient, tmp_path: Path
) -> None:
    """The RTL is right and the tester's first model wrong; the judge blames the reference, the new
    model agrees with the RTL. The final evidence holds no check against the replaced model."""
    for reply in (ADDER, WRONG_MODEL, "reference", MODEL):
        llm_server.reply_text(reply)
    block = design_block(SPEC, roles=build_roles(llm_client).hw, samples=1, run_root=tmp_path)
    _agrees(block)
    assert block.status == "verified"
    diffsims = [c.status for c in block.evidence.checks if c.name == "diffsim"]
    assert diffsims == ["pass"]
    replaced = [a for a in block.attempts if a.origin.startswith("reference llm:tester")]
    assert len(replaced) == 1 and [c.status for c in replaced[0].checks] == ["fail"]
    stored = json.loads((Path(block.run_dir) / "evidence.json").read_text())
    assert [c["status"] for c in stored["checks"] if c["name"] == "diffsim"] == ["pass"]


def test_status_cannot_be_forged_in_json() -> None:
    """A status in the input is ignored: it is derived from the evidence again."""
    failing = Check(name="diffsim", tool="iverilog", status="fail", summary="3 mismatches")
    forged = {"status": "verified", "evidence": Evidence(checks=[failing]).model_dump(mode="json")}
    block = HwDesign.model_validate(forged)
    assert block.status == "failed"
    assert HwDesign.model_validate(block.model_dump(mode="json")).status == "failed"
    assert SwDesign.model_validate({**forged, "kernel": "gemm", "target": "x86_64"}).status == "failed"
    assert HwDesign(refusal="underspecified: no reset polarity").status == "refused"


# ---- every result type, walked ---------------------------------------------------------------


def _walk(value: Any, seen: set[str], where: str) -> int:
    """Assert every status in ``value`` agrees with its evidence; returns how many were checked."""
    checked = 0
    if isinstance(value, DesignResult):
        assert value.status == design_status(value.evidence, value.refusal), where
        seen.add(type(value).__name__)
        checked += 1
    if isinstance(value, HwOutcome | SwOutcome):
        assert value.status == ("skipped" if value.design is None else value.design.status), where
        seen.add(type(value).__name__)
    if isinstance(value, BaseModel):
        return checked + sum(_walk(getattr(value, f), seen, f"{where}.{f}") for f in type(value).model_fields)
    if isinstance(value, dict):
        if "status" in value and isinstance(value.get("evidence"), dict):
            evidence = Evidence.model_validate(value["evidence"])
            assert value["status"] == design_status(evidence, value.get("refusal", "")), where
            checked += 1
        if "status" in value and isinstance(value.get("design"), dict):
            assert value["status"] == value["design"]["status"], where
        return checked + sum(_walk(v, seen, f"{where}.{k}") for k, v in value.items())
    if isinstance(value, list):
        return checked + sum(_walk(v, seen, f"{where}[{i}]") for i, v in enumerate(value))
    return checked


def _subclasses(cls: type) -> set[str]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub.__name__} | _subclasses(sub)
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Any]]:
    """What the agents and the top graph publish for a circuit, a kernel and a small co-design."""
    root = tmp_path_factory.mktemp("walk")
    out: list[tuple[str, Any]] = []
    offline = build_roles(None)
    out.append(
        (
            "block",
            design_block("a 4-bit gray code counter with synchronous reset", roles=offline.hw, run_root=root),
        )
    )
    out.append(
        (
            "kernel",
            design_kernel(
                "softmax rows=4 cols=9", target="riscv64", roles=offline.sw, budget=1, run_root=root
            ),
        )
    )
    # the co-design threads publish HwOutcome (accelerators, units) and SwOutcome (the GEMM or the
    # popcount kernel on each model)
    for request in (
        "dot-product accelerator with lanes 1, 2 of 4-bit elements under a budget of 400 cells and the GEMM kernel 2x2x2 that uses it",
        "a 32-bit popcount unit that a popcount kernel offloads to, 8 words",  # OffloadRun
    ):
        session = Session(root)
        try:
            list(session.start(request, offline=True))
            values = session.values()
        finally:
            session.close()
        out.append((f"state of {request!r}", values))
        out.append(
            (
                f"report.json of {request!r}",
                json.loads((root / session.thread_id / "report.json").read_text()),
            )
        )
    return out


def test_no_status_disagrees_with_its_evidence(published: list[tuple[str, Any]]) -> None:
    for where, value in published:
        seen: set[str] = set()
        assert _walk(value, seen, where) > 0, f"{where} holds no result with evidence"


def test_the_walk_covers_every_result_type(published: list[tuple[str, Any]]) -> None:
    """A new result type must be published here too, so its status is walked."""
    seen: set[str] = set()
    for where, value in published:
        _walk(value, seen, where)
    expected = _subclasses(DesignResult) | {"HwOutcome", "SwOutcome"}
    assert expected <= seen, f"result types never walked: {sorted(expected - seen)}"


def test_the_critics_verdicts_agree_with_the_results_evidence(published: list[tuple[str, Any]]) -> None:
    """A trade-off row is 'verified' only when its accelerator and its kernel are; a part is 'done'
    only when its thread holds a verified result."""
    threads = [value for where, value in published if where.startswith("state of")]
    assert any(c.lanes is not None for values in threads for c in values["critiques"])
    for values in threads:
        outcomes = [*values["hw_results"], *values["sw_results"]]
        for critique in values["critiques"]:
            if critique.done:
                assert any(o.status == "verified" for o in outcomes), critique.part
            if critique.lanes is None:
                continue
            for row in critique.lanes.rows:
                accs = [h for h in values["hw_results"] if getattr(h.design, "lanes", None) == row.lanes]
                kernels = [s for s in values["sw_results"] if getattr(s.design, "lanes", None) == row.lanes]
                built = all(o.status == "verified" for o in accs + kernels) and bool(accs and kernels)
                assert row.verified == built, f"row of {row.lanes} lanes"

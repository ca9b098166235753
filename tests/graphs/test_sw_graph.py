"""The software subgraph end to end: offline on a native and an emulated target, and in LLM mode
against the scripted server (a compile error repaired from the compiler's feedback, the tester's
extra shapes used)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient
from agents.roles import build_roles
from agents.sw.library import get_template
from agents.sw.roles import SwRoles
from graphs.sw import design_kernel


@pytest.fixture(autouse=True)
def _run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))
    from tools.settings import get_settings

    get_settings.cache_clear()


def test_offline_native_design_is_verified_timed_tuned_and_stored(tmp_path: Path) -> None:
    result = design_kernel("gemm 48x40x36 fp32", target="x86_64", roles=SwRoles(), budget=2, seed=3)
    assert result.status == "verified", result.why_not
    assert result.evidence.verified
    names = [c.name for c in result.evidence.checks]
    if result.attempts:  # the tuner replaced the defaults: the evidence is on the tuned source
        assert names == ["tune", "difftest", "timing"]
        assert [c.name for c in result.attempts[0].checks][:3] == ["compile", "difftest", "timing"]
    else:
        assert names == ["compile", "difftest", "timing", "tune"]
    assert result.timing is not None and (result.timing.gflops or 0) > 0
    assert set(result.params) == {"mr", "kc", "mc", "nc", "ku", "threads"}
    run = Path(result.run_dir)
    assert run.parent == tmp_path / "runs"
    assert "void gemm(" in (run / "gemm_x86_64.c").read_text()
    evidence = json.loads((run / "evidence.json").read_text())
    assert any(c["name"] == "difftest" and c["seeds"] for c in evidence["checks"])


def test_offline_emulated_design_is_verified_but_not_timed() -> None:
    result = design_kernel("focal split 20x30", target="riscv64", roles=SwRoles(), budget=2, seed=3)
    assert result.status == "verified", result.why_not
    timing = [c for c in result.evidence.checks if c.name == "timing"]
    assert timing and timing[0].status == "skipped"
    assert result.timing is None
    assert result.params == {"lmul": 2, "threads": 1}


def test_llm_designer_repairs_from_compiler_feedback(
    llm_server: ScriptedLLMServer, llm_settings: object
) -> None:
    roles = build_roles(LLMClient(llm_settings))  # type: ignore[arg-type]
    good = get_template("reduce_sum").render("x86_64")
    llm_server.reply_text("```c\nvoid reduce_sum(const float* x, float* out, int n) { out[0] = oops; }\n```")
    llm_server.reply_text(f"```c\n{good}```")
    llm_server.reply_text('```json\n[{"n": 1}, {"n": 17}, {"n": 0}, {"m": 3}]\n```')
    result = design_kernel("sum n=1000", target="x86_64", roles=roles.sw, budget=1, seed=3, store=False)
    assert result.status == "verified", result.why_not
    assert result.origin == "llm:designer"
    # the final kernel's evidence holds its own checks only; the broken first answer is an attempt
    assert result.evidence.verified
    assert [c.status for c in result.evidence.checks if c.name == "compile"] == ["pass"]
    assert [(a.origin, [c.status for c in a.checks]) for a in result.attempts] == [("llm:designer", ["fail"])]
    assert "compiler rejected" in result.attempts[0].summary
    difftest = next(c for c in result.evidence.checks if c.name == "difftest")
    # the tester's valid shapes were used, invalid ones dropped
    assert {"n": 17} in difftest.details["shapes"]
    assert {"n": 0} not in difftest.details["shapes"]
    repair_prompt = llm_server.requests[1].messages[-1]["content"]
    assert "oops" in repair_prompt and "It failed a check" in repair_prompt


def test_bad_request_is_a_usage_error() -> None:
    from tools.errors import UsageError

    with pytest.raises(UsageError, match="unknown target 'mips'"):
        design_kernel("gemm 8x8x8", target="mips", roles=SwRoles(), store=False)

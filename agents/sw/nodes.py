"""The software subgraph's nodes: plain ``(state) -> partial state`` functions.

spec -> candidate -> compile -> test -> profile -> tune -> finish. The candidate comes from the
template library (offline) or from an LLM designer (see :mod:`agents.sw.llm_roles`); a candidate
that fails to compile or test goes back to the designer with the feedback, at most
``max_repairs`` times. Every check lands in ``checks`` as an evidence record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.llm import LLMClient
from agents.sw.library import get_template
from agents.sw.llm_roles import KernelDesigner, KernelTester, LlmDesigner, LlmTester
from agents.sw.request import parse_request
from agents.sw.specs import kernel_spec
from agents.sw.state import SwState
from agents.sw.tuner import tune
from tools.errors import QimengError, UsageError
from tools.evidence import Check
from tools.kernels import KernelSpec, check_kernel
from tools.kernels.build import build_kernel
from tools.kernels.timing import time_kernel
from tools.targets import Target, get_target

_ROLES: dict[str, KernelDesigner | KernelTester] = {}


def use_llm(designer: KernelDesigner, tester: KernelTester) -> None:
    """Install the designer and tester the nodes use when not offline (default: LLM roles built
    from the settings on first use)."""
    _ROLES["designer"] = designer
    _ROLES["tester"] = tester


def _designer() -> KernelDesigner:
    if "designer" not in _ROLES:
        use_llm(LlmDesigner(LLMClient()), LlmTester(LLMClient()))
    return _ROLES["designer"]  # type: ignore[return-value]


def _tester() -> KernelTester:
    _designer()
    return _ROLES["tester"]  # type: ignore[return-value]


def spec_node(state: SwState) -> SwState:
    """Parse the request into a kernel and its dimensions (UsageError on a bad request)."""
    request = parse_request(state["text"])
    _target(state)  # fail early on an unknown target
    return {"kernel": request.kernel, "dims": request.dims, "attempts": 0, "checks": [], "status": "running"}


def candidate_node(state: SwState) -> SwState:
    """Write a candidate: the template at its static defaults (offline) or the LLM designer's code."""
    target = state["target"]
    attempts = state.get("attempts", 0) + 1
    if state.get("offline", True):
        template = get_template(state["kernel"])
        params = template.defaults(target)
        return {
            "source": template.render(target, params),
            "origin": f"offline:template:{template.name}",
            "params": params,
            "attempts": attempts,
        }
    source = _designer().generate(
        _spec(state), target, state.get("feedback") or None, state.get("source"), state.get("context", "")
    )
    return {"source": source, "origin": "llm:designer", "params": {}, "attempts": attempts}


def compile_node(state: SwState) -> SwState:
    """Compile the candidate with the harness in the sandbox."""
    target = _target(state)
    workdir = _workdir(state, "compile")
    built = build_kernel(state["source"], _spec(state), target, workdir)
    check = Check(
        name="compile",
        tool=target.describe(),
        status="pass" if built.ok else "fail",
        summary="compiled" if built.ok else "compile error",
        details={"argv": built.argv, "log": built.log[-4000:]},
        duration_s=built.wall_s,
    )
    feedback = "" if built.ok else f"The compiler rejected the kernel:\n{built.log[-3000:]}"
    return {"compile_ok": built.ok, "feedback": feedback, "checks": [*state.get("checks", []), _dump(check)]}


def test_node(state: SwState) -> SwState:
    """Differential-test the candidate against the spec's reference (plus the tester's shapes, in LLM mode)."""
    target = _target(state)
    spec = _spec(state)
    if not state.get("offline", True):
        extra = [s for s in _tester().shapes(spec) if _acceptable(state["kernel"], s)]
        spec = spec.model_copy(update={"shapes": [*spec.shapes, *extra]})
    verdict = check_kernel(
        state["source"], spec, target, seed=state.get("seed", 0), workdir=_workdir(state, "test")
    )
    feedback = "" if verdict.ok else f"The differential test failed ({verdict.status}): {verdict.reason}"
    return {
        "test_ok": verdict.ok,
        "feedback": feedback,
        "checks": [*state.get("checks", []), _dump(verdict.check)],
    }


def profile_node(state: SwState) -> SwState:
    """Time the verified candidate on the requested shape (native targets only; skipped when emulated)."""
    target = _target(state)
    spec = _spec(state)
    shape = spec.bench_shapes[0]
    if target.emulated:
        check = Check(name="timing", tool=target.describe(), status="skipped", summary="emulated: not timed")
        return {"timing": None, "checks": [*state.get("checks", []), _dump(check)]}
    bench = time_kernel(state["source"], spec, target, shapes=[shape], samples=15, seed=state.get("seed", 0))
    timing = bench.timings[0]
    return {
        "timing": timing.model_dump(mode="json"),
        "checks": [*state.get("checks", []), _dump(bench.check)],
    }


def tune_node(state: SwState) -> SwState:
    """Search the template's parameters (template candidates only); keep the winner when it beats the default."""
    if not state.get("origin", "").startswith("offline:template"):
        check = Check(
            name="tune", tool="qimeng tuner", status="skipped", summary="LLM candidate: no parameters"
        )
        return {"tuning": None, "checks": [*state.get("checks", []), _dump(check)]}
    target = _target(state)
    result = tune(
        get_template(state["kernel"]),
        _spec(state),
        target,
        budget=state.get("budget", 6),
        seed=state.get("seed", 0),
        workdir=_workdir(state, "tune"),
    )
    update: SwState = {"tuning": result.model_dump(mode="json", exclude={"verdict", "source"})}
    checks = [*state.get("checks", []), _dump(result.check())]
    if result.chosen is not None and result.source is not None and result.verdict is not None:
        update.update({"source": result.source, "params": result.chosen})
        checks.append(_dump(result.verdict.check))
        if result.timing is not None:
            update["timing"] = result.timing.model_dump(mode="json")
    update["checks"] = checks
    return update


def finish_node(state: SwState) -> SwState:
    """Decide the status: verified when every check that ran passed and the candidate passed its test."""
    failed = [c for c in state.get("checks", []) if c["status"] not in ("pass", "skipped")]
    last_ok = state.get("compile_ok", False) and state.get("test_ok", False)
    if last_ok and not [c for c in failed if c["name"] in ("tune",)]:
        return {"status": "verified"}
    return {"status": "failed", "error": state.get("feedback") or "; ".join(c["summary"] for c in failed)}


def after_compile(state: SwState) -> str:
    """Route: test when compiled, else repair (bounded) or finish."""
    return "test" if state.get("compile_ok") else _repair_or_finish(state)


def after_test(state: SwState) -> str:
    """Route: profile when verified, else repair (bounded) or finish."""
    return "profile" if state.get("test_ok") else _repair_or_finish(state)


def _repair_or_finish(state: SwState) -> str:
    if not state.get("offline", True) and state.get("attempts", 0) <= state.get("max_repairs", 2):
        return "candidate"
    return "finish"


def _spec(state: SwState) -> KernelSpec:
    return kernel_spec(state["kernel"], state.get("dims"), emulated=_target(state).emulated)


def _target(state: SwState) -> Target:
    return get_target(state["target"])


def _workdir(state: SwState, stage: str) -> Path:
    if "workdir" not in state:
        raise QimengError("the software subgraph needs 'workdir' in its state (a directory for builds)")
    path = Path(state["workdir"]) / f"{stage}{state.get('attempts', 0)}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _acceptable(kernel: str, shape: dict[str, int | float]) -> bool:
    dims = {k: int(v) for k, v in shape.items() if isinstance(v, int)}
    try:
        kernel_spec(kernel, dims)
    except UsageError:
        return False
    return True


def _dump(check: Check) -> dict[str, Any]:
    return check.model_dump(mode="json")

"""The software subgraph's nodes: plain ``(state) -> partial state`` functions bound to a set of roles.

spec -> candidate -> compile -> test -> profile -> tune -> finish. The candidate comes from the
template library (offline roles) or from the LLM designer (see :mod:`agents.sw.roles`); a candidate
that fails to compile or test goes back to the designer with the feedback, at most ``max_repairs``
times. ``checks`` holds only the checks on the current candidate: when a candidate is replaced (a
repair, or tuned parameters), its checks move to ``attempts``. ``finish`` writes the run and
returns the :class:`SwDesign`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.knowledge_use import consult, remember
from agents.sw.design import SwDesign
from agents.sw.library import get_template
from agents.sw.request import parse_request
from agents.sw.roles import SwRoles
from agents.sw.specs import kernel_spec
from agents.sw.state import SwState
from agents.sw.tool_calls import KernelCalls, SpecRecipe
from agents.sw.tuner import TuneResult, tune
from tools.calls import placement_of
from tools.errors import QimengError, UsageError
from tools.evidence import Attempt, Check, Evidence, Source
from tools.kernels import KernelSpec
from tools.runstore import new_run
from tools.targets import Target, get_target


class SwNodes:
    """The node functions, bound to a set of roles."""

    def __init__(self, roles: SwRoles) -> None:
        self.roles = roles

    def spec(self, state: SwState) -> SwState:
        """Parse the request into a kernel and its dimensions; consult the knowledge base
        (UsageError on a bad request or an unknown target)."""
        request = parse_request(state["text"])
        _target(state)  # fail early on an unknown target
        found = consult(state["text"], f"kernel-{state['target']}")
        return {
            "kernel": request.kernel,
            "dims": request.dims,
            "attempts": 0,
            "checks": [],
            "tried": [],
            "context": found.context,
            "sources": [s.model_dump(mode="json") for s in found.sources],
        }

    def candidate(self, state: SwState) -> SwState:
        """Write a candidate: the template at its static defaults (offline) or the designer's code.
        A previous candidate (it failed a check) becomes an attempt."""
        target = state["target"]
        attempts = state.get("attempts", 0) + 1
        tried = _retire(state, state.get("feedback", ""))
        if self.roles.designer is None:
            template = get_template(state["kernel"])
            params = template.defaults(target)
            return {
                "source": template.render(target, params),
                "origin": f"offline:template:{template.name}",
                "params": params,
                "attempts": attempts,
                "checks": [],
                "tried": tried,
            }
        source = self.roles.designer.generate(
            _spec(state), target, state.get("feedback") or None, state.get("source"), state.get("context", "")
        )
        return {
            "source": source,
            "origin": "llm:designer",
            "params": {},
            "attempts": attempts,
            "checks": [],
            "tried": tried,
        }

    def compile(self, state: SwState) -> SwState:
        """Compile the candidate with the harness in the sandbox."""
        target = _target(state)
        built, done = _calls(state).build(state["source"])
        check = Check(
            name="compile",
            tool=target.describe(),
            status="pass" if built.ok else "fail",
            summary="compiled" if built.ok else "compile error",
            details={"argv": built.argv, "log": built.log[-4000:]},
            duration_s=built.wall_s,
        )
        check = done.stamp(check)
        feedback = "" if built.ok else f"The compiler rejected the kernel:\n{built.log[-3000:]}"
        return {
            "compile_ok": built.ok,
            "feedback": feedback,
            "checks": [*state.get("checks", []), _dump(check)],
        }

    def test(self, state: SwState) -> SwState:
        """Differential-test the candidate against the spec's reference (plus the tester's shapes)."""
        spec = _spec(state)
        extra: list[dict[str, int | float]] = []
        if self.roles.tester is not None:
            extra = [s for s in self.roles.tester.shapes(spec) if _acceptable(state["kernel"], s)]
        verdict = _calls(state, extra).check(state["source"], state.get("seed", 0))
        feedback = "" if verdict.ok else f"The differential test failed ({verdict.status}): {verdict.reason}"
        return {
            "test_ok": verdict.ok,
            "feedback": feedback,
            "checks": [*state.get("checks", []), _dump(verdict.check)],
        }

    def profile(self, state: SwState) -> SwState:
        """Time the verified candidate on the requested shape (native targets only; skipped when emulated)."""
        target = _target(state)
        spec = _spec(state)
        if target.emulated:
            check = Check(
                name="timing", tool=target.describe(), status="skipped", summary="emulated: not timed"
            )
            return {"timing": None, "checks": [*state.get("checks", []), _dump(check)]}
        bench = _calls(state).time(
            state["source"], shapes=[spec.bench_shapes[0]], samples=15, seed=state.get("seed", 0)
        )
        return {
            "timing": bench.timings[0].model_dump(mode="json"),
            "checks": [*state.get("checks", []), _dump(bench.check)],
        }

    def tune(self, state: SwState) -> SwState:
        """Search the template's parameters (template candidates only). When the winner differs from
        the defaults, the defaults' source becomes an attempt and the winner's checks are the evidence."""
        if not state.get("origin", "").startswith("offline:template"):
            check = Check(
                name="tune", tool="qimeng tuner", status="skipped", summary="LLM candidate: no parameters"
            )
            return {"checks": [*state.get("checks", []), _dump(check)]}
        target = _target(state)
        result = tune(
            get_template(state["kernel"]),
            _spec(state),
            target,
            budget=state.get("budget", 6),
            seed=state.get("seed", 0),
            time_budget_s=state.get("time_budget_s"),
            workdir=_workdir(state, "tune"),
            calls=_calls(state),
        )
        if result.chosen is None or result.source is None or result.verdict is None:
            return {
                "checks": [*state.get("checks", []), _dump(result.check())],
                "feedback": "no tuned candidate passed",
            }
        if result.chosen == state.get("params") and result.source == state.get("source"):
            return {"checks": [*state.get("checks", []), _dump(result.check())]}
        tried = _retire(state, f"correct, but slower than the tuned parameters {result.chosen}")
        checks = [_dump(result.check()), _dump(result.verdict.check), *_timing_check(result, target)]
        update: SwState = {"source": result.source, "params": result.chosen, "checks": checks, "tried": tried}
        update["timing"] = result.timing.model_dump(mode="json") if result.timing is not None else None
        return update

    def finish(self, state: SwState) -> SwState:
        """Build the :class:`SwDesign` from the final candidate's checks; write source, evidence and
        design to a run (when ``store``) and remember a verified kernel."""
        evidence = Evidence(
            checks=[Check.model_validate(c) for c in state.get("checks", [])],
            sources=[Source.model_validate(s) for s in state.get("sources", [])],
            interpretation=parse_request(state["text"]).interpretation,
        )
        failures = "; ".join(c.summary for c in evidence.failures())
        design = SwDesign(
            request=state["text"],
            kernel=state["kernel"],
            target=state["target"],
            source=state.get("source", ""),
            origin=state.get("origin", ""),
            params=state.get("params", {}),
            dims=state.get("dims", {}),
            timing=state.get("timing"),  # type: ignore[arg-type]
            evidence=evidence,
            attempts=[Attempt.model_validate(a) for a in state.get("tried", [])],
            why_not="" if evidence.verified else (state.get("feedback") or failures),
        )
        if design.status == "verified":
            remember(f"kernel-{design.target}", design.request, design.source, evidence, _metrics(design))
        if state.get("store", True):
            design = design.model_copy(update={"run_dir": _write_run(state, design)})
        return {"design": design}

    def after_compile(self, state: SwState) -> str:
        """Route: test when compiled, else repair (bounded) or finish."""
        return "test" if state.get("compile_ok") else self._repair_or_finish(state)

    def after_test(self, state: SwState) -> str:
        """Route: profile when verified, else repair (bounded) or finish."""
        return "profile" if state.get("test_ok") else self._repair_or_finish(state)

    def _repair_or_finish(self, state: SwState) -> str:
        """Offline the template cannot learn from feedback: finish. A designer repairs, bounded."""
        if not self.roles.offline and state.get("attempts", 0) <= state.get("max_repairs", 2):
            return "candidate"
        return "finish"


def _retire(state: SwState, why: str) -> list[dict[str, Any]]:
    """``tried`` with the current candidate (if any) added as an attempt."""
    tried = list(state.get("tried", []))
    if state.get("source"):
        params = state.get("params") or {}
        origin = state.get("origin", "") + (f" {params}" if params else "")
        first = why.strip().splitlines()[0][:300] if why.strip() else ""
        tried.append(
            Attempt(
                origin=origin,
                summary=first,
                checks=[Check.model_validate(c) for c in state.get("checks", [])],
            ).model_dump(mode="json")
        )
    return tried


def _timing_check(result: TuneResult, target: Target) -> list[dict[str, Any]]:
    """The tuner's measurement of the winner as a timing check (it was timed during the search)."""
    if result.timing is None:
        return []
    t = result.timing
    check = Check(
        name="timing",
        tool=f"{target.describe()}; harness clock_gettime(CLOCK_MONOTONIC)",
        status="fail" if t.suspicious else "pass",
        summary=t.note
        if t.suspicious
        else f"timed the tuned kernel at {t.shape}: median {t.median_s * 1e3:.3f} ms",
        details={"timings": [t.model_dump(mode="json")]},
    )
    if result.timing_check is not None:  # where the timing ran
        check = check.model_copy(update=placement_of(result.timing_check))
    return [_dump(check)]


def _write_run(state: SwState, design: SwDesign) -> str:
    root = state.get("run_root")
    run = new_run(f"sw design {design.request!r} --target {design.target}", root=Path(root) if root else None)
    suffix = ".cu" if design.target == "cuda" else ".c"
    run.write(
        f"{design.kernel}_{design.target}{suffix}",
        design.source,
        "kernel",
        target=design.target,
        status=design.status,
    )
    run.write_json("evidence.json", design.evidence, "evidence")
    run.write_json("design.json", design.model_dump(mode="json", exclude={"source"}), "report")
    run.finish(
        "done" if design.status == "verified" else "failed", outcome=design.status, kernel=design.kernel
    )
    return str(run.path)


def _metrics(design: SwDesign) -> dict[str, Any]:
    return {**design.params, **(design.timing.model_dump(mode="json") if design.timing else {})}


def _spec(state: SwState) -> KernelSpec:
    return _recipe(state).build()


def _recipe(state: SwState, extra_shapes: list[dict[str, int | float]] | None = None) -> SpecRecipe:
    return SpecRecipe(
        kernel=state["kernel"],
        dims=state.get("dims"),
        emulated=_target(state).emulated,
        extra_shapes=extra_shapes or [],
    )


def _calls(state: SwState, extra_shapes: list[dict[str, int | float]] | None = None) -> KernelCalls:
    """The tool calls for this state's kernel on its target (placed by the executor)."""
    return KernelCalls(_recipe(state, extra_shapes), state["target"])


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

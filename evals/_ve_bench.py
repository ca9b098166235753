"""VerilogEval v2 problems and the benchmark's own testbench, run as an oracle.

A problem is three files in the data directory: ``<id>_prompt.txt`` (what an agent sees),
``<id>_ref.sv`` (module ``RefModule``) and ``<id>_test.sv`` (module ``tb``, which instantiates
``RefModule`` and the candidate ``TopModule`` and prints ``Mismatches: N in M samples``).
The reference and testbench are oracles: only evaluators read them, never agents.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.errors import ToolMissing, UsageError
from tools.evidence import Check
from tools.sandbox import SandboxResult, run_sandboxed
from tools.settings import SandboxLimits, get_settings

FailureClass = Literal["compile_error", "timeout", "mismatch", "missing_output", "refused"]
AnswerStatus = Literal["verified", "failed", "refused", "unchecked"]

#: Problems whose own reference fails its own testbench here, each with the reason found by running it.
QUARANTINE: dict[str, str] = {
    "Prob099_m2014_q6c": (
        "benchmark defect: the reference declares outputs Y1/Y3 but the testbench connects Y2/Y4 "
        "(iverilog: port ``Y2'' is not a port of good1)"
    ),
    "Prob151_review2015_fsm": (
        "needs iverilog 12: the reference uses enum casts (state_t'(...)); iverilog 11 says "
        "'sorry: This cast operation is not yet supported'"
    ),
    "Prob156_review2015_fancytimer": (
        "needs iverilog 12: the reference uses enum casts; iverilog 11 says "
        "'sorry: This cast operation is not yet supported'"
    ),
}

_MISMATCH_RE = re.compile(r"Mismatches:\s*(\d+)\s+in\s+(\d+)\s+samples")
_MODULE_RE = re.compile(r"\bRefModule\b")
_LIMITS = {"wall_s": 30.0, "cpu_s": 30, "memory_mb": 2048}


@dataclass(frozen=True)
class Problem:
    """One benchmark problem; ``prompt`` is all an agent may see."""

    id: str
    prompt: str
    ref_path: Path
    test_path: Path

    @property
    def quarantine_reason(self) -> str | None:
        """Why this problem is excluded from scores, or None."""
        return QUARANTINE.get(self.id)

    def reference_as_candidate(self) -> str:
        """The reference with ``RefModule`` renamed ``TopModule`` (the ``reference`` agent's answer)."""
        return _MODULE_RE.sub("TopModule", self.ref_path.read_text(encoding="utf-8"))


class Answer(BaseModel):
    """One answer of an agent: the source and what the agent itself claimed about it."""

    rtl: str = Field(description="Verilog source defining TopModule (empty when refused).")
    status: AnswerStatus = Field(
        "unchecked",
        description="'verified': the agent's own checks all passed; 'failed': it answered without "
        "verifying; 'refused': it declined (no source); 'unchecked': an agent without evidence.",
    )
    note: str = Field("", description="Why it refused, or what its checks said (one line).")


class TestbenchVerdict(BaseModel):
    """What the benchmark's testbench said about one candidate."""

    __test__ = False  # not a pytest class

    problem: str = Field(description="Problem id, e.g. Prob001_zero.")
    claimed: AnswerStatus = Field("unchecked", description="What the agent claimed about this answer.")
    passed: bool = Field(description="Compiled, finished without timeout, and 0 mismatches.")
    failure: FailureClass | None = Field(default=None, description="Why it failed; None when it passed.")
    mismatches: int | None = Field(default=None, description="Mismatched samples reported by the testbench.")
    samples: int | None = Field(default=None, description="Samples the testbench compared.")
    detail: str = Field(
        default="", description="First lines of the compiler or simulator output that explain it."
    )
    compile_s: float = Field(default=0.0, description="Wall seconds of iverilog.")
    sim_s: float = Field(default=0.0, description="Wall seconds of vvp.")

    def to_check(self) -> Check:
        """This verdict as evidence."""
        summary = (
            f"testbench: {self.mismatches} mismatches in {self.samples} samples"
            if self.mismatches is not None
            else f"testbench: {self.failure}"
        )
        return Check(
            name="verilog-eval-testbench",
            tool="iverilog -g2012 + vvp",
            status="pass" if self.passed else "fail",
            summary=summary if self.passed else f"{summary}: {self.detail[:200]}",
            details=self.model_dump(exclude={"detail"}),
            duration_s=self.compile_s + self.sim_s,
        )


FETCH = (
    "get VerilogEval v2 with 'git clone https://github.com/NVlabs/verilog-eval' and pass "
    "--data verilog-eval/dataset_spec-to-rtl (or set QIMENG_VERILOG_EVAL_DIR, verilog_eval_dir in qimeng.toml)"
)
"""How to get the dataset, said wherever it is missing."""


def verilog_eval_dir(data: Path | None = None) -> Path:
    """``data`` when given, else the ``verilog_eval_dir`` setting.

    Raises:
        UsageError: when neither names a folder (the message says how to get the dataset).
    """
    chosen = data or get_settings().verilog_eval_dir
    if chosen is None:
        raise UsageError(f"no VerilogEval v2 folder given; {FETCH}")
    return chosen


def load_problems(data: Path, pattern: str = "*") -> list[Problem]:
    """Problems in ``data`` whose id matches one of the comma-separated globs in ``pattern``.

    Raises:
        UsageError: when ``data`` is not a VerilogEval v2 directory or nothing matches.
    """
    if not data.is_dir():
        raise UsageError(
            f"--data {data} is not a directory; point it at the VerilogEval v2 dataset folder ({FETCH})"
        )
    problems = []
    for prompt_path in sorted(data.glob("*_prompt.txt")):
        pid = prompt_path.name.removesuffix("_prompt.txt")
        ref, test = data / f"{pid}_ref.sv", data / f"{pid}_test.sv"
        if ref.is_file() and test.is_file():
            problems.append(Problem(pid, prompt_path.read_text(encoding="utf-8"), ref, test))
    if not problems:
        raise UsageError(
            f"no VerilogEval problems in {data}: expected files <id>_prompt.txt, <id>_ref.sv and <id>_test.sv"
        )
    globs = [g.strip() for g in pattern.split(",") if g.strip()] or ["*"]
    chosen = [p for p in problems if any(fnmatch.fnmatchcase(p.id, g) for g in globs)]
    if not chosen:
        examples = ", ".join(p.id for p in problems[:3])
        raise UsageError(
            f"--problems '{pattern}' matches none of {len(problems)} problems (ids look like {examples})"
        )
    return chosen


def run_testbench(problem: Problem, candidate: str, limits: SandboxLimits | None = None) -> TestbenchVerdict:
    """Compile testbench + reference + ``candidate`` with iverilog and simulate, all sandboxed.

    Never raises on a bad candidate: compile errors, hangs, mismatches and a missing summary line
    come back as a failing verdict with its :data:`FailureClass`.

    Raises:
        ToolMissing: when iverilog or vvp is not installed.
    """
    for tool in ("iverilog", "vvp"):
        if shutil.which(tool) is None:
            raise ToolMissing(f"{tool} is not installed; 'apt-get install iverilog'")
    lim = limits or get_settings().sandbox.model_copy(update=_LIMITS)
    with tempfile.TemporaryDirectory(prefix="qimeng-ve-") as tmp:
        work = Path(tmp)
        shutil.copyfile(problem.test_path, work / "test.sv")
        shutil.copyfile(problem.ref_path, work / "ref.sv")
        (work / "candidate.sv").write_text(candidate, encoding="utf-8")
        argv = ["iverilog", "-g2012", "-o", "sim.vvp", "test.sv", "ref.sv", "candidate.sv"]
        # the sandbox's fresh /tmp is not writable by its uid: iverilog needs a scratch dir
        comp = run_sandboxed(argv, work, limits=lim, env={"TMPDIR": str(work)})
        if not comp.ok:
            return TestbenchVerdict(
                problem=problem.id,
                passed=False,
                mismatches=None,
                samples=None,
                sim_s=0.0,
                failure="timeout"
                if "wall" in comp.limits_hit or "cpu" in comp.limits_hit
                else "compile_error",
                detail=_head(comp.stderr + comp.stdout) or comp.describe(),
                compile_s=comp.wall_s,
            )
        sim = run_sandboxed(["vvp", "-n", "sim.vvp"], work, limits=lim)
    return _judge(problem.id, comp, sim)


def _judge(pid: str, comp: SandboxResult, sim: SandboxResult) -> TestbenchVerdict:
    found = _MISMATCH_RE.findall(sim.stdout)
    errors, samples = (int(found[-1][0]), int(found[-1][1])) if found else (None, None)
    failure: FailureClass | None = None
    detail = ""
    if "wall" in sim.limits_hit or "cpu" in sim.limits_hit:
        failure, detail = "timeout", f"vvp {sim.describe()}"
    elif errors is None:
        failure = "missing_output"
        detail = (
            f"no 'Mismatches: N in M samples' line; vvp {sim.describe()}: {_head(sim.stderr + sim.stdout)}"
        )
    elif errors:
        failure = "mismatch"
        detail = "\n".join(line for line in sim.stdout.splitlines() if line.startswith("Hint: Output"))
    elif not sim.ok:
        failure, detail = "missing_output", f"vvp ended abnormally ({sim.describe()}): {_head(sim.stderr)}"
    if failure is None and re.search(r"^TIMEOUT\s*$", sim.stdout, re.M):
        # The stimulus does not depend on the design, so some testbenches always outrun their own
        # 1,000,000 ps guard; VerilogEval scores them on the samples compared, and so do we.
        detail = "the testbench's own 1,000,000 ps guard fired; judged on the samples compared"
    return TestbenchVerdict(
        problem=pid,
        passed=failure is None,
        failure=failure,
        mismatches=errors,
        samples=samples,
        detail=detail,
        compile_s=comp.wall_s,
        sim_s=sim.wall_s,
    )


def _head(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[:lines])

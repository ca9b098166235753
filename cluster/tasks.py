"""The task registry: what a campaign sample can do, one JSON-in/JSON-out function each.

Every task returns a JSON object; a task that grades something puts ``passed`` (bool) in it, which
reports use for pass@k. Add a task by writing a function here (or anywhere importable) and one line
in :data:`TASKS`.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path
from typing import Any

from cluster.calls import TaskFn
from tools.errors import UsageError


def verilog_eval_sample(args: dict[str, Any]) -> dict[str, Any]:
    """One VerilogEval sample: the agent writes a candidate, the benchmark testbench judges it.

    Args (JSON): ``data`` (dataset directory), ``problem`` (id), ``agent`` (registry name), ``sample``.
    Returns the :class:`evals.verilog_eval.TestbenchVerdict` as JSON (``passed`` among its fields).
    """
    from evals.verilog_eval import get_agent, judge_answer, load_problems

    problems = load_problems(Path(args["data"]), args["problem"])
    problem = next((p for p in problems if p.id == args["problem"]), None)
    if problem is None:
        raise UsageError(f"problem '{args['problem']}' is not in {args['data']}")
    agent = get_agent(str(args.get("agent", "reference")), [problem])
    candidates = agent.solve(problem.prompt, 1)
    if len(candidates) != 1:
        raise UsageError(f"agent '{args.get('agent')}' returned {len(candidates)} candidates, asked for 1")
    verdict = judge_answer(problem, candidates[0])
    return verdict.model_dump(mode="json") | {"check": verdict.to_check().model_dump(mode="json")}


def hw_design_sample(args: dict[str, Any]) -> dict[str, Any]:
    """One hardware design request through the hardware subgraph (offline designer).

    Args (JSON): ``request`` (the text), ``sample`` (varies the checker's seeds). Returns the
    verdict, the top module, the RTL's hash, the synthesis figures and the final RTL's evidence;
    ``passed`` is true only when the design was verified (lint, differential check) and synthesized.
    """
    from agents.roles import build_roles
    from graphs.hw import design_block

    sample = int(args.get("sample", 0))
    seeds = [1000 * sample + s for s in (1, 2, 3)]
    design = design_block(str(args["request"]), roles=build_roles(None).hw, seeds=seeds)
    return {
        "passed": design.status == "verified",
        "status": design.status,
        "top": design.top or None,
        "rtl_sha256": hashlib.sha256(design.rtl.encode()).hexdigest() if design.rtl else None,
        "synth": design.synth,
        "evidence": design.evidence.model_dump(mode="json"),
        "attempts": len(design.attempts),
        "run_dir": design.run_dir,
    }


def sw_design_sample(args: dict[str, Any]) -> dict[str, Any]:
    """One kernel request through the software agent's front door (offline roles) for one target.

    Args (JSON): ``request`` (the text), ``target`` (x86_64, aarch64, riscv64 or cuda: the node
    serving it runs this), ``budget`` (the agent's budget), ``sample`` (the tuner's seed). Returns
    the status, the kernel, its origin and parameters, the timing on the requested shape, the
    ratios against the vendor baselines measured beside it (cuda: ``vs_cublas``, ``vs_cudnn``, ...;
    empty on CPU targets, where none is timed), the final source's hash and evidence, and the run
    directory; ``passed`` is true only when the design was verified (checked and timed).

    Raises:
        UsageError: a request the agent refuses on this target, or no target given.
    """
    from agents.roles import build_roles
    from graphs.sw import design_kernel

    target = args.get("target")
    if not target:
        raise UsageError("a sw-design sample needs a target (the campaign's targets name them)")
    sample = int(args.get("sample", 0))
    design = design_kernel(
        str(args["request"]),
        target=str(target),
        roles=build_roles(None).sw,
        budget=int(args.get("budget", 2)),
        seed=sample,
    )
    timing = design.timing
    return {
        "passed": design.status == "verified",
        "status": design.status,
        "kernel": design.kernel,
        "target": design.target,
        "origin": design.origin,
        "params": design.params,
        "dims": design.dims,
        "median_s": timing.median_s if timing is not None else None,
        "gflops": timing.gflops if timing is not None else None,
        "ratios": _gpu_ratios(design.run_dir) if design.target == "cuda" else {},
        "timing": timing.model_dump(mode="json") if timing is not None else None,
        "why_not": design.why_not,
        "source_sha256": hashlib.sha256(design.source.encode()).hexdigest() if design.source else None,
        "evidence": design.evidence.model_dump(mode="json"),
        "run_dir": design.run_dir,
    }


def _gpu_ratios(run_dir: str) -> dict[str, float]:
    """The tuned kernel's speed ratios against the baselines, from a cuda design's GPU record."""
    record_file = Path(run_dir) / "gpu_record.json" if run_dir else None
    if record_file is None or not record_file.is_file():
        return {}
    record = json.loads(record_file.read_text(encoding="utf-8")).get("record", {})
    tuned: dict[str, Any] = next((c for c in record.get("candidates", []) if c.get("kind") == "tuned"), {})
    return {str(k): float(v) for k, v in (tuned.get("ratios") or {}).items()}


def synthetic_sample(args: dict[str, Any]) -> dict[str, Any]:
    """A sample of known cost and known odds, for scaling runs and resilience drills.

    Args (JSON): ``problem``, ``sample``, ``work`` (SHA-256 rounds of CPU work), ``pass_rate``
    (the chance, by a hash of problem and sample, that it passes), and two fault injections:
    ``kill_once_dir`` (the first attempt of each sample SIGKILLs its own worker, leaving a marker
    file there) and ``always_raise`` (every attempt raises).
    """
    problem, sample = str(args["problem"]), int(args["sample"])
    marker_dir = args.get("kill_once_dir")
    if marker_dir:
        marker = Path(marker_dir) / f"{problem}.{sample}.killed"
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
    if args.get("always_raise"):
        raise RuntimeError(f"injected failure in {problem}#{sample}")
    digest = f"{problem}#{sample}".encode()
    for _ in range(int(args.get("work", 0))):
        digest = hashlib.sha256(digest).digest()
    draw = int.from_bytes(hashlib.sha256(f"{problem}#{sample}".encode()).digest()[:4], "big") / 2**32
    return {"passed": draw < float(args.get("pass_rate", 0.5)), "digest": digest.hex()[:16]}


TASKS: dict[str, TaskFn] = {
    "verilog-eval-sample": verilog_eval_sample,
    "hw-design-sample": hw_design_sample,
    "sw-design-sample": sw_design_sample,
    "synthetic-sample": synthetic_sample,
}

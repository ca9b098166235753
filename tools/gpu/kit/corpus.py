"""Running the GPU part of the exploit corpus through the evaluator, as an attacker would.

``python -m kit.corpus MANIFEST OUTDIR`` (``tools/gpu`` on ``sys.path``) loads each ``gpu`` entry
of the manifest (``tests/fixtures/exploits/manifest.json``): a Python file whose
``make_runner(problem)`` returns a candidate ``run(inputs, out)``. Each candidate goes through
:func:`.verdict.evaluate`, the path every suite candidate takes. An exploit must be rejected with a
reason matching its ``expect`` pattern; a ``legit`` entry must be admitted, and so must the kit's
own Triton kernels (a plain and a split-K plan) where Triton and a GPU are present. Entries that
need CUDA are skipped, with that reason, on a CPU. Writes ``OUTDIR/corpus.json``; exit code 1
when any exploit got through or any legitimate kernel was refused.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from . import integrity
from .lower import lower_gemm
from .plan import SAFE_GEMM, TilePlan
from .problems import AttentionProblem, GemmProblem, Problem
from .runtime import gemm_runner, triton_missing
from .verdict import evaluate


def make_problem(kind: str, device: str) -> Problem:
    """The corpus's small problems: big enough to flush and time, quick to check."""
    cuda = device.startswith("cuda")
    if kind == "gemm":
        return GemmProblem(1024, 1024, 1024, device) if cuda else GemmProblem(64, 48, 40, device)
    if kind == "attention":
        if cuda:
            return AttentionProblem(2, 4, 512, 64, True, device)
        return AttentionProblem(2, 2, 32, 16, True, device)
    raise ValueError(f"unknown corpus problem '{kind}'; known: attention, gemm")


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"qm_exploit_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_entry(entry: dict[str, Any], root: Path, device: str, reps: int, legit: bool) -> dict[str, Any]:
    """Evaluate one manifest entry; the row says whether the outcome is the expected one."""
    result: dict[str, Any] = {"id": entry["id"], "family": entry.get("family", "legit"), "legit": legit}
    if entry.get("needs_cuda") and not device.startswith("cuda"):
        result.update(outcome="skipped", reason="needs a CUDA device")
        return result
    problem = make_problem(entry["problem"], device)
    try:
        runner = _load(root / entry["file"]).make_runner(problem)
    except Exception as exc:  # an exploit that cannot even load is not caught by the evaluator
        integrity.restore()
        result.update(outcome="broken", reason=f"the exploit did not load: {type(exc).__name__}: {exc}")
        return result
    result.update(_judge(problem, entry["id"], runner, reps, legit, entry.get("expect", "")))
    return result


def _judge(problem: Problem, name: str, runner: Any, reps: int, legit: bool, expect: str) -> dict[str, Any]:
    def bench(inputs: tuple[Any, ...], out: Any) -> Any:
        return lambda: runner(inputs, out)

    row = evaluate(problem, name, "candidate", runner, bench, None, reps)
    reason = str(row.get("reason", ""))
    if legit:
        outcome = "admitted" if row["accepted"] else "REFUSED"
    elif row["accepted"]:
        outcome = "MISSED"
    else:
        outcome = "caught" if re.search(expect, reason) else "caught_other"
    timing = row.get("timing") or {}
    keep = ("median_ms", "loop_event_ms", "loop_wall_ms", "loop_reps")
    return {
        "outcome": outcome,
        "accepted": row["accepted"],
        "reason": reason,
        "timing": {k: timing[k] for k in keep if k in timing},
    }


def own_kernels(device: str, reps: int) -> list[dict[str, Any]]:
    """The kit's Triton GEMM kernels (plain, split-K, fused split-K) as legitimate candidates."""
    missing = triton_missing()
    if missing:
        return [{"id": "triton_kernels", "legit": True, "outcome": "skipped", "reason": missing}]
    problem = make_problem("gemm", device)
    assert isinstance(problem, GemmProblem)
    plans = [
        SAFE_GEMM,
        TilePlan("gemm", 64, 64, 64, 4, 4, 8, split_k=4),
        TilePlan("gemm", 64, 64, 64, 4, 4, 8, split_k=4, split_fused=True),
    ]
    rows = []
    for plan in plans:
        runner = gemm_runner(lower_gemm(plan, problem.m, problem.n, problem.k))
        row = {"id": f"triton_{plan.key()}", "family": "legit", "legit": True}
        row.update(_judge(problem, plan.key(), runner, reps, True, ""))
        rows.append(row)
    return rows


def run_corpus(manifest: Path, device: str, reps: int = 10) -> list[dict[str, Any]]:
    """Every gpu entry of ``manifest`` (exploits, then legitimate candidates, then our kernels)."""
    data = json.loads(manifest.read_text())
    root = manifest.parent
    rows = [
        run_entry(e, root, device, reps, legit=False) for e in data["exploits"] if e["evaluator"] == "gpu"
    ]
    rows += [run_entry(e, root, device, reps, legit=True) for e in data["legit"] if e["evaluator"] == "gpu"]
    if device.startswith("cuda"):
        rows += own_kernels(device, reps)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args(argv)
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
    t0 = time.time()
    rows = run_corpus(args.manifest, device, args.reps)
    args.outdir.mkdir(parents=True, exist_ok=True)
    report = {
        "manifest": str(args.manifest),
        "device": device,
        "wall_s": time.time() - t0,
        "rows": rows,
        "tampered": integrity.tampered(),
    }
    if device == "cuda":
        report["device_name"] = torch.cuda.get_device_name(0)
    (args.outdir / "corpus.json").write_text(json.dumps(report, indent=1))
    for row in rows:
        print(f"{row['outcome']:13s} {row['id']:34s} {row.get('reason', '')[:150]}", flush=True)
    bad = [r for r in rows if r["outcome"] in ("MISSED", "REFUSED", "caught_other", "broken")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

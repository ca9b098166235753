"""Correctness of every configuration the emulated tuner can choose, on every emulated target.

On aarch64 and riscv64 nothing is timed, so the tuner picks the static defaults or, when they
fail, a one-parameter neighbour. This checks all of those (the defaults and every neighbour) of
the suite's kernels with the differential checker, on aarch64 and on riscv64 at VLEN 128, 256 and
512. Run: ``python -m evals.kernel_configs`` (prints one line per kernel and target, then the
failures as JSON; exit 1 when any configuration fails).
"""

from __future__ import annotations

import json
import sys

from pydantic import BaseModel, Field

from agents.sw.library import TEMPLATES, ParamValues
from agents.sw.specs import kernel_spec
from tools.kernels import check_kernel
from tools.targets import Target, get_target
from tools.targets.cpu import RiscV64

SUITE_KERNELS = ("gemm", "softmax", "layernorm", "conv2d", "attention", "focal_split", "psf")


class ConfigFailure(BaseModel):
    """One configuration the checker rejected."""

    kernel: str = Field(description="Template name.")
    target: str = Field(description="Target label (riscv64 with its VLEN).")
    params: dict[str, int] = Field(description="The configuration.")
    status: str = Field(description="The checker's verdict.")
    reason: str = Field(description="Why it failed.")


def emulated_targets() -> list[tuple[str, Target]]:
    """aarch64, and riscv64 at VLEN 128, 256 and 512, with labels."""
    return [("aarch64", get_target("aarch64"))] + [
        (f"riscv64/vlen{v}", RiscV64(vlen=v)) for v in (128, 256, 512)
    ]


def reachable_configs(kernel: str, target: str) -> list[ParamValues]:
    """The defaults of ``kernel`` on ``target`` and every one-parameter neighbour."""
    template = TEMPLATES[kernel]
    base = template.defaults(target)
    return [base] + [{**base, p: v} for p, vs in template.space(target).items() for v in vs if v != base[p]]


def check_all(seed: int = 17) -> tuple[int, list[ConfigFailure]]:
    """Check every reachable configuration; returns (passed, failures)."""
    passed, failures = 0, []
    for kernel in SUITE_KERNELS:
        spec = kernel_spec(kernel, emulated=True)
        for label, target in emulated_targets():
            configs = reachable_configs(kernel, target.name)
            for params in configs:
                verdict = check_kernel(TEMPLATES[kernel].render(target.name, params), spec, target, seed=seed)
                if verdict.ok:
                    passed += 1
                else:
                    failures.append(
                        ConfigFailure(
                            kernel=kernel,
                            target=label,
                            params=params,
                            status=verdict.status,
                            reason=verdict.reason[:300],
                        )
                    )
            print(
                f"{kernel} {label}: {len(configs)} configurations, {passed} passed so far, {len(failures)} failed",
                flush=True,
            )
    return passed, failures


def main() -> None:
    """Entry point."""
    passed, failures = check_all()
    print(json.dumps({"passed": passed, "failures": [f.model_dump() for f in failures]}, indent=2))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

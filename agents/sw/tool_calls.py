"""The software agent's tool calls: compile, test and time a kernel, placed by its target.

A kernel spec holds a NumPy reference (a function), which cannot travel; what travels is its
:class:`SpecRecipe` (kernel name, dimensions, the emulated flag the driver chose, extra shapes),
and the node rebuilds the identical spec from the template library. The kernel's source is a
string in the call. :class:`KernelCalls` is the driver side (one kernel on one target, through
:func:`tools.executor.call_tool`); ``compile_call``, ``check_call`` and ``time_call`` are the task
functions that run on whichever node serves the target.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agents.sw.specs import kernel_spec
from tools.calls import VERSIONS_KEY, CallResult
from tools.executor import call_tool
from tools.kernels import KernelSpec, KernelVerdict, check_kernel
from tools.kernels.build import build_kernel
from tools.kernels.machine import MachinePeaks
from tools.kernels.timing import BenchResult, time_kernel
from tools.targets import CompileResult, Target, get_target

COMPILE = "agents.sw.tool_calls:compile_call"
CHECK = "agents.sw.tool_calls:check_call"
TIME = "agents.sw.tool_calls:time_call"

Shape = dict[str, int | float]


class SpecRecipe(BaseModel):
    """What a node needs to rebuild a library kernel's spec exactly."""

    kernel: str = Field(description="Template-library kernel name, e.g. 'softmax'.")
    dims: dict[str, int] | None = Field(None, description="Requested dimensions (None: the defaults).")
    emulated: bool = Field(description="Spec for an emulated target (smaller checked shapes).")
    extra_shapes: list[Shape] = Field(default_factory=list, description="Shapes checked besides the spec's.")

    def build(self) -> KernelSpec:
        """The spec, as :func:`agents.sw.specs.kernel_spec` gives it, plus the extra shapes."""
        spec = kernel_spec(self.kernel, self.dims, emulated=self.emulated)
        if self.extra_shapes:
            spec = spec.model_copy(update={"shapes": [*spec.shapes, *self.extra_shapes]})
        return spec


def _versions(target: Target) -> dict[str, str]:
    return dict(target.availability().tools)


def _target(args: dict[str, Any]) -> Target:
    """The call's target, with its vector length when the call names one (riscv64)."""
    vlen = args.get("vlen")
    return get_target(str(args["target"]), **({"vlen": int(vlen)} if vlen else {}))


def compile_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{source, recipe, target}`` -> :class:`tools.targets.CompileResult` JSON (no binary path)."""
    target = _target(args)
    spec = SpecRecipe.model_validate(args["recipe"]).build()
    with tempfile.TemporaryDirectory(prefix="qimeng-kbuild-") as tmp:
        built = build_kernel(str(args["source"]), spec, target, Path(tmp))
    return built.model_dump(mode="json", exclude={"binary"}) | {VERSIONS_KEY: _versions(target)}


def check_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{source, recipe, target, seed}`` -> :class:`tools.kernels.KernelVerdict` JSON."""
    target = _target(args)
    spec = SpecRecipe.model_validate(args["recipe"]).build()
    verdict = check_kernel(str(args["source"]), spec, target, seed=args.get("seed"))
    return verdict.model_dump(mode="json") | {VERSIONS_KEY: _versions(target)}


def time_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{source, recipe, target, shapes?, samples, seed, peaks?}`` -> :class:`BenchResult` JSON."""
    target = _target(args)
    spec = SpecRecipe.model_validate(args["recipe"]).build()
    peaks = MachinePeaks.model_validate(args["peaks"]) if args.get("peaks") else None
    bench = time_kernel(
        str(args["source"]),
        spec,
        target,
        shapes=args.get("shapes"),
        peaks=peaks,
        samples=int(args.get("samples", 15)),
        seed=int(args.get("seed", 0)),
    )
    return bench.model_dump(mode="json") | {VERSIONS_KEY: _versions(target)}


class KernelCalls:
    """Tool calls for one kernel spec on one target, through the current executor.

    The checks in the verdicts and timings that come back are stamped with where they ran.
    """

    def __init__(self, recipe: SpecRecipe, target: str, *, vlen: int | None = None) -> None:
        self.recipe = recipe
        self.target = target
        self.vlen = vlen

    def _call(self, task: str, key: str, args: dict[str, Any]) -> CallResult:
        base = {"recipe": self.recipe.model_dump(mode="json"), "target": self.target, "vlen": self.vlen}
        where = self.target + (f"-vlen{self.vlen}" if self.vlen else "")
        return call_tool(task, base | args, key=f"{key}:{self.recipe.kernel}@{where}", target=self.target)

    def build(self, source: str) -> tuple[CompileResult, CallResult]:
        """Compile ``source`` with the harness: the result and the call (to stamp a check with)."""
        done = self._call(COMPILE, "compile", {"source": source})
        return CompileResult.model_validate(done.value), done

    def check(self, source: str, seed: int | None) -> KernelVerdict:
        """Differential-test ``source`` against the spec's reference."""
        done = self._call(CHECK, "test", {"source": source, "seed": seed})
        verdict = KernelVerdict.model_validate(done.value)
        return verdict.model_copy(update={"check": done.stamp(verdict.check)})

    def time(
        self,
        source: str,
        *,
        shapes: list[Shape] | None = None,
        samples: int = 15,
        seed: int = 0,
        peaks: MachinePeaks | None = None,
    ) -> BenchResult:
        """Time ``source`` at ``shapes`` (default: the spec's bench shapes) on a node of the target."""
        args = {
            "source": source,
            "shapes": shapes,
            "samples": samples,
            "seed": seed,
            "peaks": peaks.model_dump(mode="json") if peaks is not None else None,
        }
        done = self._call(TIME, "time", args)
        bench = BenchResult.model_validate(done.value)
        return bench.model_copy(update={"check": done.stamp(bench.check)})

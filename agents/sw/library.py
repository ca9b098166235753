"""The offline template library: one C template per kernel, its tunable parameters and their ranges.

Templates are Jinja2 files in ``templates/``; each renders, for a CPU target, a C file defining the
kernel's function with the ABI of :mod:`agents.sw.specs`. x86_64 uses AVX-512 intrinsics, aarch64
NEON, riscv64 RVV 1.0 intrinsics (vsetvl strip-mining at a chosen LMUL); ``templates/cuda/`` holds a
CUDA C version of each kernel (compile-only where no GPU is present).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from tools.errors import UsageError

TEMPLATE_DIR = Path(__file__).parent / "templates"
CPU_TARGETS: tuple[str, ...] = ("x86_64", "aarch64", "riscv64")
ALL_TARGETS: tuple[str, ...] = (*CPU_TARGETS, "cuda")
ParamValues = dict[str, int]


@dataclass(frozen=True)
class Param:
    """One tunable parameter of a template: its allowed values, default, and the targets using it."""

    name: str
    values: tuple[int, ...]
    default: int
    doc: str
    targets: tuple[str, ...] = ALL_TARGETS
    target_defaults: dict[str, int] = field(default_factory=dict)

    def default_for(self, target: str) -> int:
        """The static default on ``target`` (what emulated targets use unless correctness rules it out)."""
        return self.target_defaults.get(target, self.default)


_LMUL = Param("lmul", (1, 2, 4, 8), 2, "RVV register group multiplier (LMUL).", ("riscv64",))
_CUDA_BLOCK = Param("block", (64, 128, 256, 512), 256, "CUDA threads per block.", ("cuda",))
_THREADS = Param(
    "threads",
    (1, 2, 4),
    1,
    "OpenMP threads of the kernel's parallel loop (gcc -fopenmp on x86_64 and aarch64; riscv64's "
    "clang build has no OpenMP runtime, so there the loop runs serially at any value).",
    CPU_TARGETS,
)


@dataclass(frozen=True)
class KernelTemplate:
    """A kernel template: file names, a line for humans, and the parameters it declares."""

    name: str
    description: str
    params: tuple[Param, ...]

    def space(self, target: str) -> dict[str, tuple[int, ...]]:
        """The search space on ``target``: parameter name -> allowed values."""
        _check_target(target)
        return {p.name: p.values for p in self.params if target in p.targets}

    def defaults(self, target: str) -> ParamValues:
        """The static default parameters on ``target``."""
        _check_target(target)
        return {p.name: p.default_for(target) for p in self.params if target in p.targets}

    def resolve(self, target: str, params: ParamValues | None = None) -> ParamValues:
        """Defaults overlaid with ``params``, validated.

        Raises:
            UsageError: for a parameter the template does not declare on ``target`` or a value
                outside its range (the message lists what is allowed).
        """
        space = self.space(target)
        chosen = self.defaults(target)
        for name, value in (params or {}).items():
            if name not in space:
                known = ", ".join(sorted(space)) or "(none)"
                raise UsageError(
                    f"template '{self.name}' has no parameter '{name}' on {target}; parameters: {known}"
                )
            if value not in space[name]:
                allowed = ", ".join(str(v) for v in space[name])
                raise UsageError(f"{self.name}.{name}={value} is out of range; allowed: {allowed}")
            chosen[name] = value
        return chosen

    def render(self, target: str, params: ParamValues | None = None) -> str:
        """C (or CUDA) source of this kernel for ``target`` with ``params`` (defaults otherwise).

        Raises:
            UsageError: for an unknown target or a bad parameter.
        """
        chosen = self.resolve(target, params)
        file = f"cuda/{self.name}.cu.j2" if target == "cuda" else f"{self.name}.c.j2"
        return _environment().get_template(file).render(kernel=self.name, target=target, params=chosen)


def _p(name: str, values: tuple[int, ...], default: int, doc: str, **per_target: int) -> Param:
    targets = CPU_TARGETS
    return Param(name, values, default, doc, targets, dict(per_target))


TEMPLATES: dict[str, KernelTemplate] = {
    t.name: t
    for t in (
        KernelTemplate(
            "gemm",
            "C = A @ B, fp32 row-major (packed AVX-512 micro-kernel on x86_64, blocked axpy elsewhere)",
            (
                Param(
                    "mr",
                    (6, 8, 12, 14),
                    6,
                    "Micro-kernel rows (2*MR zmm accumulators; up to 8 rows read A directly, more pack it).",
                    ("x86_64",),
                ),
                _p(
                    "kc",
                    (64, 128, 192, 256, 384, 512, 768, 1024),
                    256,
                    "Packed K block.",
                    aarch64=256,
                    riscv64=256,
                ),
                Param(
                    "mc",
                    (24, 48, 56, 96, 112, 168, 192, 240, 336),
                    96,
                    "Rows of a packed A block.",
                    ("x86_64",),
                ),
                Param("ku", (1, 2, 4), 4, "Unrolling of the micro-kernel's K loop.", ("x86_64",)),
                _p(
                    "nc", (128, 256, 512, 1024, 4096), 4096, "Columns of a B block.", aarch64=256, riscv64=256
                ),
                _LMUL,
                Param("tile", (8, 16, 32), 16, "CUDA shared-memory tile edge.", ("cuda",)),
                _THREADS,
            ),
        ),
        KernelTemplate(
            "gemv",
            "y = A @ x, fp32 row-major (one vector dot product per row)",
            (_p("rows", (1, 2, 4), 4, "Rows handled per outer iteration."), _LMUL, _CUDA_BLOCK),
        ),
        KernelTemplate(
            "conv2d",
            "valid 2D convolution, stride 1: in[C][H][W] * w[F][C][KH][KW] -> out[F][OH][OW]",
            (
                Param(
                    "row_block",
                    (1, 2, 4, 8),
                    4,
                    "Output rows per block (input-row reuse).",
                    ("aarch64", "riscv64"),
                ),
                Param("fb", (2, 4, 6), 4, "Filters per register block (4*FB zmm accumulators).", ("x86_64",)),
                _LMUL,
                _CUDA_BLOCK,
                _THREADS,
            ),
        ),
        KernelTemplate("softmax", "row-wise numerically stable softmax", (_LMUL, _CUDA_BLOCK, _THREADS)),
        KernelTemplate(
            "layernorm",
            "row-wise layer normalisation with gamma/beta, eps=1e-5",
            (_LMUL, _CUDA_BLOCK, _THREADS),
        ),
        KernelTemplate(
            "reduce_sum",
            "sum of a vector, chunked with a double-precision carry",
            (
                _p("chunk", (256, 1024, 4096, 16384), 4096, "Elements summed in fp32 per chunk."),
                _LMUL,
                _CUDA_BLOCK,
            ),
        ),
        KernelTemplate(
            "transpose",
            "B = A^T, tiled",
            (
                _p("tile", (8, 16, 32, 64), 32, "Tile edge."),
                Param("tile", (16, 32), 32, "CUDA tile.", ("cuda",)),
            ),
        ),
        KernelTemplate(
            "stencil2d", "one Jacobi sweep of the 5-point stencil, border copied", (_LMUL, _CUDA_BLOCK)
        ),
        KernelTemplate(
            "attention",
            "single-head attention forward softmax(QK^T/sqrt(D))V, streaming softmax",
            (
                _p("kv_block", (16, 32, 64, 128), 64, "Keys scored per block."),
                Param("qb", (1, 2, 4, 6), 4, "Queries per register block.", ("x86_64",)),
                _LMUL,
                _CUDA_BLOCK,
                _THREADS,
            ),
        ),
        KernelTemplate(
            "focal_split",
            "Focal Split depth from differential defocus (Z and confidence per pixel)",
            (
                Param("unroll", (1, 2, 4), 4, "Vector iterations unrolled per row loop.", ("x86_64",)),
                Param("fast_div", (0, 1), 0, "Reciprocal + Newton step instead of division.", ("x86_64",)),
                _LMUL,
                _CUDA_BLOCK,
                _THREADS,
            ),
        ),
        KernelTemplate(
            "psf",
            "wavefront forward model |FFT2(P*exp(i*phi))|^2 with a radix-2 FFT",
            (
                _p("col_block", (8, 16, 32, 64, 128), 32, "Columns transformed together."),
                _LMUL,
                _CUDA_BLOCK,
                _THREADS,
            ),
        ),
    )
}


def get_template(name: str) -> KernelTemplate:
    """The template called ``name``.

    Raises:
        UsageError: for an unknown name, listing the known templates.
    """
    if name not in TEMPLATES:
        raise UsageError(f"unknown kernel template '{name}'; known templates: {', '.join(sorted(TEMPLATES))}")
    return TEMPLATES[name]


def _check_target(target: str) -> None:
    if target not in ALL_TARGETS:
        raise UsageError(f"unknown target '{target}'; known targets: {', '.join(sorted(ALL_TARGETS))}")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )

"""Building a kernel together with its generated harness for one target, in the sandbox."""

from __future__ import annotations

from pathlib import Path

from tools.kernels.harness import HARNESS_FILE, PROTO_FILE, harness_source, prototype_header
from tools.kernels.spec import KernelSpec
from tools.targets import CompileResult, Target

KERNEL_BINARY = "qm_kernel.bin"


def kernel_filename(target: Target) -> str:
    """File name the kernel source is written to for ``target`` (``kernel.c`` or ``kernel.cu``)."""
    return f"kernel{target.source_suffix}"


def build_kernel(
    source: str,
    spec: KernelSpec,
    target: Target,
    workdir: Path,
    *,
    extra_flags: list[str] | None = None,
) -> CompileResult:
    """Write the kernel, the prototype header and the harness into ``workdir`` and compile them.

    The prototype header is force-included, so a kernel whose signature differs from the spec
    fails to compile with the compiler's "conflicting types" message.
    Returns the CompileResult (``binary`` is ``workdir/qm_kernel.bin`` when ok).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    kernel_file = kernel_filename(target)
    (workdir / kernel_file).write_text(source, encoding="utf-8")
    (workdir / PROTO_FILE).write_text(prototype_header(spec), encoding="utf-8")
    (workdir / HARNESS_FILE).write_text(harness_source(spec), encoding="utf-8")
    flags = ["-include", PROTO_FILE, *(extra_flags or [])]
    return target.compile(workdir, [HARNESS_FILE, kernel_file], KERNEL_BINARY, extra_flags=flags)


def compile_kernel_only(source: str, spec: KernelSpec, target: Target, workdir: Path) -> CompileResult:
    """Compile the kernel alone to an object file (``-c``): for targets that cannot run here."""
    workdir.mkdir(parents=True, exist_ok=True)
    kernel_file = kernel_filename(target)
    (workdir / kernel_file).write_text(source, encoding="utf-8")
    (workdir / PROTO_FILE).write_text(prototype_header(spec), encoding="utf-8")
    return target.compile(workdir, [kernel_file], "qm_kernel.o", extra_flags=["-c", "-include", PROTO_FILE])

"""Compiling lowered Triton source and wrapping it as a candidate that writes into a given output.

Needs torch and Triton (imported lazily, so the rest of the kit imports without them). Source is
written to a cache folder and imported from there, because Triton's JIT reads a kernel's source
from its file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .lower import LoweredKernel
from .padcopy import PadCopy, lower_pad_copy, lower_unpad_copy

Runner = Callable[[tuple[Any, ...], Any], None]
"""``run(inputs, out)``: compute the kernel's result for ``inputs`` into the tensor ``out``."""

_CACHE = Path(tempfile.gettempdir()) / "qimeng_gpu_kernels"


def triton_missing() -> str | None:
    """None when Triton and a CUDA device are usable, else the reason they are not."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA device"
    try:
        import triton  # noqa: F401
    except ImportError:
        return "triton is not installed"
    return None


def triton_version() -> str | None:
    """Triton's version string, or None when it is not installed."""
    try:
        import triton
    except ImportError:
        return None
    return str(triton.__version__)


def load_entry(kernel: LoweredKernel | PadCopy) -> Any:
    """Import the kernel's source (cached by content hash) and return its ``@triton.jit`` function."""
    digest = hashlib.sha256(kernel.source.encode()).hexdigest()[:16]
    _CACHE.mkdir(parents=True, exist_ok=True)
    path = _CACHE / f"{kernel.entry}_{digest}.py"
    if not path.exists():
        path.write_text(kernel.source)
    spec = importlib.util.spec_from_file_location(f"qm_gpu_{digest}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import generated kernel from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, kernel.entry)


def gemm_runner(kernel: LoweredKernel) -> Runner:
    """A runner for a lowered GEMM: ``out[m, n] = a[m, k] @ b[k, n]``."""
    import torch

    fn = load_entry(kernel)
    plan = kernel.plan
    sms = 0
    if plan.tma:
        import triton

        # in-kernel TMA descriptors live in a global scratch buffer that Triton asks torch for
        def scratch(size: int, alignment: int, stream: Any) -> Any:
            return torch.empty(size, dtype=torch.int8, device="cuda")

        triton.set_allocator(scratch)
        sms = torch.cuda.get_device_properties(0).multi_processor_count
    pads: dict[tuple[int, int, int], tuple[Any, Any]] = {}  # workspaces, input-independent
    copiers: dict[tuple[int, int, int], Callable[..., None]] = {}

    def run(inputs: tuple[Any, ...], out: Any) -> None:
        a, b = inputs
        m, k = a.shape
        n = b.shape[1]
        if kernel.pad_to is not None:
            mp, np_, kp = kernel.pad_to
            key = (mp, np_, kp)
            if key not in pads:
                # zero padding is input-independent workspace; only the interior is rewritten
                pads[key] = (
                    torch.zeros((mp, kp), dtype=a.dtype, device=a.device),
                    torch.zeros((kp, np_), dtype=b.dtype, device=b.device),
                )
            pa, pb = pads[key]
            if plan.fused_pad and a.is_contiguous() and b.is_contiguous():
                if (m, n, k) not in copiers:
                    copiers[(m, n, k)] = _pad_copier((m, k), kp, (k, n), np_, plan.pdl)
                copiers[(m, n, k)](a, pa, b, pb)
            else:
                pa[:m, :k].copy_(a)
                pb[:k, :n].copy_(b)
            a, b, lm, ln, lk = pa, pb, mp, np_, kp
        else:
            lm, ln, lk = m, n, k
        tiles = math.ceil(lm / plan.block_m) * math.ceil(ln / plan.block_n)
        target, locks, k_split = out, out, lk
        if kernel.pad_out:
            key = (-2, m, ln)
            if key not in pads:  # fully rewritten by every call: no state between calls
                pads[key] = (torch.empty((m, ln), dtype=out.dtype, device=out.device), None)
                copiers[key] = _unpad_copier(m, n, ln, plan.pdl)
            target = pads[key][0]
        if plan.split_k > 1:
            # split-K partial sums meet in an fp32 workspace; fused, the kernel leaves it (and the
            # per-tile counters) zeroed for the next call, else it is zeroed before, cast after
            key = (-1, m, n)
            if key not in pads:
                pads[key] = (
                    torch.zeros((m, n), dtype=torch.float32, device=out.device),
                    torch.zeros((tiles,), dtype=torch.int32, device=out.device),
                )
            target, locks = pads[key]
            if not plan.split_fused:
                target.zero_()
            k_split = math.ceil(math.ceil(lk / plan.block_k) / plan.split_k) * plan.block_k
        grid: tuple[int, ...] = (tiles, plan.split_k)
        extra: dict[str, int] = {}
        if plan.tma:
            grid, extra = (min(sms, tiles),), {"NUM_SMS": sms}
        if plan.pdl:
            extra["launch_pdl"] = True
        first = _host_descs(kernel, (a, b, target))
        fn[grid](
            *first, out, locks, lm, ln, lk, m, n, k_split,
            a.stride(0), a.stride(1), b.stride(0), b.stride(1), target.stride(0), target.stride(1),
            num_warps=plan.num_warps, num_stages=plan.num_stages, **kernel.constexprs, **extra,
        )  # fmt: skip
        if plan.split_k > 1 and not plan.split_fused:
            out.copy_(target)
        if kernel.pad_out:
            copiers[(-2, m, ln)](target, out)

    return run


def _host_descs(kernel: LoweredKernel, tensors: tuple[Any, ...]) -> tuple[Any, ...]:
    """The kernel's leading tensor arguments, wrapped as host-built TMA descriptors where the
    lowering asks for them (``kernel.host_descs``); built on every call, so they always describe
    the tensors of this call."""
    if not kernel.host_descs:
        return tensors
    from triton.tools.tensor_descriptor import TensorDescriptor

    return tuple(
        t if block is None else TensorDescriptor.from_tensor(t, list(block))
        for t, block in zip(tensors, kernel.host_descs, strict=True)
    )


def _pad_copy_launcher(copy: PadCopy) -> Callable[..., None]:
    """``launch(*tensors)``: one launch of a :class:`.padcopy.PadCopy` kernel (``a, pa, b, pb``
    for a pad copy, ``src, dst`` for an unpad copy)."""
    fn = load_entry(copy)
    # a copy that waits for its predecessor itself (gdc_wait) is launched as a dependent launch
    extra = {"launch_pdl": True} if "gdc_wait" in copy.source else {}

    def launch(*tensors: Any) -> None:
        fn[(copy.grid,)](*tensors, BLOCK=copy.block, num_warps=copy.num_warps, **extra)

    return launch


COPY_LANES = False
"""Lane-ordered copies (``padcopy`` ``lanes``) measured no faster on an H200 (pad copy 36.9 us
against 36.6, unpad 21.8 against 22.0; ``kit.probe``), so the plain form is used."""


def _pad_copier(
    a_shape: tuple[int, int], a_pitch: int, b_shape: tuple[int, int], b_pitch: int, pdl: bool = False
) -> Any:
    lanes = COPY_LANES and a_pitch % 8 == 0 and b_pitch % 8 == 0
    return _pad_copy_launcher(lower_pad_copy(a_shape, a_pitch, b_shape, b_pitch, lanes=lanes, pdl=pdl))


def _unpad_copier(rows: int, cols: int, pitch: int, pdl: bool = False) -> Any:
    lanes = COPY_LANES and pitch % 8 == 0 and not pdl
    return _pad_copy_launcher(lower_unpad_copy(rows, cols, pitch, lanes=lanes, pdl=pdl))


def fp8_gemm_runner(kernel: LoweredKernel) -> Runner:
    """A runner for a lowered FP8 GEMM (:mod:`.lower_fp8`): inputs ``(a, bt, scale_a, scale_b)``,
    ``out[m, n] = scale_a * scale_b * a @ bt^T`` in bf16."""
    import torch

    fn = load_entry(kernel)
    plan = kernel.plan
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    if plan.tma:
        import triton

        def scratch(size: int, alignment: int, stream: Any) -> Any:
            return torch.empty(size, dtype=torch.int8, device="cuda")

        triton.set_allocator(scratch)

    def run(inputs: tuple[Any, ...], out: Any) -> None:
        a, bt, sa, sb = inputs
        m, k = a.shape
        n = bt.shape[0]
        tiles = math.ceil(m / plan.block_m) * math.ceil(n / plan.block_n)
        grid = (min(sms, tiles),) if plan.tma else (tiles,)
        fn[grid](
            *_host_descs(kernel, (a, bt, out)), sa, sb, m, n, k,
            num_warps=plan.num_warps, num_stages=plan.num_stages, NUM_SMS=sms, **kernel.constexprs,
        )  # fmt: skip

    return run


def attention_runner(kernel: LoweredKernel) -> Runner:
    """A runner for lowered attention: inputs ``(q, k, v)`` contiguous ``[B, H, S, D]``."""
    fn = load_entry(kernel)
    plan = kernel.plan
    if plan.tma:
        import torch
        import triton

        # in-kernel TMA descriptors live in a global scratch buffer that Triton asks torch for
        def scratch(size: int, alignment: int, stream: Any) -> Any:
            return torch.empty(size, dtype=torch.int8, device="cuda")

        triton.set_allocator(scratch)

    def run(inputs: tuple[Any, ...], out: Any) -> None:
        q, k, v = inputs
        batch, heads, seq, dim = q.shape
        grid = (math.ceil(seq / plan.block_m), batch * heads)
        fn[grid](
            q, k, v, out, 1.0 / math.sqrt(dim), seq, seq * dim, dim,
            num_warps=plan.num_warps, num_stages=plan.num_stages, **kernel.constexprs,
        )  # fmt: skip

    return run

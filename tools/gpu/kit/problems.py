"""The benchmark problems: bf16 GEMM, FP8 GEMM and attention forward, with inputs, references and
baselines.

A problem makes fresh random inputs from a seed, an empty output, and the fp32 reference answer,
and names its vendor baselines (cuBLAS through ``torch.matmul``; cuBLASLt FP8 through
``torch._scaled_mm``; FlashAttention and cuDNN through ``scaled_dot_product_attention`` with a
forced backend). Baselines are checked and timed exactly like generated kernels. A problem's
``tolerance`` is None (the output dtype's default bound of :mod:`.checking`) or its own stated
(norm, element) bound. Device-agnostic torch (a CPU dry run uses the same code).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Runner = Callable[[tuple[Any, ...], Any], None]
Bench = Callable[[tuple[Any, ...], Any], Callable[[], object]]


@dataclass
class Baseline:
    """A vendor implementation: ``run`` writes into ``out`` (for checking), ``bench`` makes the
    zero-argument call that is timed (it may return a fresh tensor, as the library does)."""

    name: str
    run: Runner
    bench: Bench


@dataclass
class GemmProblem:
    """``C[m, n] = A[m, k] @ B[k, n]`` in bf16 with fp32 accumulation."""

    m: int
    n: int
    k: int
    device: str
    tolerance = None

    @property
    def name(self) -> str:
        return f"gemm_{self.m}x{self.n}x{self.k}"

    @property
    def op(self) -> str:
        return "gemm"

    @property
    def flops(self) -> float:
        return 2.0 * self.m * self.n * self.k

    def shape(self) -> dict[str, int | bool]:
        return {"M": self.m, "N": self.n, "K": self.k}

    def make_inputs(self, seed: int) -> tuple[Any, ...]:
        import torch

        gen = torch.Generator(device=self.device).manual_seed(seed)
        a = torch.randn((self.m, self.k), generator=gen, device=self.device).to(torch.bfloat16)
        b = torch.randn((self.k, self.n), generator=gen, device=self.device).to(torch.bfloat16)
        return (a, b)

    def make_output(self) -> Any:
        import torch

        return torch.empty((self.m, self.n), dtype=torch.bfloat16, device=self.device)

    def reference(self, inputs: tuple[Any, ...]) -> Any:
        a, b = inputs
        return a.float() @ b.float()

    def baselines(self) -> list[Baseline]:
        import torch

        def run(inputs: tuple[Any, ...], out: Any) -> None:
            torch.matmul(inputs[0], inputs[1], out=out)

        def bench(inputs: tuple[Any, ...], out: Any) -> Callable[[], object]:
            return lambda: torch.matmul(inputs[0], inputs[1], out=out)

        bases = [Baseline("cublas", run, bench)]
        if self.k % 8 or self.n % 8:
            bases.append(self._padded_cublas())
        return bases

    def _padded_cublas(self) -> Baseline:
        """What a user does with an odd shape: copy A and B into buffers whose leading dimensions
        (K and N) are multiples of 8, call cuBLAS, copy the result out. Every copy is timed; the
        zero padding is workspace made once (its contents never change)."""
        import torch

        kp, np_ = -(-self.k // 8) * 8, -(-self.n // 8) * 8
        m, n, k = self.m, self.n, self.k

        def padded(inputs: tuple[Any, ...], out: Any) -> Callable[[], object]:
            a, b = inputs
            pa = torch.zeros((m, kp), dtype=a.dtype, device=a.device)
            pb = torch.zeros((kp, np_), dtype=b.dtype, device=b.device)
            pc = torch.empty((m, np_), dtype=out.dtype, device=out.device)

            def call() -> None:
                pa[:, :k].copy_(a)
                pb[:k, :n].copy_(b)
                torch.matmul(pa, pb, out=pc)
                out.copy_(pc[:, :n])

            return call

        def run(inputs: tuple[Any, ...], out: Any) -> None:
            padded(inputs, out)()

        return Baseline("cublas_pad8", run, padded)

    @property
    def bytes_moved(self) -> float:
        """Bytes a GEMM must read and write at least: A, B and C once each (bf16)."""
        return 2.0 * (self.m * self.k + self.k * self.n + self.m * self.n)

    @property
    def skinny(self) -> bool:
        """The decode-step shape (M <= 64): bound by reading B, judged by bandwidth."""
        return self.m <= 64


@dataclass
class AttentionProblem:
    """Attention forward ``softmax(Q K^T / sqrt(D)) V`` on ``[B, H, S, D]`` bf16, causal or not."""

    batch: int
    heads: int
    seq: int
    dim: int
    causal: bool
    device: str

    @property
    def name(self) -> str:
        kind = "causal" if self.causal else "full"
        return f"attn_b{self.batch}h{self.heads}s{self.seq}d{self.dim}_{kind}"

    @property
    def op(self) -> str:
        return "attention"

    @property
    def flops(self) -> float:
        full = 4.0 * self.batch * self.heads * self.seq * self.seq * self.dim
        return full / 2 if self.causal else full

    @property
    def bytes_moved(self) -> float:
        """Q, K, V read and O written once each (bf16)."""
        return 2.0 * 4 * self.batch * self.heads * self.seq * self.dim

    skinny = False
    tolerance = None

    def shape(self) -> dict[str, int | bool]:
        return {"B": self.batch, "H": self.heads, "S": self.seq, "D": self.dim, "causal": self.causal}

    def make_inputs(self, seed: int) -> tuple[Any, ...]:
        import torch

        gen = torch.Generator(device=self.device).manual_seed(seed)
        size = (self.batch, self.heads, self.seq, self.dim)
        return tuple(
            torch.randn(size, generator=gen, device=self.device).to(torch.bfloat16) for _ in range(3)
        )

    def make_output(self) -> Any:
        import torch

        size = (self.batch, self.heads, self.seq, self.dim)
        return torch.empty(size, dtype=torch.bfloat16, device=self.device)

    def reference(self, inputs: tuple[Any, ...]) -> Any:
        import torch

        q, k, v = inputs
        out = torch.empty(q.shape, dtype=torch.float32, device=q.device)
        scale = 1.0 / math.sqrt(self.dim)
        mask = None
        if self.causal:
            ones = torch.ones((self.seq, self.seq), dtype=torch.bool, device=q.device)
            mask = torch.triu(ones, diagonal=1)
        for b in range(self.batch):  # one batch at a time bounds the fp32 score matrix
            scores = (q[b].float() @ k[b].float().transpose(-1, -2)) * scale
            if mask is not None:
                scores.masked_fill_(mask, float("-inf"))
            out[b] = torch.softmax(scores, dim=-1) @ v[b].float()
            del scores
        return out

    def baselines(self) -> list[Baseline]:
        from torch.nn.attention import SDPBackend

        backends = (
            [("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)]
            if self.device.startswith("cuda")
            else [("math", SDPBackend.MATH)]
        )
        return [self._sdpa(name, backend) for name, backend in backends]

    def _sdpa(self, name: str, backend: Any) -> Baseline:
        import torch.nn.functional as F
        from torch.nn.attention import sdpa_kernel

        causal = self.causal

        def call(inputs: tuple[Any, ...]) -> Any:
            with sdpa_kernel(backend):
                q, k, v = inputs
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

        def run(inputs: tuple[Any, ...], out: Any) -> None:
            out.copy_(call(inputs))

        def bench(inputs: tuple[Any, ...], out: Any) -> Callable[[], object]:
            return lambda: call(inputs)

        return Baseline(name, run, bench)


def fp8_tolerance(k: int) -> tuple[float, float]:
    """The stated FP8 GEMM error bound (norm, element) against the fp32 product of the dequantized
    operands, for reduction depth ``k``.

    Products of e4m3 values are exact in fp32, so the error comes from the accumulation and the
    output: one bf16 rounding of the output (2^-9 relative), plus Hopper's fast FP8 accumulation,
    bounded as if the accumulator were truncated to 14 mantissa bits at every 32-deep
    tensor-core step (the precision the DeepSeek-V3 report, sec. 3.3.2, gives for Hopper's FP8
    accumulation; cuBLASLt with ``use_fast_accum`` and Triton's default on sm_90 accumulate
    without promotion): norm <= 2^-9 + (k/32) 2^-14, and each element within twice that times
    (|want| + rms(want)). At k = 4096 that is 0.98% in norm and 2.0% per element. Measured on an
    H200: exact accumulation 0.17%, fast 0.21% (k = 4096) and 0.26% (k = 8192); an output
    stored in e4m3 is at about 2.6%, a bf16 accumulator (every 32 steps) at 0.7% in norm but
    3.1% on single elements (k = 4096, CPU emulation).
    """
    norm = 2.0**-9 + (k / 32) * 2.0**-14
    return norm, 2 * norm


@dataclass
class Fp8GemmProblem:
    """``C[m, n] = (sa A)[m, k] @ (sb Bt)[n, k]^T``: e4m3 operands with per-tensor fp32 scales,
    fp32 accumulation, bf16 output. B is stored transposed (K contiguous), the layout Hopper's
    FP8 tensor cores and ``torch._scaled_mm`` need."""

    m: int
    n: int
    k: int
    device: str

    @property
    def name(self) -> str:
        return f"fp8gemm_{self.m}x{self.n}x{self.k}"

    @property
    def op(self) -> str:
        return "gemm_fp8"

    @property
    def flops(self) -> float:
        return 2.0 * self.m * self.n * self.k

    @property
    def bytes_moved(self) -> float:
        """A and B once (1 byte each), C once (bf16)."""
        return 1.0 * (self.m * self.k + self.k * self.n) + 2.0 * self.m * self.n

    skinny = False

    @property
    def tolerance(self) -> tuple[float, float]:
        """The stated bound, :func:`fp8_tolerance`."""
        return fp8_tolerance(self.k)

    def shape(self) -> dict[str, int | bool]:
        return {"M": self.m, "N": self.n, "K": self.k}

    def make_inputs(self, seed: int) -> tuple[Any, ...]:
        """(A e4m3 [m, k], Bt e4m3 [n, k], scale_a, scale_b): fp32 randn scaled by a seed-dependent
        magnitude, quantized with per-tensor scales amax / 448 (a kernel that ignores the scales
        is wrong)."""
        import torch

        gen = torch.Generator(device=self.device).manual_seed(seed)
        out: list[Any] = []
        scales: list[Any] = []
        for rows, magnitude in ((self.m, 1 + seed % 5), (self.n, 0.25 * (1 + seed % 3))):
            x = torch.randn((rows, self.k), generator=gen, device=self.device) * magnitude
            scale = (x.abs().amax() / 448.0).float().reshape(())
            out.append((x / scale).to(torch.float8_e4m3fn))
            scales.append(scale)
            del x
        return (out[0], out[1], scales[0], scales[1])

    def make_output(self) -> Any:
        import torch

        return torch.empty((self.m, self.n), dtype=torch.bfloat16, device=self.device)

    def reference(self, inputs: tuple[Any, ...]) -> Any:
        a, bt, sa, sb = inputs
        return (a.float() @ bt.float().T).mul_(sa * sb)

    def baselines(self) -> list[Baseline]:
        """cuBLASLt FP8 (``torch._scaled_mm``) with exact and with fast accumulation on a GPU; on
        a CPU (dry run) the fp32 product of the dequantized operands."""
        import torch

        if not self.device.startswith("cuda"):

            def dequant(inputs: tuple[Any, ...], out: Any) -> None:
                a, bt, sa, sb = inputs
                out.copy_((a.float() @ bt.float().T).mul_(sa * sb))

            return [Baseline("dequant_fp32", dequant, lambda i, o: lambda: dequant(i, o))]

        def scaled(fast: bool) -> Baseline:
            def call(inputs: tuple[Any, ...]) -> Any:
                a, bt, sa, sb = inputs
                return torch._scaled_mm(
                    a, bt.t(), scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16, use_fast_accum=fast
                )

            def run(inputs: tuple[Any, ...], out: Any) -> None:
                out.copy_(call(inputs))

            def bench(inputs: tuple[Any, ...], out: Any) -> Callable[[], object]:
                return lambda: call(inputs)

            return Baseline("scaled_mm_fast" if fast else "scaled_mm", run, bench)

        return [scaled(False), scaled(True)]


Problem = GemmProblem | AttentionProblem | Fp8GemmProblem

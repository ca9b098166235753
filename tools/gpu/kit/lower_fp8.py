"""FP8 (e4m3) GEMM plans and their lowering to Triton source.

``C[m, n] = (sa * sb) * (A[m, k] @ Bt[n, k]^T)``: A and Bt are e4m3 with K contiguous (the layout
Hopper's FP8 tensor cores read), ``sa`` and ``sb`` per-tensor fp32 scales, accumulation in fp32
registers (``tl.dot``, Triton's default accumulation on sm_90), the scales applied once in the
epilogue, bf16 output. Two lowerings: a persistent kernel over TMA descriptors (K a multiple of
16 and N of 8, for 16-byte rows), and a plain one with masked pointer loads (any shape; the
fallback). Standard library only.
"""

from __future__ import annotations

import ast

from .lower import LoweredKernel
from .plan import PlanError, TilePlan

_HEADER = "import triton\nimport triton.language as tl\n\n\n"

SAFE_FP8 = TilePlan("gemm", 64, 64, 64, 3, 4, 8, operand="fp8e4m3")
"""The fallback FP8 plan: pointer loads, small tiles."""


def fp8_gemm_space(m: int, n: int, k: int) -> list[TilePlan]:
    """Candidate FP8 plans, best-first by prior belief: persistent TMA tiles (BLOCK_K 128 = four
    32-deep FP8 tensor-core steps per stage) where rows are 16-byte aligned, then pointer plans."""
    plans: list[TilePlan] = []
    if k % 16 == 0 and n % 8 == 0:
        # host-built descriptors (no per-program set-up); a split epilogue store leaves shared
        # memory for a fourth stage
        for bm, bn, bk, stages, warps, group, sub in [
            (128, 256, 128, 4, 8, 8, True),
            (128, 256, 128, 4, 8, 16, True),
            (128, 256, 128, 3, 8, 8, False),
            (128, 256, 128, 3, 8, 16, False),
            (128, 256, 64, 6, 8, 8, True),
        ]:
            plan = TilePlan(
                "gemm", bm, bn, bk, stages, warps, group, tma=True, operand="fp8e4m3", host_desc=True, subtile=sub
            )  # fmt: skip
            plans.append(plan.validate())
        for bm, bn, bk, stages, warps, group in [
            (128, 256, 128, 3, 8, 8),
            (256, 128, 128, 3, 8, 8),
            (128, 256, 64, 4, 8, 8),
            (128, 128, 128, 4, 8, 8),
            (128, 256, 128, 3, 8, 16),
        ]:
            plans.append(
                TilePlan("gemm", bm, bn, bk, stages, warps, group, tma=True, operand="fp8e4m3").validate()
            )
    for bm, bn, bk, stages, warps in [(128, 256, 128, 3, 8), (128, 128, 128, 4, 8)]:
        plans.append(TilePlan("gemm", bm, bn, bk, stages, warps, 8, operand="fp8e4m3").validate())
    return plans


def lower_gemm_fp8(plan: TilePlan, m: int, n: int, k: int) -> LoweredKernel:
    """Lower an ``operand='fp8e4m3'`` plan; the kernel's arguments are
    ``(a, bt, c, scale_a, scale_b, M, N, K, ...)``."""
    plan.validate()
    if plan.op != "gemm" or plan.operand != "fp8e4m3":
        raise PlanError(f"lower_gemm_fp8 needs a gemm plan with operand='fp8e4m3', got {plan.key()}")
    if min(m, n, k) < 1:
        raise PlanError(f"gemm shape must be positive, got m={m} n={n} k={k}")
    if plan.tma and (k % 16 or n % 8):
        raise PlanError(f"an fp8 tma plan needs K % 16 == 0 and N % 8 == 0 (16-byte rows), got N={n} K={k}")
    entry = f"qm_{plan.key()}"
    host = plan.tma and plan.host_desc
    head = [
        "@triton.jit",
        f"def {entry}(",
        "    a_desc, b_desc, c_desc, sa_ptr, sb_ptr," if host else "    a_ptr, b_ptr, c_ptr, sa_ptr, sb_ptr,",
        "    M: tl.constexpr, N: tl.constexpr, K: tl.constexpr,",
        "    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,",
        "    NUM_SMS: tl.constexpr,",
        "):",
        "    num_pid_m = tl.cdiv(M, BLOCK_M)",
        "    num_pid_n = tl.cdiv(N, BLOCK_N)",
        "    num_pid_in_group = GROUP_M * num_pid_n",
        "    scale = tl.load(sa_ptr) * tl.load(sb_ptr)",
    ]
    body = _tma_body(plan.subtile) if plan.tma else _pointer_body(k % plan.block_k == 0)
    descs: tuple[tuple[int, int] | None, ...] = ()
    if host:
        # the runner builds the descriptors on the host (TilePlan.host_desc)
        body = [ln for ln in body if "= tl.make_tensor_descriptor(" not in ln]
        c_block = (plan.block_m, plan.block_n // 2 if plan.subtile else plan.block_n)
        descs = ((plan.block_m, plan.block_k), (plan.block_n, plan.block_k), c_block)
    source = _HEADER + "\n".join(head + body) + "\n"
    ast.parse(source)
    consts = {"BLOCK_M": plan.block_m, "BLOCK_N": plan.block_n, "BLOCK_K": plan.block_k}
    consts["GROUP_M"] = plan.group_m
    return LoweredKernel(plan, entry, source, consts, host_descs=descs)


def _tile(pid: str, indent: str, tag: str = "") -> list[str]:
    """Grouped (swizzled) tile order: ``pid`` to ``pid_{tag}m``, ``pid_{tag}n``."""
    return [
        f"{indent}group_id = {pid} // num_pid_in_group",
        f"{indent}first_pid_m = group_id * GROUP_M",
        f"{indent}group_size_m = min(num_pid_m - first_pid_m, GROUP_M)",
        f"{indent}pid_{tag}m = first_pid_m + (({pid} % num_pid_in_group) % group_size_m)",
        f"{indent}pid_{tag}n = ({pid} % num_pid_in_group) // group_size_m",
    ]


def _tma_body(subtile: bool) -> list[str]:
    half = "BLOCK_N // 2" if subtile else "BLOCK_N"
    lines = [
        "    start_pid = tl.program_id(0)",
        "    k_tiles = tl.cdiv(K, BLOCK_K)",
        "    num_tiles = num_pid_m * num_pid_n",
        "    a_desc = tl.make_tensor_descriptor(a_ptr, shape=[M, K], strides=[K, 1], block_shape=[BLOCK_M, BLOCK_K])",
        "    b_desc = tl.make_tensor_descriptor(b_ptr, shape=[N, K], strides=[K, 1], block_shape=[BLOCK_N, BLOCK_K])",
        f"    c_desc = tl.make_tensor_descriptor(c_ptr, shape=[M, N], strides=[N, 1], block_shape=[BLOCK_M, {half}])",
        "    # the epilogue recomputes its tile from its own counter, so the flattened loop can",
        "    # prefetch the next tile's operands while this one is stored",
        "    tile_id_c = start_pid - NUM_SMS",
        "    for tile_id in tl.range(start_pid, num_tiles, NUM_SMS, flatten=True):",
        *_tile("tile_id", "        "),
        "        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)",
        "        for ki in range(k_tiles):",
        "            a = a_desc.load([pid_m * BLOCK_M, ki * BLOCK_K])",
        "            b = b_desc.load([pid_n * BLOCK_N, ki * BLOCK_K])",
        "            acc = tl.dot(a, tl.trans(b), acc)",
        "        tile_id_c += NUM_SMS",
        *_tile("tile_id_c", "        ", "c"),
    ]
    if subtile:
        lines += [
            "        acc_h = tl.permute(tl.reshape((acc * scale), (BLOCK_M, 2, BLOCK_N // 2)), (0, 2, 1))",
            "        acc_0, acc_1 = tl.split(acc_h)",
            "        c_desc.store([pid_cm * BLOCK_M, pid_cn * BLOCK_N], acc_0.to(tl.bfloat16))",
            "        c_desc.store([pid_cm * BLOCK_M, pid_cn * BLOCK_N + BLOCK_N // 2], acc_1.to(tl.bfloat16))",
        ]
    else:
        lines.append(
            "        c_desc.store([pid_cm * BLOCK_M, pid_cn * BLOCK_N], (acc * scale).to(tl.bfloat16))"
        )
    return lines


def _pointer_body(even_k: bool) -> list[str]:
    if even_k:
        loads = ["        a = tl.load(a_ptrs)", "        b = tl.load(b_ptrs)"]
    else:
        loads = [
            "        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k, other=0.0)",
            "        b = tl.load(b_ptrs, mask=offs_k[None, :] < K - k, other=0.0)",
        ]
    return [
        "    pid = tl.program_id(0)",
        *_tile("pid", "    "),
        "    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)",
        "    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)",
        "    offs_k = tl.arange(0, BLOCK_K)",
        "    # rows past the edge wrap around: they read valid memory and are never stored",
        "    a_ptrs = a_ptr + (offs_m % M)[:, None] * K + offs_k[None, :]",
        "    b_ptrs = b_ptr + (offs_n % N)[:, None] * K + offs_k[None, :]",
        "    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)",
        "    for k in range(0, K, BLOCK_K):",
        *loads,
        "        acc = tl.dot(a, tl.trans(b), acc)",
        "        a_ptrs += BLOCK_K",
        "        b_ptrs += BLOCK_K",
        "    c_ptrs = c_ptr + offs_m[:, None] * N + offs_n[None, :]",
        "    c_mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)",
        "    tl.store(c_ptrs, (acc * scale).to(tl.bfloat16), mask=c_mask)",
    ]

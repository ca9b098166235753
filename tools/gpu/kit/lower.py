"""Lowering a :class:`~.plan.TilePlan` to Triton source text for one problem shape.

The lowering specializes on the shape the way a hand-writer would: masks are emitted only on the
edges that are ragged (``M % block_m`` etc.), the K loop of a ragged GEMM runs unmasked over the
full blocks and masks one tail block, causal attention visits only the blocks at or below the
diagonal (``split`` masks just the diagonal blocks), and causal grids launch the heaviest query
blocks first. The result is plain text plus launch parameters; :mod:`.runtime` compiles it.
Standard library only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .plan import PlanError, TilePlan

_HEADER = "import triton\nimport triton.language as tl\n\n\n"


@dataclass(frozen=True)
class LoweredKernel:
    """Triton source for one plan at one shape, and how to launch it."""

    plan: TilePlan
    entry: str
    source: str
    constexprs: dict[str, int] = field(default_factory=dict)
    pad_to: tuple[int, int, int] | None = None
    """GEMM with ``edge='pad'``: operands are copied into (M, N, K) padded to these sizes."""
    pad_out: bool = False
    """The kernel writes an (M, padded N) buffer with aligned (TMA) stores; the runner copies its
    first N columns into the real output (:func:`.padcopy.lower_unpad_copy`)."""
    host_descs: tuple[tuple[int, int] | None, ...] = ()
    """Host-built TMA descriptors: the block shape of each of the kernel's first arguments that
    the runner passes as a ``TensorDescriptor`` (None: passed as a plain tensor); empty when the
    kernel builds its descriptors itself."""


def _ceil_to(x: int, multiple: int) -> int:
    return (x + multiple - 1) // multiple * multiple


def lower_gemm(plan: TilePlan, m: int, n: int, k: int) -> LoweredKernel:
    """Lower a GEMM plan for ``C[m, n] = A[m, k] @ B[k, n]`` (bf16 in, fp32 accumulate, bf16 out)."""
    plan.validate()
    if plan.op != "gemm":
        raise PlanError(f"lower_gemm needs a gemm plan, got op '{plan.op}'")
    if plan.operand != "bf16":
        raise PlanError(f"lower_gemm lowers bf16 plans; {plan.key()} goes to lower_fp8.lower_gemm_fp8")
    if min(m, n, k) < 1:
        raise PlanError(f"gemm shape must be positive, got m={m} n={n} k={k}")
    if plan.tma:
        return _lower_gemm_tma(plan, m, n, k)
    pad_to = None
    if plan.edge == "pad" and (m % plan.block_m or n % plan.block_n or k % plan.block_k):
        pad_to = (_ceil_to(m, plan.block_m), _ceil_to(n, plan.block_n), _ceil_to(k, plan.block_k))
    lm, ln, lk = pad_to or (m, n, k)
    even_m, even_n, even_k = lm % plan.block_m == 0, ln % plan.block_n == 0, lk % plan.block_k == 0
    # stores always go to the unpadded output, so they are masked whenever the real shape is ragged
    store_even = m % plan.block_m == 0 and n % plan.block_n == 0
    split = plan.split_k > 1
    if split:
        # every split covers K_SPLIT (a multiple of BLOCK_K); unmasked only when all are full
        even_k = k % (plan.block_k * plan.split_k) == 0
    entry = f"qm_{plan.key()}_{'e' if even_m else 'r'}{'e' if even_n else 'r'}{'e' if even_k else 'r'}"
    am = "offs_m" if even_m else "offs_m % M"
    bn = "offs_n" if even_n else "offs_n % N"
    lines = [
        "@triton.jit",
        f"def {entry}(",
        "    a_ptr, b_ptr, c_ptr, o_ptr, lock_ptr,",
        "    # the shape and the strides are compile-time constants: the kernel is lowered per shape,",
        "    # and known divisibility lets Triton vectorize the loads of ragged shapes too",
        "    M: tl.constexpr, N: tl.constexpr, K: tl.constexpr, M_OUT: tl.constexpr, N_OUT: tl.constexpr,",
        "    K_SPLIT: tl.constexpr, stride_am: tl.constexpr, stride_ak: tl.constexpr,",
        "    stride_bk: tl.constexpr, stride_bn: tl.constexpr, stride_cm: tl.constexpr, stride_cn: tl.constexpr,",
        "    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,",
        "):",
        "    pid = tl.program_id(0)",
        "    num_pid_m = tl.cdiv(M, BLOCK_M)",
        "    num_pid_n = tl.cdiv(N, BLOCK_N)",
        "    num_pid_in_group = GROUP_M * num_pid_n",
        "    group_id = pid // num_pid_in_group",
        "    first_pid_m = group_id * GROUP_M",
        "    group_size_m = min(num_pid_m - first_pid_m, GROUP_M)",
        "    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)",
        "    pid_n = (pid % num_pid_in_group) // group_size_m",
        "    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)",
        "    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)",
        "    offs_k = tl.arange(0, BLOCK_K)",
        "    # rows/columns past the edge wrap around: they read valid memory and are never stored",
        f"    offs_am = {am}",
        f"    offs_bn = {bn}",
        "    a_ptrs = a_ptr + offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak",
        "    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn",
        "    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)",
    ]
    if split:
        lines += _split_k_loop(even_k)
    else:
        lines += [
            "    for _ in range(0, K // BLOCK_K):",
            "        a = tl.load(a_ptrs)",
            "        b = tl.load(b_ptrs)",
            "        acc += tl.dot(a, b)",
            "        a_ptrs += BLOCK_K * stride_ak",
            "        b_ptrs += BLOCK_K * stride_bk",
        ]
    if not even_k and not split:
        lines += [
            "    k_rem = K % BLOCK_K",
            "    if k_rem > 0:",
            "        a = tl.load(a_ptrs, mask=offs_k[None, :] < k_rem, other=0.0)",
            "        b = tl.load(b_ptrs, mask=offs_k[:, None] < k_rem, other=0.0)",
            "        acc += tl.dot(a, b)",
        ]
    if split:
        # partial sums meet in an fp32 workspace (c_ptr); unfused, the runner zeroes it and casts
        # it; fused, the last split of each tile to arrive (a counter per tile) casts the sum into
        # o_ptr and zeroes the workspace and the counter again for the next call. The adds are
        # relaxed (Triton's default, acq_rel, fences every element); the barrier and the
        # counter's acq_rel atomic order them before the last split reads the sum
        lines += [
            "    c_ptrs = c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn",
            "    c_mask = (offs_m[:, None] < M_OUT) & (offs_n[None, :] < N_OUT)",
            '    tl.atomic_add(c_ptrs, acc, mask=c_mask, sem="relaxed")',
        ]
        if plan.split_fused:
            lines += [
                "    tl.debug_barrier()",
                "    arrived = tl.atomic_add(lock_ptr + pid, 1)",
                f"    if arrived == {plan.split_k - 1}:",
                "        total = tl.load(c_ptrs, mask=c_mask, other=0.0, cache_modifier='.cg')",
                "        o_ptrs = o_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn",
                "        tl.store(o_ptrs, total.to(o_ptr.dtype.element_ty), mask=c_mask)",
                "        tl.store(c_ptrs, tl.zeros_like(total), mask=c_mask, cache_modifier='.cg')",
                "        tl.atomic_xchg(lock_ptr + pid, 0)",
            ]
    lines += [
        "    c = acc.to(c_ptr.dtype.element_ty)",
        "    c_ptrs = c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn",
    ]
    if split:
        lines = lines[:-2]
    elif store_even:
        lines.append("    tl.store(c_ptrs, c)")
    else:
        lines.append("    tl.store(c_ptrs, c, mask=(offs_m[:, None] < M_OUT) & (offs_n[None, :] < N_OUT))")
    source = _HEADER + "\n".join(lines) + "\n"
    ast.parse(source)
    consts = {"BLOCK_M": plan.block_m, "BLOCK_N": plan.block_n, "BLOCK_K": plan.block_k}
    consts["GROUP_M"] = plan.group_m
    return LoweredKernel(plan, entry, source, consts, pad_to)


def _lower_gemm_tma(plan: TilePlan, m: int, n: int, k: int) -> LoweredKernel:
    """A persistent GEMM over TMA descriptors (Triton's Hopper path); ragged edges are the
    hardware's (zero-filled loads, clipped stores), so only the row pitch must be 16-byte aligned."""
    pad_to = None
    if n % 8 or k % 8:
        if plan.edge != "pad":
            raise PlanError(f"tma needs N and K to be multiples of 8 (16-byte rows), got N={n} K={k}")
        pad_to = (m, _ceil_to(n, 8), _ceil_to(k, 8))
    # a TMA store needs a 16-byte aligned output pitch: with fused_pad the kernel writes a padded
    # buffer that is copied out afterwards, else the output keeps its pitch and a masked store
    pad_out = n % 8 != 0 and plan.fused_pad and not plan.direct_store
    tma_store = (n % 8 == 0 or pad_out) and not plan.direct_store
    entry = f"qm_{plan.key()}"
    half = "BLOCK_N // 2" if plan.subtile else "BLOCK_N"
    c_arg = "c_desc" if plan.host_desc and tma_store else "c_ptr"
    lines = [
        "@triton.jit",
        f"def {entry}(",
        f"    {'a_desc, b_desc' if plan.host_desc else 'a_ptr, b_ptr'}, {c_arg}, o_ptr, lock_ptr,",
        "    M: tl.constexpr, N: tl.constexpr, K: tl.constexpr, M_OUT: tl.constexpr, N_OUT: tl.constexpr,",
        "    K_SPLIT: tl.constexpr, stride_am: tl.constexpr, stride_ak: tl.constexpr,",
        "    stride_bk: tl.constexpr, stride_bn: tl.constexpr, stride_cm: tl.constexpr, stride_cn: tl.constexpr,",
        "    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,",
        "    NUM_SMS: tl.constexpr,",
        "):",
        "    start_pid = tl.program_id(0)",
        "    num_pid_m = tl.cdiv(M, BLOCK_M)",
        "    num_pid_n = tl.cdiv(N, BLOCK_N)",
        "    k_tiles = tl.cdiv(K, BLOCK_K)",
        "    num_tiles = num_pid_m * num_pid_n",
        "    a_desc = tl.make_tensor_descriptor(a_ptr, shape=[M, K], strides=[stride_am, 1], block_shape=[BLOCK_M, BLOCK_K])",
        "    b_desc = tl.make_tensor_descriptor(b_ptr, shape=[K, N], strides=[stride_bk, 1], block_shape=[BLOCK_K, BLOCK_N])",
        f"    c_desc = tl.make_tensor_descriptor(c_ptr, shape=[M, N], strides=[stride_cm, 1], block_shape=[BLOCK_M, {half}])",
        "    num_pid_in_group = GROUP_M * num_pid_n",
        "    # the epilogue recomputes its tile from its own counter, so the flattened loop can",
        "    # prefetch the next tile's operands while this one is stored",
        "    tile_id_c = start_pid - NUM_SMS",
        "    for tile_id in tl.range(start_pid, num_tiles, NUM_SMS, flatten=True):",
    ]
    if plan.pdl:
        # launched while the pad copy drains: wait for its results before the first load
        lines.insert(lines.index("    start_pid = tl.program_id(0)"), "    tl.extra.cuda.gdc_wait()")
        lines.insert(
            lines.index("    start_pid = tl.program_id(0)") + 1, "    tl.extra.cuda.gdc_launch_dependents()"
        )
    if plan.warp_spec:
        # Triton 3.6 specializes a loop that is not flattened into its parent
        lines[-1] = "    for tile_id in tl.range(start_pid, num_tiles, NUM_SMS):"
    lines += [
        "        group_id = tile_id // num_pid_in_group",
        "        first_pid_m = group_id * GROUP_M",
        "        group_size_m = min(num_pid_m - first_pid_m, GROUP_M)",
        "        pid_m = first_pid_m + ((tile_id % num_pid_in_group) % group_size_m)",
        "        pid_n = (tile_id % num_pid_in_group) // group_size_m",
        "        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)",
        "        for ki in "
        + ("tl.range(k_tiles, warp_specialize=True):" if plan.warp_spec else "range(k_tiles):"),
        "            a = a_desc.load([pid_m * BLOCK_M, ki * BLOCK_K])",
        "            b = b_desc.load([ki * BLOCK_K, pid_n * BLOCK_N])",
        "            acc += tl.dot(a, b)",
        "        tile_id_c += NUM_SMS",
        "        group_id = tile_id_c // num_pid_in_group",
        "        first_pid_m = group_id * GROUP_M",
        "        group_size_m = min(num_pid_m - first_pid_m, GROUP_M)",
        "        pid_cm = first_pid_m + ((tile_id_c % num_pid_in_group) % group_size_m)",
        "        pid_cn = (tile_id_c % num_pid_in_group) // group_size_m",
    ]
    dtype = "c_desc.dtype" if c_arg == "c_desc" else "c_ptr.dtype.element_ty"
    if tma_store and plan.subtile:
        lines += _subtile_store("acc", dtype)
    elif tma_store:
        lines.append(f"        c_desc.store([pid_cm * BLOCK_M, pid_cn * BLOCK_N], acc.to({dtype}))")
    else:
        lines = [ln for ln in lines if "c_desc = " not in ln]
        lines += [
            "        offs_cm = pid_cm * BLOCK_M + tl.arange(0, BLOCK_M)",
            "        offs_cn = pid_cn * BLOCK_N + tl.arange(0, BLOCK_N)",
            "        c_ptrs = c_ptr + offs_cm[:, None] * stride_cm + offs_cn[None, :] * stride_cn",
            "        c_mask = (offs_cm[:, None] < M_OUT) & (offs_cn[None, :] < N_OUT)",
            "        tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=c_mask)",
        ]
        if m % plan.block_m == 0 and n % plan.block_n == 0:  # whole tiles: no mask
            lines[-2:] = ["        tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty))"]
    descs: tuple[tuple[int, int] | None, ...] = ()
    if plan.host_desc:
        # built by the runner: the kernel's own descriptor set-up goes
        lines = [ln for ln in lines if "= tl.make_tensor_descriptor(" not in ln]
        c_block = (plan.block_m, plan.block_n // 2 if plan.subtile else plan.block_n)
        descs = ((plan.block_m, plan.block_k), (plan.block_k, plan.block_n), c_block if tma_store else None)
    source = _HEADER + "\n".join(lines) + "\n"
    ast.parse(source)
    consts = {"BLOCK_M": plan.block_m, "BLOCK_N": plan.block_n, "BLOCK_K": plan.block_k}
    consts["GROUP_M"] = plan.group_m
    return LoweredKernel(plan, entry, source, consts, pad_to, pad_out, descs)


def _subtile_store(acc: str, dtype: str) -> list[str]:
    """Store a (BLOCK_M, BLOCK_N) accumulator as two (BLOCK_M, BLOCK_N // 2) TMA stores."""
    return [
        f"        acc_h = tl.permute(tl.reshape({acc}, (BLOCK_M, 2, BLOCK_N // 2)), (0, 2, 1))",
        "        acc_0, acc_1 = tl.split(acc_h)",
        f"        c_desc.store([pid_cm * BLOCK_M, pid_cn * BLOCK_N], acc_0.to({dtype}))",
        f"        c_desc.store([pid_cm * BLOCK_M, pid_cn * BLOCK_N + BLOCK_N // 2], acc_1.to({dtype}))",
    ]


def _split_k_loop(even_k: bool) -> list[str]:
    """The K loop of one split: blocks ``[k_lo, min(K, k_lo + K_SPLIT))`` of this program's split."""
    lines = [
        "    k_lo = tl.program_id(1) * K_SPLIT",
        "    k_hi = tl.minimum(K, k_lo + K_SPLIT)",
        "    a_ptrs += k_lo * stride_ak",
        "    b_ptrs += k_lo * stride_bk",
        "    for k in range(k_lo, k_hi, BLOCK_K):",
    ]
    if even_k:
        lines += ["        a = tl.load(a_ptrs)", "        b = tl.load(b_ptrs)"]
    else:
        lines += [
            "        a = tl.load(a_ptrs, mask=offs_k[None, :] < k_hi - k, other=0.0)",
            "        b = tl.load(b_ptrs, mask=offs_k[:, None] < k_hi - k, other=0.0)",
        ]
    lines += [
        "        acc += tl.dot(a, b)",
        "        a_ptrs += BLOCK_K * stride_ak",
        "        b_ptrs += BLOCK_K * stride_bk",
    ]
    return lines


def lower_attention(plan: TilePlan, seq_len: int, head_dim: int, causal: bool) -> LoweredKernel:
    """Lower an attention-forward plan: ``O = softmax(Q K^T / sqrt(D) [+ causal mask]) V``.

    Q, K, V, O are contiguous ``[B, H, S, D]`` bf16; softmax runs online in fp32 (exp2 form).
    """
    plan.validate()
    if plan.op != "attention":
        raise PlanError(f"lower_attention needs an attention plan, got op '{plan.op}'")
    if plan.block_k != head_dim:
        raise PlanError(f"plan block_k={plan.block_k} must equal the head dimension {head_dim}")
    if causal != (plan.causal != "none"):
        want = "'split' or 'mask_all'" if causal else "'none'"
        raise PlanError(f"causal={causal} needs plan.causal {want}, got '{plan.causal}'")
    if seq_len < 1:
        raise PlanError(f"seq_len must be positive, got {seq_len}")
    ragged = bool(seq_len % plan.block_m or seq_len % plan.block_n)
    entry = f"qm_{plan.key()}_{'r' if ragged else 'e'}"
    row_mask = ", mask=offs_m[:, None] < S, other=0.0" if ragged else ""
    start = "tl.num_programs(0) - 1 - tl.program_id(0)" if causal else "tl.program_id(0)"
    lines = [
        "@triton.jit",
        f"def {entry}(",
        "    Q, K, V, O, sm_scale, S, stride_bh, stride_s,",
        "    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, HEAD_D: tl.constexpr,",
        "):",
        "    # causal grids start with the heaviest query blocks so the tail is short",
        f"    start_m = {start}",
        "    base = tl.program_id(1).to(tl.int64) * stride_bh",
        "    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)",
        "    offs_n = tl.arange(0, BLOCK_N)",
        "    offs_d = tl.arange(0, HEAD_D)",
        f"    q = tl.load(Q + base + offs_m[:, None] * stride_s + offs_d[None, :]{row_mask})"
        if not plan.tma
        else "    q = q_desc.load([start_m * BLOCK_M, 0])",
        "    qk_scale = sm_scale * 1.4426950408889634",
        "    m_i = tl.zeros([BLOCK_M], dtype=tl.float32) - float('inf')",
        "    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)",
        "    acc = tl.zeros([BLOCK_M, HEAD_D], dtype=tl.float32)",
        "    k_base = K + base",
        "    v_base = V + base",
    ]
    if plan.tma:
        # one descriptor per (batch, head) and tensor: rows past S read as zeros (keys past S are
        # still masked to -inf below) and the output store clips them
        descs = [
            f"    {t.lower()}_desc = tl.make_tensor_descriptor({t} + base, shape=[S, HEAD_D], "
            f"strides=[stride_s, 1], block_shape=[{rows}, HEAD_D])"
            for t, rows in (("Q", "BLOCK_M"), ("K", "BLOCK_N"), ("V", "BLOCK_N"), ("O", "BLOCK_M"))
        ]
        at = next(i for i, line in enumerate(lines) if line.startswith("    q = "))
        lines[at:at] = descs
    tma, ws = plan.tma, plan.warp_spec
    if plan.causal == "none":
        lines += _attn_loop("0", "S", diag=False, key_mask=ragged, tma=tma, ws=ws)
    elif plan.causal == "split":
        lines += _attn_loop("0", "start_m * BLOCK_M", diag=False, key_mask=False, tma=tma)
        lines += _attn_loop(
            "start_m * BLOCK_M", "(start_m + 1) * BLOCK_M", diag=True, key_mask=ragged, tma=tma
        )
    else:
        lines += _attn_loop("0", "(start_m + 1) * BLOCK_M", diag=True, key_mask=ragged, tma=tma, ws=ws)
    lines.append("    acc = acc / l_i[:, None]")
    if tma:
        lines.append("    o_desc.store([start_m * BLOCK_M, 0], acc.to(O.dtype.element_ty))")
    else:
        lines += [
            "    o_ptrs = O + base + offs_m[:, None] * stride_s + offs_d[None, :]",
            "    tl.store(o_ptrs, acc.to(O.dtype.element_ty)"
            + (", mask=offs_m[:, None] < S)" if ragged else ")"),
        ]
    source = _HEADER + "\n".join(lines) + "\n"
    ast.parse(source)
    consts = {"BLOCK_M": plan.block_m, "BLOCK_N": plan.block_n, "HEAD_D": head_dim}
    return LoweredKernel(plan, entry, source, consts)


def _attn_loop(
    lo: str, hi: str, *, diag: bool, key_mask: bool, tma: bool = False, ws: bool = False
) -> list[str]:
    kv_mask = ", mask=offs_kv[:, None] < S, other=0.0" if key_mask else ""
    k_load = f"tl.load(k_base + offs_kv[:, None] * stride_s + offs_d[None, :]{kv_mask})"
    v_load = f"tl.load(v_base + offs_kv[:, None] * stride_s + offs_d[None, :]{kv_mask})"
    if tma:  # zero-filled past S; the scores of those keys are masked below
        k_load, v_load = "k_desc.load([start_n, 0])", "v_desc.load([start_n, 0])"
    body = [
        f"    for start_n in tl.range({lo}, {hi}, BLOCK_N, warp_specialize=True):"
        if ws
        else f"    for start_n in range({lo}, {hi}, BLOCK_N):",
        "        start_n = tl.multiple_of(start_n, BLOCK_N)",
        "        offs_kv = start_n + offs_n",
        f"        k = {k_load}",
        "        qk = tl.dot(q, tl.trans(k))",
    ]
    if diag:
        body.append("        qk = tl.where(offs_m[:, None] >= offs_kv[None, :], qk, float('-inf'))")
    if key_mask:
        body.append("        qk = tl.where(offs_kv[None, :] < S, qk, float('-inf'))")
    body += [
        "        m_ij = tl.maximum(m_i, tl.max(qk, 1) * qk_scale)",
        "        p = tl.math.exp2(qk * qk_scale - m_ij[:, None])",
        "        alpha = tl.math.exp2(m_i - m_ij)",
        "        l_i = l_i * alpha + tl.sum(p, 1)",
        "        acc = acc * alpha[:, None]",
        f"        v = {v_load}",
        "        acc += tl.dot(p.to(v.dtype), v)",
        "        m_i = m_ij",
    ]
    return body


def launch_summary(kernel: LoweredKernel) -> dict[str, Any]:
    """The plan, entry name and launch options as JSON-able values (for the search record)."""
    return {
        "entry": kernel.entry,
        "plan": kernel.plan.as_dict(),
        "constexprs": dict(kernel.constexprs),
        "num_warps": kernel.plan.num_warps,
        "num_stages": kernel.plan.num_stages,
        "pad_to": list(kernel.pad_to) if kernel.pad_to else None,
        "pad_out": kernel.pad_out,
        "split_k": kernel.plan.split_k,
    }

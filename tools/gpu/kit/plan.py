"""TilePlan: the small intermediate form a GPU kernel is planned in before it becomes code.

A plan fixes the tiling (block sizes), the software pipeline (``num_stages``), the parallelism
(``num_warps``), the launch order (``group_m`` swizzle for GEMM), how causal attention is handled
(``causal``) and how ragged edges are handled (``edge``). :mod:`.lower` turns a plan into Triton
source text; :mod:`.tuner` searches the plans of :func:`gemm_space` / :func:`attention_space` by
measurement. Standard library only: this module runs on the device with nothing of ours installed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Op = Literal["gemm", "attention"]
CausalMode = Literal["none", "split", "mask_all"]
"""``none``: not causal. ``split``: unmasked blocks below the diagonal, masked diagonal blocks.
``mask_all``: every visited block is masked (simpler, slower)."""
EdgeMode = Literal["mask", "pad"]
"""``mask``: masked loads/stores at ragged edges (none are emitted when the shape divides).
``pad``: copy ragged operands into tile-aligned buffers first (the copy is part of the timed work)."""
Operand = Literal["bf16", "fp8e4m3"]
"""GEMM operand type: ``bf16``, or ``fp8e4m3`` (per-tensor scales, fp32 accumulate, bf16 out)."""

_POW2 = (16, 32, 64, 128, 256)


class PlanError(ValueError):
    """A plan that cannot be lowered; the message says which field and what is allowed."""


@dataclass(frozen=True)
class TilePlan:
    """One point in a kernel's design space (see the module docstring for the fields' meaning)."""

    op: Op
    block_m: int
    block_n: int
    block_k: int
    num_stages: int
    num_warps: int
    group_m: int = 8
    causal: CausalMode = "none"
    edge: EdgeMode = "mask"
    split_k: int = 1
    """GEMM only: CTAs that share one output tile, each over 1/split_k of K, summed with fp32
    atomics into a workspace (for shapes with too few output tiles to fill the card)."""
    split_fused: bool = False
    """split_k > 1 only: the last split of a tile casts the sum and clears the workspace itself
    (one launch), instead of the runner zeroing and casting around the kernel (three)."""
    tma: bool = False
    """GEMM: a persistent kernel (one program per SM walking the tiles) that moves tiles with
    Hopper's tensor memory accelerator (TMA descriptors; bounds are handled by the hardware).
    Attention: Q, K, V and O tiles move through per-(batch, head) TMA descriptors."""
    fused_pad: bool = False
    """edge='pad' only: both operands are copied into their padded buffers by one Triton launch
    (:mod:`.padcopy`) instead of two torch copies; a TMA plan then also writes a padded output
    with TMA stores and copies it out (one more launch) instead of a masked unaligned store."""
    operand: Operand = "bf16"
    """GEMM only: the operand type; ``fp8e4m3`` plans are lowered by :mod:`.lower_fp8`."""
    warp_spec: bool = False
    """tma plans only: Triton's automatic warp specialization of the main loop (a producer
    warpgroup issuing the TMA loads, two consumer warpgroups of ``num_warps`` each doing the
    math); the launch then has 3 x ``num_warps`` warps. Causal attention needs ``mask_all``
    (Triton 3.6 specializes one loop per kernel)."""
    direct_store: bool = False
    """TMA plans: the epilogue stores with ``tl.store`` instead of a TMA store (no epilogue
    tile in shared memory). With fused_pad and N not a multiple of 8 it stores straight into
    the unaligned output (coalesced 2-byte stores) instead of a padded output copied out."""
    pdl: bool = False
    """fused_pad TMA plans: the GEMM (and the copy out) are launched as programmatic dependent
    launches, so each starts while the kernel before it drains; each waits (``griddepcontrol``)
    for its predecessor's results before touching memory."""
    host_desc: bool = False
    """GEMM tma plans: the TMA descriptors are built on the host and passed by value as kernel
    parameters, instead of each program building them in global scratch memory and fencing them
    before its first load (a fixed cost at the start of every program)."""
    subtile: bool = False
    """GEMM tma plans with a TMA store: the epilogue stores the tile as two halves of
    ``block_n / 2`` columns, so its shared-memory staging tile is half as large (room for a deeper
    pipeline)."""

    def validate(self) -> TilePlan:
        """Return self when the plan is well formed, else raise :class:`PlanError`."""
        if self.op not in ("gemm", "attention"):
            raise PlanError(f"unknown op '{self.op}'; known ops: attention, gemm")
        for name in ("block_m", "block_n", "block_k"):
            value = getattr(self, name)
            if value not in _POW2:
                raise PlanError(f"{name}={value}; allowed: {', '.join(map(str, _POW2))}")
        if self.num_stages not in range(1, 9):
            raise PlanError(f"num_stages={self.num_stages}; allowed: 1..8")
        if self.num_warps not in (1, 2, 4, 8, 16):
            raise PlanError(f"num_warps={self.num_warps}; allowed: 1, 2, 4, 8, 16")
        if self.group_m < 1:
            raise PlanError(f"group_m={self.group_m}; must be >= 1")
        if self.causal not in ("none", "split", "mask_all"):
            raise PlanError(f"causal='{self.causal}'; allowed: none, split, mask_all")
        if self.edge not in ("mask", "pad"):
            raise PlanError(f"edge='{self.edge}'; allowed: mask, pad")
        if self.split_k not in (1, 2, 4, 8, 16, 32):
            raise PlanError(f"split_k={self.split_k}; allowed: 1, 2, 4, 8, 16, 32")
        if self.split_k > 1 and (self.op != "gemm" or self.edge != "mask"):
            raise PlanError("split_k > 1 needs a gemm plan with edge='mask'")
        if self.split_fused and self.split_k == 1:
            raise PlanError("split_fused needs split_k > 1")
        if self.tma and self.split_k > 1:
            raise PlanError("tma needs a gemm plan with split_k=1")
        if self.fused_pad and self.edge != "pad":
            raise PlanError("fused_pad needs edge='pad'")
        if self.warp_spec and (not self.tma or self.causal == "split"):
            raise PlanError("warp_spec needs a tma plan and, for attention, causal 'none' or 'mask_all'")
        if self.direct_store and not self.tma:
            raise PlanError("direct_store needs a tma plan")
        if self.pdl and not (self.fused_pad and self.tma):
            raise PlanError("pdl needs a tma plan with fused_pad")
        if (self.host_desc or self.subtile) and not (self.op == "gemm" and self.tma):
            raise PlanError("host_desc and subtile need a gemm plan with tma")
        if self.warp_spec and self.host_desc:
            # Triton 3.6 refuses the TMA store ("tensor descriptor block and tensor types must
            # match"); with a direct store it compiles, but had not returned after ~3 minutes on
            # an H200 (evals/gpu/data/h200_dev_ws_runs.txt, run 4)
            raise PlanError("warp_spec and host_desc do not go together (Triton 3.6)")
        if self.subtile and self.direct_store:
            raise PlanError("subtile splits the TMA store; a direct_store plan has none")
        if self.operand not in ("bf16", "fp8e4m3"):
            raise PlanError(f"operand='{self.operand}'; allowed: bf16, fp8e4m3")
        if self.operand != "bf16" and (self.op != "gemm" or self.split_k > 1 or self.edge != "mask"):
            raise PlanError("operand='fp8e4m3' needs a gemm plan with split_k=1 and edge='mask'")
        if self.op == "gemm" and self.causal != "none":
            raise PlanError("causal applies to attention only; a gemm plan needs causal='none'")
        if self.op == "attention":
            if self.edge != "mask":
                raise PlanError("attention handles ragged sequence edges by masking; use edge='mask'")
            if self.causal == "split" and self.block_m % self.block_n:
                raise PlanError(
                    f"causal='split' needs block_m ({self.block_m}) to be a multiple of "
                    f"block_n ({self.block_n})"
                )
        if self.smem_bytes() > SMEM_LIMIT_BYTES:
            raise PlanError(
                f"plan needs {self.smem_bytes()} bytes of shared memory; the limit is {SMEM_LIMIT_BYTES}"
            )
        return self

    def smem_bytes(self) -> int:
        """Shared memory the pipelined bf16 operand tiles need (an estimate, without epilogue)."""
        if self.op == "gemm":
            size = 1 if self.operand == "fp8e4m3" else 2
            return size * self.num_stages * (self.block_m * self.block_k + self.block_k * self.block_n)
        # attention: Q tile once, K and V tiles per stage; block_k is the head dimension
        return 2 * (self.block_m * self.block_k + 2 * self.num_stages * self.block_n * self.block_k)

    def key(self) -> str:
        """A short stable name, e.g. ``gemm_m128n256k64_s3w8g8_mask``."""
        base = f"{self.op}_m{self.block_m}n{self.block_n}k{self.block_k}_s{self.num_stages}w{self.num_warps}"
        if self.op == "gemm":
            split = f"_sk{self.split_k}" if self.split_k > 1 else ""
            split += "f" if self.split_fused else ""
            split += "_tma" if self.tma else ""
            split += "_fp" if self.fused_pad else ""
            split += "_fp8" if self.operand == "fp8e4m3" else ""
            split += "_ws" if self.warp_spec else ""
            split += "_ds" if self.direct_store else ""
            split += "_pdl" if self.pdl else ""
            split += "_hd" if self.host_desc else ""
            split += "_st" if self.subtile else ""
            return f"{base}g{self.group_m}_{self.edge}{split}"
        return f"{base}_{self.causal}" + ("_tma" if self.tma else "") + ("_ws" if self.warp_spec else "")

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain JSON-able values."""
        return asdict(self)


SMEM_LIMIT_BYTES = 227 * 1024
"""Opt-in shared memory per block on sm_90 (H100/H200)."""

SAFE_GEMM = TilePlan("gemm", 64, 64, 32, 2, 4)
"""A plan that compiles on any Triton-supported GPU: the fallback when tuned plans fail."""


def safe_attention(head_dim: int, causal: bool) -> TilePlan:
    """The fallback attention plan for ``head_dim``."""
    return TilePlan("attention", 64, 32, head_dim, 2, 4, causal="mask_all" if causal else "none")


SM_COUNT = 132
"""Streaming multiprocessors of an H100/H200 SXM: the CTA count a launch should reach."""


def gemm_space(m: int, n: int, k: int) -> list[TilePlan]:
    """Candidate GEMM plans for an ``m x k`` by ``k x n`` product, best-first by prior belief.

    Ragged shapes (any of m, n, k not a multiple of 16) also get ``edge='pad'`` variants. Skinny
    products (``m <= 64``, the decode step) get :func:`skinny_space`; shapes whose 128x128 tiles
    do not fill the card get split-K variants first.
    """
    if m <= 64:
        return skinny_space(m, n, k)
    low = _cdiv(m, 128) * _cdiv(n, 128) < SM_COUNT
    ragged = any(x % 16 for x in (m, n, k))
    shapes = [
        (128, 256, 64, 4, 8),
        (256, 128, 64, 4, 8),
        (128, 256, 64, 3, 8),
        (256, 128, 64, 3, 8),
        (128, 128, 64, 4, 8),
        (128, 128, 64, 3, 4),
        (128, 64, 64, 4, 4),
        (64, 128, 64, 4, 4),
        (128, 128, 32, 4, 4),
    ]
    if max(m, n) <= 2048:
        # small problems need more tiles to fill 132 SMs
        shapes.insert(0, (128, 64, 64, 4, 4))
        shapes.insert(1, (64, 128, 64, 4, 4))
    plans: list[TilePlan] = []
    if n % 8 or k % 8:
        # TMA needs 16-byte aligned rows: copy K and N up to multiples of 8 (M stays), then TMA;
        # the copies in one fused launch first, then as two torch copies
        # warp-specialized (a TMA producer warpgroup, two consumers of 4 warps) storing straight
        # into the unaligned output: 227.4 us on an H200 (group 16; 231.6 with group 8) against
        # 241.7-246.6 for the padded output and the copy out (development runs, quick timing);
        # PDL launches measured no faster (235.4, 250.0)
        for bm, bn, bk, stages, warps, group, ws, direct, pdl in [
            (128, 256, 64, 3, 4, 16, True, True, False),
            (128, 256, 64, 4, 4, 16, True, True, False),
            (128, 256, 64, 3, 4, 8, True, True, False),
            (128, 256, 64, 3, 4, 8, True, False, False),
            (128, 256, 64, 3, 4, 8, True, True, True),
        ]:
            plan = TilePlan(
                "gemm", bm, bn, bk, stages, warps, group, edge="pad", tma=True, fused_pad=True,
                warp_spec=ws, direct_store=direct, pdl=pdl,
            )  # fmt: skip
            plans.append(plan.validate())
        for bm, bn, bk, stages, warps, group, fused in [
            (128, 256, 64, 3, 8, 16, True),
            (128, 256, 64, 3, 8, 8, True),
            (128, 128, 64, 4, 8, 8, True),
            (128, 256, 64, 3, 8, 16, False),
        ]:
            plan = TilePlan("gemm", bm, bn, bk, stages, warps, group, edge="pad", tma=True, fused_pad=fused)
            plans.append(plan.validate())
    elif low:
        # too few tiles to fill the card: the run is mostly pipeline fill, so deeper pipelines
        # (more loads in flight per SM), smaller tiles (more CTAs), descriptors built on the host
        # (no per-program set-up), and a split of K in two (twice the CTAs, relaxed atomics into
        # an fp32 workspace, the last split casts). H200 (evals/gpu/data/h200_gemm_update.*, quick
        # timings): 1000^3 64x128x64 host-descriptor TMA, 6 stages, 12.5 us against 14.0 for the
        # masked pointer plan; 1024^3 128x64x64, 6 stages, 9.18 against 9.25; split-K 2 15.5-20 us
        for bm, bn, bk, stages, warps in [
            (64, 128, 64, 4, 4), (128, 64, 64, 4, 4), (64, 128, 64, 6, 4), (64, 128, 128, 3, 4), (64, 64, 64, 4, 4),
        ]:  # fmt: skip
            plans.append(TilePlan("gemm", bm, bn, bk, stages, warps, 8).validate())
        for bm, bn, bk, stages, warps in [
            (64, 128, 64, 4, 4), (64, 128, 64, 6, 4), (128, 64, 64, 6, 4), (64, 64, 64, 6, 4), (128, 128, 64, 4, 8),
        ]:  # fmt: skip
            plans.append(TilePlan("gemm", bm, bn, bk, stages, warps, 8, tma=True, host_desc=True).validate())
        for bm, bn, bk, stages, warps in [(128, 128, 64, 4, 8), (64, 128, 64, 4, 4)]:
            plan = TilePlan("gemm", bm, bn, bk, stages, warps, 8, split_k=2, split_fused=True)
            plans.append(plan.validate())
        for bm, bn, bk, stages, warps in [(64, 128, 64, 4, 4), (128, 64, 64, 4, 4)]:
            plans.append(TilePlan("gemm", bm, bn, bk, stages, warps, 8, tma=True).validate())
    else:
        # host-built descriptors (no per-program set-up); a split epilogue store leaves shared
        # memory for a fourth stage of 128x256x64 tiles. H200, 4096^3, quick timings: 172.5 us
        # (4 stages, split store) and 174.1 (3 stages) against 173.9 for cuBLAS in the same run;
        # the device-built plan ran 181.6 against cuBLAS's 179.1 the run before
        for bm, bn, bk, stages, warps, group, sub, direct in [
            (128, 256, 64, 4, 8, 8, True, False),
            (128, 256, 64, 4, 8, 16, True, False),
            (128, 256, 64, 3, 8, 8, False, False),
            (128, 256, 64, 3, 8, 16, False, False),
            (128, 256, 64, 4, 8, 8, False, True),
        ]:
            plan = TilePlan(
                "gemm", bm, bn, bk, stages, warps, group, tma=True, host_desc=True, subtile=sub, direct_store=direct
            )  # fmt: skip
            plans.append(plan.validate())
    if n % 8 == 0 and k % 8 == 0:  # TMA needs 16-byte aligned rows
        # 128x256x64 with 4 stages needs 262 KB with the TMA epilogue tile: over the 227 KB limit
        tma_shapes = [(128, 256, 64, 3, 8, 8), (128, 256, 64, 3, 8, 16), (256, 128, 64, 3, 8, 8)]
        tma_shapes += [(128, 128, 64, 4, 8, 8)]
        for bm, bn, bk, stages, warps, group in tma_shapes:
            if not low or bn == 128:
                plans.append(TilePlan("gemm", bm, bn, bk, stages, warps, group, tma=True).validate())
        # warp-specialized: a TMA producer warpgroup and two consumer warpgroups of 4 warps
        for bm, bn, bk, stages, warps, group in [
            (128, 256, 64, 3, 4, 8),
            (128, 256, 64, 3, 4, 16),
            (128, 128, 64, 4, 4, 8),
        ]:
            if not low or bn == 128:
                plan = TilePlan("gemm", bm, bn, bk, stages, warps, group, tma=True, warp_spec=True)
                plans.append(plan.validate())
    if low:
        for bm, bn, bk, stages, warps in [(128, 64, 64, 4, 4), (64, 128, 64, 4, 4), (64, 64, 64, 4, 4)]:
            tiles = _cdiv(m, bm) * _cdiv(n, bn)
            split = _split_for(tiles, k, bk)
            if split > 1:
                plans.append(
                    TilePlan("gemm", bm, bn, bk, stages, warps, 8, split_k=split, split_fused=True).validate()
                )
    if ragged:
        # pad to the tile with the fused copy, then the unmasked pointer kernel
        for bm, bn, bk, stages, warps in [(128, 128, 64, 4, 8), (128, 128, 64, 3, 4), (128, 256, 64, 3, 8)]:
            plan = TilePlan("gemm", bm, bn, bk, stages, warps, 8, "none", "pad", fused_pad=True)
            plans.append(plan.validate())
    for bm, bn, bk, stages, warps in shapes:
        edges: tuple[EdgeMode, ...] = ("mask", "pad") if ragged else ("mask",)
        for edge in edges:
            plans.append(TilePlan("gemm", bm, bn, bk, stages, warps, 8, "none", edge).validate())
    return _unique(plans)


def skinny_space(m: int, n: int, k: int) -> list[TilePlan]:
    """Plans for ``m <= 64``: memory bound on B, so many CTAs (split-K) with deep K blocks."""
    bm = 16 if m <= 16 else (32 if m <= 32 else 64)
    plans: list[TilePlan] = []
    if m > 16:
        # the fp32 atomics of split-K cost M x N x 4 bytes per split: at M = 64 narrow tiles
        # without a split, or a split of 2, give the CTAs for less traffic
        for bn, bk, stages, split in [(32, 128, 4, 1), (32, 256, 3, 1), (64, 64, 4, 1), (64, 128, 4, 2)]:
            plan = TilePlan("gemm", bm, bn, bk, stages, 4, 1, split_k=split, split_fused=split > 1)
            plans.append(plan.validate())
    for fused in (True, False):
        for bn, bk, stages, warps in [(64, 256, 3, 4), (128, 128, 3, 4), (64, 128, 4, 4)]:
            tiles = _cdiv(n, bn)
            base = _split_for(tiles, k, bk)
            for split in (base, base * 2):
                if 1 < split <= 32 and split * bk <= k:
                    plan = TilePlan("gemm", bm, bn, bk, stages, warps, 1, split_k=split, split_fused=fused)
                    try:
                        plans.append(plan.validate())
                    except PlanError:
                        continue
    plans.append(TilePlan("gemm", bm, 64, 64, 4, 4, 1).validate())
    return _unique(plans)


def _cdiv(a: int, b: int) -> int:
    return (a + b - 1) // b


def _split_for(tiles: int, k: int, block_k: int) -> int:
    """Smallest power-of-two split giving >= 2 CTAs per SM, at least 2 K blocks per split."""
    split = 1
    while tiles * split < 2 * SM_COUNT and split < 32 and k // (block_k * split * 2) >= 2:
        split *= 2
    return split


def attention_space(head_dim: int, causal: bool) -> list[TilePlan]:
    """Candidate attention-forward plans for ``head_dim`` (64 or 128), best-first by prior belief."""
    if head_dim not in (16, 32, 64, 128):
        raise PlanError(f"head_dim={head_dim}; supported: 16, 32, 64, 128")
    modes: tuple[CausalMode, ...] = ("split", "mask_all") if causal else ("none",)
    shapes = [
        (128, 64, 3, 8),
        (128, 128, 2, 8),
        (128, 64, 2, 4),
        (128, 32, 3, 4),
        (64, 64, 3, 4),
        (128, 128, 3, 8),
    ]
    plans: list[TilePlan] = []
    # head dim 128: TMA tiles, warp-specialized (a producer warpgroup and two consumers of 4
    # warps; Triton 3.6 specializes one loop, so causal ones mask every visited block), then TMA
    # alone. On an H200 (b4 h16 s4096) 128x128 specialized ran 0.954-0.957 ms full and 0.595
    # causal against 1.067 and 0.625 for the best plain plans; at head dim 64 every TMA and
    # specialized plan (128 and 256 rows) was slower (development runs), so it keeps the plain plans.
    ws_mode: CausalMode = "mask_all" if causal else "none"
    tma_shapes = [(128, 128, 2, 4, True), (128, 64, 3, 4, True), (128, 64, 2, 4, True), (64, 64, 3, 4, False)]
    for bm, bn, stages, warps, ws in tma_shapes if head_dim >= 128 else []:
        plan = TilePlan(
            "attention",
            bm,
            bn,
            head_dim,
            stages,
            warps,
            1,
            ws_mode if ws else modes[0],
            tma=True,
            warp_spec=ws,
        )
        try:
            plans.append(plan.validate())
        except PlanError:
            continue
    for mode in modes:
        for bm, bn, stages, warps in shapes:
            plan = TilePlan("attention", bm, bn, head_dim, stages, warps, 1, mode)
            try:
                plans.append(plan.validate())
            except PlanError:
                continue  # e.g. too much shared memory at head_dim 128
    return _unique(plans)


def _unique(plans: list[TilePlan]) -> list[TilePlan]:
    seen: set[TilePlan] = set()
    out: list[TilePlan] = []
    for plan in plans:
        if plan not in seen:
            seen.add(plan)
            out.append(plan)
    return out

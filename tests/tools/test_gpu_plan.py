"""TilePlan IR and its lowering to Triton source: every plan of every search space lowers."""

from __future__ import annotations

import ast
from dataclasses import replace

import pytest

from tools.gpu.kit import (
    SAFE_GEMM,
    PlanError,
    TilePlan,
    attention_space,
    gemm_space,
    lower_attention,
    lower_gemm,
    safe_attention,
)
from tools.gpu.kit.lower_fp8 import SAFE_FP8, fp8_gemm_space, lower_gemm_fp8
from tools.gpu.kit.padcopy import lower_pad_copy, lower_unpad_copy

GEMM_SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (4097, 4095, 4099), (1000, 1000, 1000)]


@pytest.mark.parametrize(("m", "n", "k"), GEMM_SHAPES)
def test_every_gemm_plan_lowers_to_parseable_triton(m: int, n: int, k: int) -> None:
    plans = gemm_space(m, n, k)
    assert plans, "the search space must not be empty"
    for plan in [*plans, SAFE_GEMM]:
        kernel = lower_gemm(plan, m, n, k)
        tree = ast.parse(kernel.source)
        funcs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert [f.name for f in funcs] == [kernel.entry]
        assert "@triton.jit" in kernel.source and "tl.dot(a, b)" in kernel.source
        assert kernel.constexprs["BLOCK_M"] == plan.block_m
        assert plan.smem_bytes() <= 227 * 1024


def test_aligned_gemm_has_no_masks_and_ragged_gemm_masks_only_the_edges() -> None:
    plan = TilePlan("gemm", 128, 256, 64, 3, 8)
    aligned = lower_gemm(plan, 4096, 4096, 4096).source
    assert "mask=" not in aligned and "% M" not in aligned and "k_rem" not in aligned
    ragged = lower_gemm(plan, 4097, 4095, 4099).source
    assert "k_rem = K % BLOCK_K" in ragged  # one masked tail block
    assert "offs_m % M" in ragged and "offs_n % N" in ragged
    assert "mask=(offs_m[:, None] < M_OUT)" in ragged


def test_pad_plan_pads_ragged_gemm_to_the_tile_and_keeps_the_masked_store() -> None:
    plan = TilePlan("gemm", 128, 256, 64, 3, 8, edge="pad")
    kernel = lower_gemm(plan, 4097, 4095, 4099)
    assert kernel.pad_to == (4224, 4096, 4160)
    assert "k_rem" not in kernel.source and "% M" not in kernel.source
    assert "mask=(offs_m[:, None] < M_OUT)" in kernel.source
    assert lower_gemm(plan, 4096, 4096, 4096).pad_to is None
    assert any(p.edge == "pad" for p in gemm_space(4097, 4095, 4099))
    assert all(p.edge == "mask" for p in gemm_space(4096, 4096, 4096))


@pytest.mark.parametrize("dim", [64, 128])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("seq", [1024, 4096, 1000])
def test_every_attention_plan_lowers(dim: int, causal: bool, seq: int) -> None:
    plans = attention_space(dim, causal)
    assert plans
    for plan in [*plans, safe_attention(dim, causal)]:
        kernel = lower_attention(plan, seq, dim, causal)
        ast.parse(kernel.source)
        assert kernel.constexprs == {"BLOCK_M": plan.block_m, "BLOCK_N": plan.block_n, "HEAD_D": dim}
        diag_masks = kernel.source.count("offs_m[:, None] >= offs_kv[None, :]")
        assert diag_masks == (1 if causal else 0)
        ragged = seq % plan.block_m or seq % plan.block_n
        # keys past S get -inf scores; pointer loads also mask them (TMA zero-fills them)
        assert ("offs_kv[None, :] < S" in kernel.source) == bool(ragged)
        assert ("offs_kv[:, None] < S" in kernel.source) == bool(ragged and not plan.tma)
        assert ("k_desc.load([start_n, 0])" in kernel.source) == plan.tma
        assert ("warp_specialize=True" in kernel.source) == plan.warp_spec


def test_split_causal_visits_unmasked_blocks_then_the_diagonal() -> None:
    plan = TilePlan("attention", 128, 64, 128, 3, 8, causal="split")
    src = lower_attention(plan, 4096, 128, True).source
    assert "range(0, start_m * BLOCK_M, BLOCK_N)" in src
    assert "range(start_m * BLOCK_M, (start_m + 1) * BLOCK_M, BLOCK_N)" in src
    assert "tl.num_programs(0) - 1 - tl.program_id(0)" in src


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (TilePlan("gemm", 100, 64, 64, 3, 8), "block_m=100; allowed: 16, 32, 64, 128, 256"),
        (TilePlan("gemm", 128, 128, 64, 9, 8), "num_stages=9; allowed: 1..8"),
        (TilePlan("gemm", 128, 128, 64, 3, 3), "num_warps=3; allowed: 1, 2, 4, 8, 16"),
        (TilePlan("gemm", 256, 256, 128, 5, 8), "shared memory; the limit is 232448"),
        (TilePlan("gemm", 64, 64, 64, 2, 4, causal="split"), "causal applies to attention only"),
        (TilePlan("attention", 64, 128, 64, 2, 4, causal="split"), "multiple of block_n (128)"),
    ],
)
def test_bad_plans_are_refused_with_the_allowed_values(plan: TilePlan, message: str) -> None:
    with pytest.raises(PlanError) as info:
        plan.validate()
    assert message in str(info.value)


def test_lowering_refuses_mismatched_problems() -> None:
    with pytest.raises(PlanError, match="must equal the head dimension 128"):
        lower_attention(safe_attention(64, False), 1024, 128, False)
    with pytest.raises(PlanError, match="causal=True needs plan.causal 'split' or 'mask_all'"):
        lower_attention(safe_attention(64, False), 1024, 64, True)
    with pytest.raises(PlanError, match="lower_gemm needs a gemm plan"):
        lower_gemm(safe_attention(64, False), 64, 64, 64)
    with pytest.raises(PlanError, match="head_dim=96; supported: 16, 32, 64, 128"):
        attention_space(96, False)


def test_split_k_fused_and_tma_plans_are_validated_with_clear_messages() -> None:
    with pytest.raises(PlanError, match="split_k > 1 needs a gemm plan with edge='mask'"):
        TilePlan("gemm", 64, 64, 64, 4, 4, split_k=4, edge="pad").validate()
    with pytest.raises(PlanError, match="split_fused needs split_k > 1"):
        TilePlan("gemm", 64, 64, 64, 4, 4, split_fused=True).validate()
    with pytest.raises(PlanError, match="tma needs a gemm plan with split_k=1"):
        TilePlan("gemm", 64, 64, 64, 4, 4, split_k=2, tma=True).validate()
    with pytest.raises(PlanError, match="tma needs N and K to be multiples of 8"):
        lower_gemm(TilePlan("gemm", 128, 128, 64, 4, 8, tma=True), 4097, 4095, 4099)


def test_skinny_and_low_tile_count_shapes_get_split_k_and_the_fused_reduction_is_emitted() -> None:
    skinny = gemm_space(1, 4096, 4096)
    assert skinny[0].split_k > 1 and skinny[0].split_fused and skinny[0].block_m == 16
    fused = lower_gemm(skinny[0], 1, 4096, 4096).source
    assert 'tl.atomic_add(c_ptrs, acc, mask=c_mask, sem="relaxed")' in fused
    assert f"if arrived == {skinny[0].split_k - 1}:" in fused and "tl.atomic_xchg(lock_ptr + pid, 0)" in fused
    unfused = TilePlan("gemm", 16, 64, 128, 4, 4, 1, split_k=8)
    assert "arrived" not in lower_gemm(unfused, 1, 4096, 4096).source
    assert any(p.split_k > 1 for p in gemm_space(1000, 1000, 1000))
    assert all(p.split_k == 1 for p in gemm_space(8192, 8192, 8192))


def test_tma_plans_are_persistent_and_pad_only_k_and_n_of_odd_shapes() -> None:
    aligned = lower_gemm(TilePlan("gemm", 128, 256, 64, 3, 8, tma=True), 4096, 4096, 4096)
    assert "tl.make_tensor_descriptor" in aligned.source and "c_desc.store" in aligned.source
    assert "tl.range(start_pid, num_tiles, NUM_SMS, flatten=True)" in aligned.source
    assert aligned.pad_to is None
    odd = lower_gemm(TilePlan("gemm", 128, 256, 64, 3, 8, edge="pad", tma=True), 4097, 4095, 4099)
    assert odd.pad_to == (4097, 4096, 4104)
    assert "c_desc" not in odd.source and "mask=c_mask" in odd.source  # the output pitch is odd
    # shapes and strides are compile-time constants, so ragged loads can be vectorized
    assert (
        "M: tl.constexpr, N: tl.constexpr, K: tl.constexpr" in lower_gemm(SAFE_GEMM, 1000, 1000, 1000).source
    )


def test_odd_shapes_try_the_fused_pad_copy_first_and_it_stores_whole_aligned_rows() -> None:
    plans = gemm_space(4097, 4095, 4099)
    assert plans[0].fused_pad and plans[0].tma and plans[0].key().endswith("_tma_fp_ws_ds")
    assert any(p.tma and not p.fused_pad for p in plans), "the two torch copies stay in the search"
    with pytest.raises(PlanError, match="fused_pad needs edge='pad'"):
        TilePlan("gemm", 128, 128, 64, 4, 8, fused_pad=True).validate()
    copy = lower_pad_copy((4097, 4099), 4104, (4099, 4095), 4096, block=4096)
    ast.parse(copy.source)
    # the destination is walked flat (contiguous, aligned stores); sources by row and column;
    # only A's last, partial block (4097 x 4104 is not whole blocks of 4096) stores with a mask
    assert "tl.store(dst_a + d, x, mask=d < 16814088)" in copy.source
    assert f"if pid - 0 < {4097 * 4104 // 4096}:" in copy.source
    assert "tl.store(dst_b + d, tl.load(src_b + row * 4095 + col, mask=col < 4095, other=0.0))" in copy.source
    assert "row = d // 4104" in copy.source and "src_a + row * 4099 + col" in copy.source
    a_progs = -(-4097 * 4104 // 4096)
    assert f"if pid < {a_progs}:" in copy.source and copy.grid == a_progs + -(-4099 * 4096 // 4096)
    with pytest.raises(PlanError, match="pitch 4098 must be >= cols 4099"):
        lower_pad_copy((4097, 4099), 4098, (4099, 4095), 4096)


def test_fp8_plans_lower_to_scaled_tensor_core_kernels_and_bf16_lowering_refuses_them() -> None:
    plans = fp8_gemm_space(4096, 14336, 4096)
    assert plans[0].tma and all(p.operand == "fp8e4m3" for p in plans)
    assert TilePlan("gemm", 128, 256, 128, 3, 8, operand="fp8e4m3").smem_bytes() == 3 * 128 * 384
    for plan in [*plans, SAFE_FP8]:
        kernel = lower_gemm_fp8(plan, 4096, 14336, 4096)
        ast.parse(kernel.source)
        assert "acc = tl.dot(a, tl.trans(b), acc)" in kernel.source
        assert (
            "scale = tl.load(sa_ptr) * tl.load(sb_ptr)" in kernel.source and "(acc * scale)" in kernel.source
        )
    device_desc = next(p for p in plans if p.tma and not p.host_desc)
    tma = lower_gemm_fp8(device_desc, 4096, 14336, 4096).source
    assert "shape=[N, K], strides=[K, 1], block_shape=[BLOCK_N, BLOCK_K]" in tma
    assert "c_desc.store([pid_cm * BLOCK_M, pid_cn * BLOCK_N]" in tma
    host = lower_gemm_fp8(replace(device_desc, host_desc=True, subtile=True), 4096, 14336, 4096)
    assert "make_tensor_descriptor" not in host.source and host.source.count("c_desc.store(") == 2
    assert host.host_descs == ((128, 128), (256, 128), (128, 128))
    assert "mask=" in lower_gemm_fp8(SAFE_FP8, 100, 60, 72).source
    assert not any(p.tma for p in fp8_gemm_space(100, 60, 72))
    with pytest.raises(PlanError, match="K % 16 == 0 and N % 8 == 0"):
        lower_gemm_fp8(plans[0], 4096, 4096, 4104)
    with pytest.raises(PlanError, match="goes to lower_fp8.lower_gemm_fp8"):
        lower_gemm(plans[0], 4096, 4096, 4096)
    with pytest.raises(PlanError, match="operand='fp8e4m3' needs a gemm plan with split_k=1"):
        TilePlan("gemm", 64, 64, 64, 3, 4, split_k=2, operand="fp8e4m3").validate()


def test_fused_tma_plans_of_odd_shapes_store_a_padded_output_and_copy_it_out() -> None:
    fused = TilePlan("gemm", 128, 256, 64, 3, 8, 16, edge="pad", tma=True, fused_pad=True)
    kernel = lower_gemm(fused, 4097, 4095, 4099)
    assert kernel.pad_out and kernel.pad_to == (4097, 4096, 4104)
    assert "c_desc.store" in kernel.source and "mask=c_mask" not in kernel.source
    plain = lower_gemm(TilePlan("gemm", 128, 256, 64, 3, 8, 16, edge="pad", tma=True), 4097, 4095, 4099)
    assert not plain.pad_out and "mask=c_mask" in plain.source
    assert not lower_gemm(TilePlan("gemm", 128, 256, 64, 3, 8, tma=True), 4096, 4096, 4096).pad_out
    back = lower_unpad_copy(4097, 4095, 4096)
    ast.parse(back.source)
    assert back.grid == -(-4097 * 4095 // 4096)
    assert f"if tl.program_id(0) < {4097 * 4095 // 4096}:" in back.source
    assert "tl.store(dst + d, tl.load(src + row * 4096 + col))" in back.source
    assert "tl.store(dst + d, x, mask=d < 16777215)" in back.source
    with pytest.raises(PlanError, match="pitch 4094 must be >= cols 4095"):
        lower_unpad_copy(4097, 4095, 4094)


def test_lane_ordered_copies_load_columns_and_transpose_before_the_vector_store() -> None:
    pad = lower_pad_copy((4097, 4099), 4104, (4099, 4095), 4096, lanes=True).source
    assert "tl.load(src_a + s[None, :] + lane[:, None], mask=inside, other=0.0)" in pad
    assert "tl.store(dst_a + d0[:, None] + lane[None, :], tl.trans(y))" in pad
    back = lower_unpad_copy(4097, 4095, 4096, lanes=True).source
    assert "tl.store(dst + t[None, :] + lane[:, None], tl.trans(x), mask=inside)" in back
    with pytest.raises(PlanError, match="lane-ordered loads need pitch % 8 == 0, got 4100"):
        lower_pad_copy((4097, 4099), 4100, (4099, 4095), 4096, lanes=True)


def test_warp_specialized_direct_store_and_pdl_plans_lower_as_declared() -> None:
    odd = TilePlan("gemm", 128, 256, 64, 3, 4, 8, edge="pad", tma=True, fused_pad=True, warp_spec=True)
    direct = lower_gemm(replace(odd, direct_store=True), 4097, 4095, 4099)
    # straight into the unaligned output: a masked store, no padded output, no copy out
    assert not direct.pad_out and direct.pad_to == (4097, 4096, 4104)
    assert "mask=c_mask" in direct.source and "c_desc" not in direct.source
    assert "for ki in tl.range(k_tiles, warp_specialize=True):" in direct.source
    assert "flatten=True" not in direct.source, "Triton specializes only a loop that is not flattened"
    padded = lower_gemm(odd, 4097, 4095, 4099)
    assert padded.pad_out and "c_desc.store" in padded.source
    pdl = lower_gemm(replace(odd, pdl=True), 4097, 4095, 4099).source
    # the GEMM waits for the pad copy before its first load; the copies carry the other halves
    assert pdl.index("gdc_wait()") < pdl.index("a_desc.load")
    assert (
        "gdc_launch_dependents()" in lower_pad_copy((4097, 4099), 4104, (4099, 4095), 4096, pdl=True).source
    )
    assert "gdc_wait()" in lower_unpad_copy(4097, 4095, 4096, pdl=True).source
    assert "gdc" not in lower_gemm(odd, 4097, 4095, 4099).source + lower_unpad_copy(4097, 4095, 4096).source
    with pytest.raises(PlanError, match="direct_store needs a tma plan"):
        TilePlan("gemm", 128, 256, 64, 3, 8, edge="pad", direct_store=True).validate()
    with pytest.raises(PlanError, match="pdl needs a tma plan with fused_pad"):
        TilePlan("gemm", 128, 256, 64, 3, 8, tma=True, pdl=True).validate()
    aligned = lower_gemm(
        TilePlan("gemm", 128, 256, 64, 4, 4, tma=True, warp_spec=True, direct_store=True), 4096, 4096, 4096
    )
    assert "c_desc" not in aligned.source and "tl.store(c_ptrs" in aligned.source
    with pytest.raises(PlanError, match="warp_spec needs a tma plan"):
        TilePlan("gemm", 128, 256, 64, 3, 4, warp_spec=True).validate()
    with pytest.raises(PlanError, match="causal 'none' or 'mask_all'"):
        TilePlan("attention", 128, 64, 128, 3, 4, causal="split", tma=True, warp_spec=True).validate()
    att = lower_attention(
        TilePlan("attention", 128, 128, 128, 2, 4, tma=True, warp_spec=True), 1000, 128, False
    )
    assert "o_desc.store([start_m * BLOCK_M, 0]" in att.source and "tl.store(" not in att.source
    assert att.source.count("tl.make_tensor_descriptor(") == 4


def test_host_descriptor_plans_take_descriptors_as_arguments_and_may_split_the_store() -> None:
    plan = TilePlan("gemm", 128, 256, 64, 4, 8, 8, tma=True, host_desc=True, subtile=True)
    kernel = lower_gemm(plan, 4096, 4096, 4096)
    assert "make_tensor_descriptor" not in kernel.source and kernel.source.count("c_desc.store(") == 2
    assert f"def {kernel.entry}(\n    a_desc, b_desc, c_desc, o_ptr, lock_ptr," in kernel.source
    assert kernel.host_descs == ((128, 64), (64, 256), (128, 128))
    direct = lower_gemm(replace(plan, subtile=False, direct_store=True), 4096, 4096, 4096)
    assert direct.host_descs[2] is None and "tl.store(c_ptrs, acc.to(" in direct.source
    assert lower_gemm(replace(plan, host_desc=False), 4096, 4096, 4096).host_descs == ()
    assert gemm_space(4096, 4096, 4096)[0].host_desc
    for bad, message in [
        (
            TilePlan("gemm", 128, 128, 64, 3, 8, host_desc=True),
            "host_desc and subtile need a gemm plan with tma",
        ),
        (replace(plan, subtile=True, direct_store=True), "subtile splits the TMA store"),
        (replace(plan, subtile=False, warp_spec=True), "warp_spec and host_desc do not go together"),
    ]:
        with pytest.raises(PlanError, match=message):
            bad.validate()

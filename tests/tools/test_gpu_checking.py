"""The GPU checker's anti-cheating rules, with CPU torch tensors standing in for device outputs."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tools.gpu.kit.checking import check_runner, compare
from tools.gpu.kit.problems import AttentionProblem, Fp8GemmProblem, GemmProblem, fp8_tolerance
from tools.gpu.kit.timing import TimingRecord, judge, time_call

SEEDS = [11, 22]
PROBLEM = GemmProblem(40, 24, 33, "cpu")


def _check(run: Any) -> Any:
    return check_runner(run, PROBLEM.make_inputs, PROBLEM.reference, PROBLEM.make_output, SEEDS)


def _honest(inputs: tuple[Any, ...], out: Any) -> None:
    torch.matmul(inputs[0], inputs[1], out=out)


def test_an_honest_kernel_passes_every_round_with_fresh_seeds() -> None:
    record = _check(_honest)
    assert record.ok, record.reason
    assert [r["seed"] for r in record.rounds] == SEEDS
    assert all(r["rel_error"] < 1e-2 for r in record.rounds)


def test_skipped_edge_rows_are_caught_as_unwritten_poison() -> None:
    def skip_last_row(inputs: tuple[Any, ...], out: Any) -> None:
        out[:-1] = inputs[0][:-1] @ inputs[1]

    record = _check(skip_last_row)
    assert record.status == "nan"
    assert "24 of 960 elements are NaN/inf" in record.reason


def test_zero_filled_skipped_strip_fails_the_elementwise_check_even_if_the_norm_is_small() -> None:
    big = GemmProblem(256, 64, 32, "cpu")

    def zero_last_row(inputs: tuple[Any, ...], out: Any) -> None:
        torch.matmul(inputs[0], inputs[1], out=out)
        out[-1].zero_()

    record = check_runner(zero_last_row, big.make_inputs, big.reference, big.make_output, SEEDS)
    assert record.status == "wrong"
    assert "elements off by more than 0.08 x (|want| + rms)" in record.reason


def test_a_kernel_replaying_its_first_answer_fails_the_second_round() -> None:
    cache: list[Any] = []

    def replay(inputs: tuple[Any, ...], out: Any) -> None:
        if not cache:
            cache.append(inputs[0] @ inputs[1])
        out.copy_(cache[0])

    record = _check(replay)
    assert record.status == "wrong"
    assert record.reason.startswith(f"seed {SEEDS[1]}: relative error")
    assert [r["status"] for r in record.rounds] == ["pass", "wrong"]


def test_nan_never_passes_and_input_writes_and_exceptions_are_verdicts() -> None:
    def one_nan(inputs: tuple[Any, ...], out: Any) -> None:
        _honest(inputs, out)
        out[3, 4] = float("nan")

    assert "first at [3, 4]" in _check(one_nan).reason

    def scribble(inputs: tuple[Any, ...], out: Any) -> None:
        _honest(inputs, out)
        inputs[0].zero_()

    assert _check(scribble).status == "input_modified"

    def crash(inputs: tuple[Any, ...], out: Any) -> None:
        raise RuntimeError("illegal memory access")

    record = _check(crash)
    assert record.status == "error" and "illegal memory access" in record.reason


def test_compare_refuses_unsupported_dtypes_and_shapes() -> None:
    want = torch.zeros(4, 4)
    assert "output dtype int32 is not supported" in compare(torch.zeros(4, 4, dtype=torch.int32), want).reason
    assert "output shape (4, 3) != expected (4, 4)" in compare(torch.zeros(4, 3), want).reason


def test_check_runner_needs_two_distinct_seeds() -> None:
    with pytest.raises(ValueError, match="at least two distinct seeds"):
        check_runner(_honest, PROBLEM.make_inputs, PROBLEM.reference, PROBLEM.make_output, [5, 5])


@pytest.mark.parametrize("causal", [False, True])
def test_attention_reference_agrees_with_torch_sdpa(causal: bool) -> None:
    problem = AttentionProblem(1, 2, 48, 16, causal, "cpu")
    base = problem.baselines()[0]
    record = check_runner(base.run, problem.make_inputs, problem.reference, problem.make_output, SEEDS)
    assert record.ok, record.reason


def _timing(median_ms: float, event_ms: float | None, wall_ms: float) -> TimingRecord:
    return TimingRecord(median_ms, median_ms, median_ms, median_ms, 10, event_ms, wall_ms, 10, 0)


def test_judge_rejects_work_hidden_from_the_events_on_a_side_stream() -> None:
    ok, reason = judge(_timing(1.0, 10.0, 30.0), flops=1e9, peak_tflops=None)
    assert not ok and "exceeds CUDA events 10.000 ms by 200% (> 20%)" in reason
    assert judge(_timing(1.0, 10.0, 11.0), flops=1e9, peak_tflops=None) == (True, "")


def test_judge_rejects_a_rate_above_the_measured_peak() -> None:
    # 1 TFLOP in 1 ms = 1000 TFLOP/s against a peak of 800
    ok, reason = judge(_timing(1.0, 10.0, 10.0), flops=1e12, peak_tflops=800.0)
    assert not ok and "1000.0 TFLOP/s is above the measured peak 800.0" in reason
    assert judge(_timing(1.0, 10.0, 10.0), flops=1e12, peak_tflops=990.0)[0]


def test_time_call_on_cpu_reports_a_median_and_no_events() -> None:
    a = torch.randn(64, 64)
    timing = time_call(lambda: a @ a, "cpu", reps=5, warmup=1, flush_bytes=1024)
    assert timing.median_ms > 0 and timing.loop_event_ms is None
    assert timing.min_ms <= timing.median_ms <= timing.p80_ms
    with pytest.raises(ValueError, match="reps must be >= 3"):
        time_call(lambda: None, "cpu", reps=2, warmup=0)


FP8 = Fp8GemmProblem(96, 64, 256, "cpu")


def _fp8_check(run: Any, tolerance: Any) -> Any:
    return check_runner(run, FP8.make_inputs, FP8.reference, FP8.make_output, SEEDS, tolerance)


def test_fp8_inputs_carry_scales_and_the_dequantized_path_meets_the_stated_bound() -> None:
    a, bt, sa, _ = FP8.make_inputs(3)
    assert a.dtype == bt.dtype == torch.float8_e4m3fn and (a.shape, bt.shape) == ((96, 256), (64, 256))
    assert float(a.float().abs().max()) == 448.0 and sa.dim() == 0
    assert float(sa) != float(FP8.make_inputs(4)[2]), "the scales change with the seed"
    assert FP8.tolerance == fp8_tolerance(256) == (2.0**-9 + 8 * 2.0**-14, 2 * (2.0**-9 + 8 * 2.0**-14))
    base = FP8.baselines()[0]
    assert base.name == "dequant_fp32"
    record = _fp8_check(base.run, FP8.tolerance)
    assert record.ok, record.reason
    assert all(r["rel_error"] < FP8.tolerance[0] for r in record.rounds)


def test_fp8_kernels_beyond_the_stated_bound_are_rejected() -> None:
    def bf16_accumulation(inputs: tuple[Any, ...], out: Any) -> None:
        a, bt, sa, sb = inputs
        acc = torch.zeros((a.shape[0], bt.shape[0]), dtype=torch.bfloat16)
        for i in range(0, a.shape[1], 32):
            acc += (a[:, i : i + 32].float() @ bt[:, i : i + 32].float().T).to(torch.bfloat16)
        out.copy_(acc.float() * (sa * sb))

    # within bf16's default bound, outside the FP8 problem's stated one
    assert _fp8_check(bf16_accumulation, None).ok
    record = _fp8_check(bf16_accumulation, FP8.tolerance)
    assert record.status == "wrong" and "(tolerance 0.00244141)" in record.reason

    def e5m2_operand(inputs: tuple[Any, ...], out: Any) -> None:
        a, bt, sa, sb = inputs
        out.copy_((a.float() @ bt.to(torch.float8_e5m2).float().T) * (sa * sb))

    assert _fp8_check(e5m2_operand, FP8.tolerance).status == "wrong"

    def ignores_scales(inputs: tuple[Any, ...], out: Any) -> None:
        out.copy_(inputs[0].float() @ inputs[1].float().T)

    assert _fp8_check(ignores_scales, FP8.tolerance).status == "wrong"


def test_fp8_input_writes_are_caught_by_their_bits() -> None:
    def scribble(inputs: tuple[Any, ...], out: Any) -> None:
        FP8.baselines()[0].run(inputs, out)
        inputs[1][0, 0] = -inputs[1][0, 0].float() if float(inputs[1][0, 0]) else 1.0

    assert _fp8_check(scribble, FP8.tolerance).status == "input_modified"

"""Reward scoring in-process: answer extraction, the format reward, compute_score, determinism,
item validation and the kernel speed bonus (native only). The service itself is tested in
tests/ops/test_reward_service.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.reward import score
from evals.reward_client import compute_score
from evals.reward_extract import extract
from evals.reward_models import RewardResult
from evals.reward_problems import resolve
from tools.targets import get_target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reward"
SHARED_VE = Path(__file__).resolve().parents[3] / "shared" / "data" / "verilog-eval-v2"
GOLDEN = "module inv(input a, output y);\n  assign y = ~a;\nendmodule\n"
RIGHT = "module inv(input a, output y); assign y = !a; endmodule"
WRONG = "module inv(input a, output y); assign y = a; endmodule"


def test_extraction_follows_codev_r1() -> None:
    two_blocks = f"```verilog\n{WRONG}\n```\nbetter:\n```verilog\n{RIGHT}\n```"
    assert extract(two_blocks, "verilog").code == RIGHT  # the last fenced block
    answer_first = f"<think>```verilog\n{WRONG}\n```</think>\n<answer>\n```verilog\n{RIGHT}\n```\n</answer>"
    found = extract(answer_first, "verilog")
    assert (found.code, found.source, found.format_reward) == (RIGHT, "answer", 1.0)
    bare = f"<think>x</think><answer>{RIGHT}</answer>"
    assert extract(bare, "verilog").code == RIGHT
    assert extract("```c\nint f(void) { return 0; }\n```", "verilog").code is None  # C is not Verilog
    assert extract("```c\nvoid f(float* y) { y[0] = 1; }\n```", "kernel").code is not None
    assert extract("no code here", "verilog").code is None
    assert extract(f"<answer>```verilog\n{RIGHT}\n```</answer>", "verilog").format_reward == 0.0  # no think


def test_compute_score_in_process_rejects_a_wrong_design() -> None:
    right = compute_score("codev", f"<think>t</think><answer>```verilog\n{RIGHT}\n```</answer>", GOLDEN)
    assert right == {"score": 1.0, "format_score": 1.0, "correct": 1.0, "verdict": "pass", "reason": ""}
    wrong = compute_score("codev", f"```verilog\n{WRONG}\n```", GOLDEN)
    assert (wrong["score"], wrong["format_score"], wrong["reason"]) == (0.0, 0.0, "mismatch")
    renamed = compute_score("codev", f"```verilog\n{RIGHT.replace('inv', 'not_gate')}\n```", GOLDEN)
    assert renamed["reason"] == "wrong_name"


def test_same_item_same_reward_and_seeds_fixed_by_the_problem() -> None:
    raw = {"kind": "verilog", "golden": GOLDEN, "completion": f"```verilog\n{WRONG}\n```"}
    first, second = resolve(0, raw, []), resolve(0, dict(raw), [])
    other = resolve(0, raw | {"completion": f"```verilog\n{RIGHT}\n```"}, [])
    assert not isinstance(first, RewardResult) and not isinstance(second, RewardResult)
    assert not isinstance(other, RewardResult)
    assert first.cache_key == second.cache_key != other.cache_key
    assert first.seeds == other.seeds  # seeds belong to the problem, not to the completion
    a, b = score(first), score(second)
    assert (a.reward, a.verdict, a.seeds, a.first_mismatch) == (
        b.reward,
        b.verdict,
        b.seeds,
        b.first_mismatch,
    )
    assert a.evidence is not None and a.evidence.seeds == first.seeds


def test_bad_items_say_what_is_wrong() -> None:
    cases = [
        ({"kind": "verilog", "golden": GOLDEN}, "missing field 'completion'"),
        ({"kind": "vhdl", "golden": GOLDEN, "completion": ""}, "kind: Input should be 'verilog' or 'kernel'"),
        ({"kind": "verilog", "completion": "x"}, "exactly one of 'problem' (an id) or 'golden' (RTL)"),
        ({"kind": "verilog", "golden": GOLDEN, "completion": "", "colour": 1}, "unknown field 'colour'"),
        ({"kind": "kernel", "problem": "fft9", "completion": ""}, "unknown kernel 'fft9'"),
        (
            {"kind": "verilog", "golden": GOLDEN + GOLDEN.replace("inv", "buf2"), "completion": ""},
            "with 'top'",
        ),
    ]
    for raw, message in cases:
        found = resolve(3, raw, [FIXTURES])
        assert isinstance(found, RewardResult) and found.verdict == "invalid", raw
        assert message in found.detail and found.detail.startswith("item 3"), found.detail


def test_kernel_speed_bonus_only_on_native_targets() -> None:
    code = json.loads((FIXTURES / "completions.json").read_text())
    good = next(c["completion"] for c in code if c["name"] == "kernel_correct")
    raw = {"kind": "kernel", "problem": "reduce_sum", "dims": {"n": 4096}, "completion": good, "speed": True}
    native = resolve(0, raw, [])
    assert not isinstance(native, RewardResult)
    result = score(native)
    assert result.verdict == "pass" and result.speed_bonus is not None and 0.0 <= result.speed_bonus <= 0.5
    assert result.reward == 1.0 + result.speed_bonus and not result.cacheable()
    if not get_target("aarch64").availability().can_run:
        pytest.skip("aarch64 cannot run here (no cross compiler or qemu)")
    emulated = resolve(0, raw | {"target": "aarch64"}, [])
    assert not isinstance(emulated, RewardResult)
    result = score(emulated)
    assert result.verdict == "pass" and result.speed_bonus is None and result.reward == 1.0
    assert "emulated" in result.detail


@pytest.mark.skipif(not SHARED_VE.is_dir(), reason="VerilogEval v2 is not in ../shared/data")
def test_a_verilog_eval_problem_by_id() -> None:
    ref = (SHARED_VE / "Prob001_zero_ref.sv").read_text().replace("RefModule", "TopModule")
    score_ = compute_score(
        "verilog-eval", f"```verilog\n{ref}\n```", {"problem": "Prob001_zero"}, {"data": str(SHARED_VE)}
    )
    assert score_["verdict"] == "pass"
    broken = ref.replace("1'b0", "1'b1")
    assert broken != ref
    assert (
        compute_score(
            "verilog-eval",
            f"```verilog\n{broken}\n```",
            {"problem": "Prob001_zero"},
            {"data": str(SHARED_VE)},
        )["reason"]
        == "mismatch"
    )

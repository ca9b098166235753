"""Scenarios and intake without tools: which scenario serves a request, how compound requests split,
and what the planner's validator rejects."""

from __future__ import annotations

import pytest

from agents.scenarios import SCENARIOS, get_scenario, match
from agents.scenarios.offload import cycles_per_word, predicted_speedup, read_offload_request
from agents.top import Plan, Task, classify, dependency_cycles, validate_plan
from agents.top.planner import offline_plan
from tools.errors import UsageError

COMPOUND = "an 8-bit up counter with synchronous reset and enable, and a layernorm kernel rows=64 cols=512 for aarch64"


@pytest.mark.parametrize(
    ("text", "scenario"),
    [
        ("a 4-bit Gray-code counter", "block"),
        ("softmax for riscv64", "kernel"),
        (
            "dot-product accelerator with lanes 2,4 under a budget of 5000 cells and the GEMM kernel",
            "dot-product-gemm",
        ),
        ("softmax rows=64 cols=512 on every served target", "kernel-across-targets"),
        ("an 8-bit popcount unit that a popcount kernel offloads to", "popcount-offload"),
    ],
)
def test_each_request_is_served_by_its_scenario(text: str, scenario: str) -> None:
    found = match(text)
    assert found is not None and found[0] == scenario
    assert get_scenario(scenario).plan(classify(text).parts[0]), "the scenario plans at least one task"


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(
        UsageError, match="unknown scenario 'mips'; known scenarios: dot-product-gemm, popcount"
    ):
        get_scenario("mips")
    assert list(SCENARIOS)[-2:] == ["kernel", "block"], "the plain scenarios are tried last"


def test_compound_request_becomes_one_part_per_request_and_plans_both_agents() -> None:
    found = classify(COMPOUND)
    assert found.kind == "compound"
    assert [(p.text, p.scenario) for p in found.parts] == [
        ("an 8-bit up counter with synchronous reset and enable", "block"),
        ("a layernorm kernel rows=64 cols=512 for aarch64", "kernel"),
    ]
    plan = offline_plan(found.kind, found.parts, [])
    assert [(t.id, t.kind, t.part, t.uses) for t in plan.tasks] == [
        ("p1-hw-1", "hw", "p1", None),
        ("p2-sw-1", "sw", "p2", None),
    ]
    assert plan.tasks[1].constraints.target == "aarch64"


def test_an_unserved_piece_is_refused_with_why_not_dropped() -> None:
    parts = classify("an 8-bit counter with enable; frobnicate the wibble").parts
    assert [p.scenario for p in parts] == ["block", ""]
    assert parts[1].refused.startswith("as hardware: no generator in the offline library matches")
    assert "as software:" in parts[1].refused
    # a weak join splits only when every piece is served: this stays one block
    assert len(classify("a FIFO with a full flag and an empty flag").parts) == 1
    # a module header's ';' is not a join
    header = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
    assert len(classify(header).parts) == 1
    # a co-design request is one part even though it names hardware and a kernel
    assert len(classify("dot-product accelerator and the GEMM kernel that uses it").parts) == 1


def test_validator_rejects_dependency_cycles_and_software_that_hardware_uses() -> None:
    tasks = [
        Task(id="a", kind="sw", spec="softmax", uses="b"),
        Task(id="b", kind="hw", spec="counter", uses="c"),
        Task(id="c", kind="hw", spec="adder", uses="b"),
    ]
    assert dependency_cycles(tasks) == [["b", "c"]]
    problems = validate_plan(Plan(kind="free-form", tasks=tasks), "free-form", {})
    assert "the tasks b -> c -> b depend on each other in a cycle" in problems
    assert "task b: only software tasks run on a hardware task's model ('uses')" in problems
    assert any("constraints.target None is not a known target" in p for p in problems)
    fine = [Task(id="h", kind="hw", spec="adder"), Task(id="s", kind="sw", spec="sum", uses="h")]
    fine[1].constraints.target = "x86_64"
    assert validate_plan(Plan(kind="free-form", tasks=fine), "free-form", {}) == []


def test_offload_request_and_cycle_model() -> None:
    req = read_offload_request("a 16-bit popcount unit, at least 3x faster, under 400 cells, 128 words")
    assert (req.width, req.goal, req.area_budget, req.words) == (16, 3.0, 400, 128)
    with pytest.raises(UsageError, match="popcount unit width 12 bits; allowed: 4, 8, 16, 32, 64"):
        read_offload_request("a 12-bit popcount unit")
    # per 32-bit word: 4 chunks x (shift, mask, write, read, add + 1 unit cycle) for 8 bits
    assert cycles_per_word(8) == 24 and cycles_per_word(32) == 4 and cycles_per_word(64) == 3
    assert predicted_speedup(8) < 1 < predicted_speedup(16) < 2 < predicted_speedup(32)


def test_validator_asks_for_a_task_per_part_of_a_compound_request() -> None:
    parts = classify(COMPOUND).parts
    plan = Plan(kind="compound", tasks=[Task(id="h", kind="hw", spec="counter", part="p1")])
    problems = validate_plan(plan, "compound", {}, parts)
    assert problems == [f"part p2 ({parts[1].text!r}) has no task"]
    stray = Plan(kind="compound", tasks=[Task(id="h", kind="hw", spec="counter", part="p9")])
    assert "task h: part 'p9' is not a part of the request; use one of ['p1', 'p2']" in validate_plan(
        stray, "compound", {}, parts
    )

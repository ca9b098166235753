"""Sanity on VerilogEval references: each equals itself, and a hand mutation is caught."""

from __future__ import annotations

import pytest

from tests.tools._hdl_fixtures import VERILOG_EVAL
from tools.hdl import VerilogRef, diff_check, formal_check

# (problem, text to mutate, replacement)
PROBLEMS = [
    ("Prob035_count1to10", "q == 10", "q == 11"),
    ("Prob047_dff8ar", "q <= 0", "q <= 8'h01"),
    ("Prob094_gatesv", "in[2:0] & in[3:1]", "in[2:0] | in[3:1]"),
    ("Prob046_dff8p", "q <= 8'h34", "q <= 8'h43"),
]


@pytest.mark.parametrize(("problem", "old", "new"), PROBLEMS)
def test_reference_is_equivalent_to_itself_and_catches_a_mutant(problem: str, old: str, new: str) -> None:
    path = VERILOG_EVAL / f"{problem}_ref.sv"
    if not path.is_file():
        pytest.skip(f"{path} is not present (the shared data set is optional)")
    ref = path.read_text()
    same = ref.replace("RefModule", "TopModule")
    mutant = same.replace(old, new)
    assert mutant != same, "the mutation must change the design"
    small = {"seeds": (1, 2), "cycles": 24, "sequences": 3}
    assert diff_check(same, VerilogRef(source=ref), top="TopModule", **small).verdict == "pass"  # type: ignore[arg-type]
    assert diff_check(mutant, VerilogRef(source=ref), top="TopModule", **small).verdict == "fail"  # type: ignore[arg-type]
    assert formal_check(same, ref, top="TopModule").status == "pass"
    assert formal_check(mutant, ref, top="TopModule").status == "fail"

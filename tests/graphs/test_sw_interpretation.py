"""The software agent's result carries how its request was read."""

from __future__ import annotations

from agents.sw.roles import SwRoles
from graphs.sw import design_kernel


def test_the_kernel_design_evidence_holds_the_interpretation() -> None:
    design = design_kernel("sum n=1000", target="x86_64", roles=SwRoles(), budget=1, seed=3, store=False)
    assert design.status == "verified"
    interp = design.evidence.interpretation
    assert interp is not None and interp.by == "offline:reduce_sum"
    assert (
        interp.summary()
        == "interpreted as: kernel reduce_sum; n 1000; dtype f32 (assumed); layout row-major (assumed)"
    )
    assert next(r for r in interp.readings if r.name == "n").words == "n=1000"

"""The tuner times only verified candidates on native targets and never times emulated ones."""

from __future__ import annotations

import numpy as np

from agents.sw.library import get_template
from agents.sw.specs import kernel_spec
from agents.sw.tuner import tune
from tools.targets import get_target


def test_native_tuner_picks_the_fastest_verified_candidate() -> None:
    spec = kernel_spec("reduce_sum", {"n": 20000})
    result = tune(get_template("reduce_sum"), spec, get_target("x86_64"), budget=3, seed=5)
    assert result.strategy == "measured"
    assert len(result.candidates) == 3
    assert all(c.status == "pass" and c.timing is not None for c in result.candidates)
    fastest = min(result.candidates, key=lambda c: c.timing.median_s if c.timing else 1e9)
    assert result.chosen == fastest.params
    assert result.verdict is not None and result.verdict.ok
    assert result.check().status == "pass"
    assert len(result.check().details["candidates"]) == 3


def test_emulated_tuner_chooses_by_correctness_without_timing() -> None:
    spec = kernel_spec("gemv", {"M": 9, "N": 40}, emulated=True)
    result = tune(get_template("gemv"), spec, get_target("riscv64"), budget=4, seed=5)
    assert result.strategy == "static-default"
    assert result.chosen == get_template("gemv").defaults("riscv64")
    assert all(c.timing is None for c in result.candidates)


def test_no_candidate_is_chosen_when_none_passes_the_checker() -> None:
    spec = kernel_spec("reduce_sum", {"n": 100})
    wrong = spec.model_copy(update={"reference": lambda x, **_: {"out": np.array([x.sum() + 1.0])}})
    result = tune(get_template("reduce_sum"), wrong, get_target("x86_64"), budget=2, seed=5)
    assert result.chosen is None and result.source is None
    assert {c.status for c in result.candidates} == {"wrong"}
    assert all(c.timing is None for c in result.candidates)
    assert result.check().status == "fail"


def test_the_random_phase_is_drawn_from_the_seed_and_a_time_budget_stops_the_search() -> None:
    template, target = get_template("focal_split"), get_target("x86_64")
    spec = kernel_spec("focal_split", {"H": 12, "W": 40})
    space = template.space("x86_64")
    coordinate = (
        sum(len(v) for v in space.values()) - len(space) + 1
    )  # defaults, then one parameter at a time
    runs = [tune(template, spec, target, budget=coordinate + 2, seed=11, samples=5) for _ in range(2)]
    assert [r.stopped for r in runs] == ["budget", "budget"]
    phases = [c.phase for c in runs[0].candidates]
    assert phases == ["coordinate"] * coordinate + ["random"] * 2
    walk = [[c.params for c in r.candidates if c.phase == "coordinate"] for r in runs]
    if walk[0] == walk[1]:  # the coordinate walk follows timings; given the same walk, the same draws
        assert [c.params for c in runs[0].candidates] == [c.params for c in runs[1].candidates]
    stopped = tune(template, spec, target, budget=20, seed=11, samples=5, time_budget_s=0.0)
    assert len(stopped.candidates) == 1 and stopped.stopped == "time"
    assert stopped.check().details["stopped"] == "time"

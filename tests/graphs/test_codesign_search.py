"""The co-design critic's search finds the design an exhaustive sweep finds (real hardware subgraph,
real Yosys figures, the GEMM co-simulated on each Verilator model)."""

from __future__ import annotations

import pytest

from agents.codesign.accelerator import AcceleratorResult
from agents.codesign.critic import Prediction, critique
from agents.codesign.kernel import KernelResult, run_gemm
from agents.codesign.request import CodesignRequest
from graphs.workers import build_accelerator

WIDTH = 8
SHAPE = {"m": 2, "n": 2, "k": 5}


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[AcceleratorResult, KernelResult]]:
    """Every lane count of the space built and run once (the sweep); the search reads from it."""
    root = tmp_path_factory.mktemp("sweep")
    req = CodesignRequest(width=WIDTH, **SHAPE)
    out: dict[int, tuple[AcceleratorResult, KernelResult]] = {}
    for lanes in range(1, req.k + 1):  # every lane count, not only the critic's space
        acc = build_accelerator(lanes, WIDTH, str(root))
        out[lanes] = (acc, run_gemm(acc, req, root / f"gemm{lanes}"))
    return out


def _search(
    req: CodesignRequest, table: dict[int, tuple[AcceleratorResult, KernelResult]]
) -> tuple[int | None, int, str]:
    """The critic's loop as the top graph runs it (3 rounds); returns (choice, designs built, why it stopped)."""
    tried = set(req.lanes)
    predicted: dict[int, Prediction] = {}
    for rnd in range(1, 4):
        accels = [table[n][0] for n in sorted(tried)]
        kernels = [table[n][1] for n in sorted(tried)]
        decision = critique(accels, kernels, req, tried, predicted, rounds_left=3 - rnd)
        if not decision.next_lanes or rnd == 3:
            return decision.chosen, len(tried), decision.stop
        predicted.update({p.lanes: p for p in decision.predictions})
        tried |= set(decision.next_lanes)
    raise AssertionError("unreachable")


@pytest.mark.parametrize(("start", "budget"), [([2], 500), ([2], 1300), ([4], 1000), ([2, 4], 2500)])
def test_search_matches_the_exhaustive_sweep(
    measured: dict[int, tuple[AcceleratorResult, KernelResult]], start: list[int], budget: int
) -> None:
    broken = {
        n: [f"{c.name}: {c.summary[:120]}" for c in [*acc.evidence.failures(), *ker.evidence.failures()]]
        for n, (acc, ker) in measured.items()
        if not (acc.verified and ker.correct)
    }
    assert not broken, f"designs of the sweep not verified: {broken}"
    fits = {n: ker.cycles * acc.logic_depth for n, (acc, ker) in measured.items() if acc.cells <= budget}
    best = min(fits, key=lambda n: (fits[n], measured[n][0].cells))
    req = CodesignRequest(lanes=start, width=WIDTH, area_budget=budget, **SHAPE)
    chosen, _built, stop = _search(req, measured)
    assert chosen == best, f"budget {budget}: search chose {chosen}, sweep says {best}; {stop}"
    assert stop.startswith(f"no untried lane count predicted to fit can beat {best} lanes")

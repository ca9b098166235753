"""The auto-tuner: search a template's parameters by measurement, every candidate verified first.

On a native target each candidate is differential-tested, and only the ones that pass are timed on
the requested shape; the fastest wins. The search is coordinate-wise from the static defaults:
vary one parameter at a time over its range, keep the best value, move to the next parameter;
candidates left in the budget after that pass are drawn at random from the whole space with
``random.Random(seed)``. It stops at ``budget`` candidates or when ``time_budget_s`` has passed
(checked before each candidate), whichever comes first. The order of candidates is a function of
the template, the target, the seed and the timings seen so far (the coordinate pass keeps the
fastest value), so the same seed on a quiet machine retraces the same search. On an emulated target nothing is timed (QEMU's clock says nothing
about the hardware): the static default is chosen if it passes, else the first candidate that does.
Every candidate, its verdict and its time go into the evidence.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

from agents.sw.library import KernelTemplate, ParamValues
from agents.sw.tool_calls import KernelCalls
from tools.evidence import Check
from tools.kernels import KernelSpec, KernelVerdict, check_kernel
from tools.kernels.machine import MachinePeaks
from tools.kernels.timing import Timing, time_kernel
from tools.targets import Target


class Candidate(BaseModel):
    """One point of the search."""

    params: dict[str, int] = Field(description="Template parameters of this candidate.")
    status: str = Field(description="The differential checker's verdict: pass, wrong, compile_error, ...")
    reason: str = Field("", description="Why it failed, when it did.")
    seeds: list[int] = Field(default_factory=list, description="Seeds the checker used.")
    timing: Timing | None = Field(None, description="Speed on the requested shape (native targets only).")
    phase: str = Field(
        "coordinate", description="'coordinate' (one parameter varied) or 'random' (seeded draw)."
    )
    elapsed_s: float = Field(0.0, description="Seconds since the search began, when this candidate finished.")


class TuneResult(BaseModel):
    """The chosen parameters, their source, and the whole search."""

    kernel: str
    target: str
    emulated: bool
    strategy: str = Field(
        description="'measured' (native) or 'static-default' (emulated: chosen by correctness)."
    )
    chosen: dict[str, int] | None = Field(description="Winning parameters; None when no candidate passed.")
    source: str | None = Field(None, description="C source of the winner.")
    verdict: KernelVerdict | None = Field(None, description="The checker's verdict on the winner.")
    timing: Timing | None = None
    timing_check: Check | None = Field(
        None, description="The winner's timing as its check recorded it (tool, node, versions)."
    )
    candidates: list[Candidate] = Field(default_factory=list)
    seed: int = Field(0, description="Seed of the checks and of the random phase.")
    stopped: str = Field(
        "",
        description="Why the search ended: budget, time, space (all tried) or passed (emulated: the "
        "first correct one).",
    )

    def check(self) -> Check:
        """The search as an evidence record: passes when a verified candidate was chosen."""
        return Check(
            name="tune",
            tool="qimeng tuner",
            status="pass" if self.chosen is not None else "fail",
            summary=(
                f"{self.kernel} on {self.target}: {len(self.candidates)} candidates, {self.strategy}, "
                f"chosen {self.chosen}"
            ),
            details={
                "candidates": [c.model_dump(mode="json") for c in self.candidates],
                "strategy": self.strategy,
                "seed": self.seed,
                "stopped": self.stopped,
            },
        )


def tune(
    template: KernelTemplate,
    spec: KernelSpec,
    target: Target,
    *,
    budget: int = 8,
    seed: int = 0,
    workdir: Path | None = None,
    peaks: MachinePeaks | None = None,
    samples: int = 15,
    calls: KernelCalls | None = None,
    time_budget_s: float | None = None,
) -> TuneResult:
    """Search ``template``'s parameters for ``spec`` on ``target`` within ``budget`` candidates.

    ``peaks`` adds the roofline to each timing. ``calls`` sends every check and timing through the
    executor seam (the agent's way, placed by target); without it they run here, which a spec that
    cannot travel (e.g. a hand-written reference) needs. Returns a TuneResult; ``chosen`` is None
    when no candidate passed the checker. ``time_budget_s`` bounds the search's wall time (the
    candidate in progress finishes; at least one candidate is always evaluated).
    """
    with tempfile.TemporaryDirectory(prefix="qimeng-tune-") as tmp:
        base = workdir or Path(tmp)
        search = _Search(template, spec, target, base, seed, max(budget, 1))
        search.peaks, search.samples, search.calls = peaks, samples, calls
        search.deadline = None if time_budget_s is None else time.monotonic() + time_budget_s
        return search.run()


class _Search:
    def __init__(
        self, template: KernelTemplate, spec: KernelSpec, target: Target, base: Path, seed: int, budget: int
    ):
        self.template, self.spec, self.target, self.base = template, spec, target, base
        self.seed, self.budget = seed, budget
        self.peaks: MachinePeaks | None = None
        self.samples = 15
        self.calls: KernelCalls | None = None
        self.deadline: float | None = None
        self.started = time.monotonic()
        self.stopped = "space"
        self.phase = "coordinate"
        self.timing_checks: dict[tuple[tuple[str, int], ...], Check] = {}
        self.tried: dict[tuple[tuple[str, int], ...], tuple[Candidate, str, KernelVerdict]] = {}

    def run(self) -> TuneResult:
        name = self.target.name
        defaults = self.template.defaults(name)
        if self.target.emulated:
            order = [defaults, *self._neighbours(defaults)]
            for params in order[: self.budget]:
                cand, _, _ = self._evaluate(params)
                if cand.status == "pass":
                    self.stopped = "passed"
                    break
            return self._result("static-default")
        best = defaults
        self._evaluate(best)
        space = self.template.space(name)
        for pname, values in space.items():
            for value in values:
                if self._out_of_budget():
                    return self._result("measured")
                self._evaluate({**best, pname: value})
            best = self._best() or best
        self.phase = "random"
        rng = random.Random(self.seed)
        size = 1
        for values in space.values():
            size *= len(values)
        while len(self.tried) < size:
            if self._out_of_budget():
                break
            self._evaluate({p: rng.choice(values) for p, values in space.items()})
        return self._result("measured")

    def _out_of_budget(self) -> bool:
        if len(self.tried) >= self.budget:
            self.stopped = "budget"
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            self.stopped = "time"
        else:
            return False
        return True

    def _neighbours(self, params: ParamValues) -> list[ParamValues]:
        out = []
        for pname, values in self.template.space(self.target.name).items():
            out += [{**params, pname: v} for v in values if v != params[pname]]
        return out

    def _evaluate(self, params: ParamValues) -> tuple[Candidate, str, KernelVerdict]:
        key = tuple(sorted(params.items()))
        if key in self.tried:
            return self.tried[key]
        source = self.template.render(self.target.name, params)
        workdir = self.base / f"cand{len(self.tried)}"
        if self.calls is not None:
            verdict = self.calls.check(source, self.seed)
        else:
            verdict = check_kernel(source, self.spec, self.target, seed=self.seed, workdir=workdir)
        cand = Candidate(
            params=dict(params),
            status=verdict.status,
            reason=verdict.reason,
            seeds=verdict.seeds,
            phase=self.phase,
        )
        if verdict.ok and not self.target.emulated:
            if self.calls is not None:
                bench = self.calls.time(source, peaks=self.peaks, samples=self.samples, seed=self.seed)
            else:
                bench = time_kernel(
                    source,
                    self.spec,
                    self.target,
                    peaks=self.peaks,
                    samples=self.samples,
                    seed=self.seed,
                    workdir=workdir,
                    threads=params.get("threads", 1),
                )
            cand.timing = bench.timings[0]
            self.timing_checks[key] = bench.check
        cand.elapsed_s = time.monotonic() - self.started
        self.tried[key] = (cand, source, verdict)
        return self.tried[key]

    def _best(self) -> ParamValues | None:
        timed = [c for c, _, _ in self.tried.values() if c.status == "pass" and c.timing is not None]
        if not timed:
            return None
        return min(timed, key=lambda c: c.timing.median_s if c.timing else float("inf")).params

    def _result(self, strategy: str) -> TuneResult:
        passing = [(c, s, v) for c, s, v in self.tried.values() if c.status == "pass"]
        if strategy == "measured":
            passing.sort(key=lambda t: t[0].timing.median_s if t[0].timing else float("inf"))
        winner = passing[0] if passing else None
        return TuneResult(
            kernel=self.spec.name,
            target=self.target.name,
            emulated=self.target.emulated,
            strategy=strategy,
            chosen=winner[0].params if winner else None,
            source=winner[1] if winner else None,
            verdict=winner[2] if winner else None,
            timing=winner[0].timing if winner else None,
            timing_check=self.timing_checks.get(tuple(sorted(winner[0].params.items()))) if winner else None,
            candidates=[c for c, _, _ in self.tried.values()],
            seed=self.seed,
            stopped=self.stopped,
        )

"""The two plain scenarios: one hardware block (the hardware agent alone) and one kernel for one
target (the software agent alone). One round each; the critique reports what the agent's evidence says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.hw.design import HwDesign
from agents.hw.request import read_request
from agents.scenarios.base import ModelRun, PartResults, Section, no_dependents, results_lines
from agents.scenarios.reading import SW_WORDS, find_target
from agents.sw.design import SwDesign
from agents.sw.request import parse_request
from agents.top.state import Constraints, Critique, HwOutcome, Kind, Part, SwOutcome, Task
from tools.errors import UsageError


def _parses(read: Any, text: str) -> str:
    """'' when ``read(text)`` accepts the text, else its first error line."""
    try:
        read(text)
    except UsageError as exc:
        return str(exc).splitlines()[0]
    return ""


def _single_critique(part: Part, results: PartResults, history: list[Critique]) -> Critique:
    outcomes: list[HwOutcome | SwOutcome] = [*results.hw, *results.sw]
    ok = bool(outcomes) and all(o.status == "verified" for o in outcomes)
    reasons = []
    for o in outcomes:
        failed = [] if o.design is None else o.design.evidence.failures()
        why = "; ".join(f"{c.name} {c.status}: {c.summary[:160]}" for c in failed)
        if isinstance(o, SwOutcome) and o.skipped:
            why = o.skipped
        reasons.append(f"{o.task}: {o.status}" + (f" ({why})" if why else ""))
    return Critique(
        part=part.id,
        round=len(history) + 1,
        done=ok,
        chosen=outcomes[0].task if ok else None,
        reasons=reasons,
        stop="" if ok else "the agent's result is not verified: " + "; ".join(reasons),
    )


class Block:
    """One hardware block from a one-line spec."""

    name = "block"
    kind: Kind = "hw"
    summary = "one hardware block (the hardware agent alone)"

    def match(self, text: str) -> dict[str, Any] | None:
        """The spec, when the hardware library reads the text."""
        return None if _parses(read_request, text) else {"spec": text}

    def plan(self, part: Part) -> list[Task]:
        """One hardware task."""
        return [Task(id="hw-1", kind="hw", spec=part.text)]

    def critique(
        self, part: Part, results: PartResults, history: list[Critique], rounds_left: int
    ) -> Critique:
        """Done when the block's evidence is verified."""
        return _single_critique(part, results, history)

    def run_on(self, task: Task, built: HwDesign | SwDesign, part: Part, workdir: Path) -> ModelRun:
        """Never called: a block plans no dependent task."""
        return no_dependents(task)

    def report(self, part: Part, results: PartResults, history: list[Critique], root: Path) -> Section:
        """The block's status, area and where its files are."""
        return Section(markdown=results_lines(results))


class Kernel:
    """One software kernel for one target."""

    name = "kernel"
    kind: Kind = "sw"
    summary = "one kernel for one target (the software agent alone)"

    def match(self, text: str) -> dict[str, Any] | None:
        """The target, when the kernel library reads the text and it is about software (a target or
        software words named, or no hardware reading either)."""
        if _parses(parse_request, text):
            return None
        target = find_target(text)
        if target is None and not SW_WORDS.search(text) and not _parses(read_request, text):
            return None
        return {"target": target or "x86_64"}

    def plan(self, part: Part) -> list[Task]:
        """One software task for the target."""
        return [
            Task(id="sw-1", kind="sw", spec=part.text, constraints=Constraints(target=part.details["target"]))
        ]

    def critique(
        self, part: Part, results: PartResults, history: list[Critique], rounds_left: int
    ) -> Critique:
        """Done when the kernel's evidence is verified."""
        return _single_critique(part, results, history)

    def run_on(self, task: Task, built: HwDesign | SwDesign, part: Part, workdir: Path) -> ModelRun:
        """Never called: a kernel plans no dependent task."""
        return no_dependents(task)

    def report(self, part: Part, results: PartResults, history: list[Critique], root: Path) -> Section:
        """The kernel's status, speed (native targets) and where its files are."""
        return Section(markdown=results_lines(results))

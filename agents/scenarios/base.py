"""The scenario contract: how a kind of request is matched, planned, critiqued and reported.

A :class:`Scenario` turns one part of a request into typed tasks for the hardware and software
agents (:meth:`Scenario.plan`), judges what came back and either plans the next round or stops with
its reasons (:meth:`Scenario.critique`, the bottom-up feedback), and writes its section of the
report (:meth:`Scenario.report`). Software tasks that run on a hardware task's model (``uses``) are
run by :meth:`Scenario.run_on`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn, Protocol

from pydantic import BaseModel, Field

from agents.codesign.kernel import KernelResult
from agents.codesign.offload import OffloadRun
from agents.hw.design import HwDesign
from agents.sw.design import SwDesign
from agents.top.state import Critique, HwOutcome, Kind, Part, SwOutcome, Task
from tools.evidence import Evidence

ModelRun = KernelResult | OffloadRun | SwDesign
"""What a software task that runs on a hardware model (or re-checks a kernel) publishes."""


class PartResults(BaseModel):
    """Everything the agents published for one part's tasks so far (all rounds)."""

    hw: list[HwOutcome] = Field(default_factory=list, description="Hardware outcomes of the part's tasks.")
    sw: list[SwOutcome] = Field(default_factory=list, description="Software outcomes of the part's tasks.")


class Section(BaseModel):
    """A scenario's part of the report."""

    markdown: list[str] = Field(description="Markdown lines.")
    summary: dict[str, Any] = Field(default_factory=dict, description="Keys merged into report.json.")
    plot: str | None = Field(None, description="Path of a PNG it drew, if any.")


class Scenario(Protocol):
    """One kind of request the offline planner knows how to decompose and judge."""

    name: str
    kind: Kind
    summary: str

    def match(self, text: str) -> dict[str, Any] | None:
        """The details read from ``text``, or None when this scenario does not serve it.

        Raises:
            UsageError: the text is this scenario's but a value is out of range.
        """
        ...

    def plan(self, part: Part) -> list[Task]:
        """The first round's tasks (ids unique within the part)."""
        ...

    def critique(
        self, part: Part, results: PartResults, history: list[Critique], rounds_left: int
    ) -> Critique:
        """Judge the results so far; plan the next round or say why it stops."""
        ...

    def run_on(self, task: Task, built: HwDesign | SwDesign, part: Part, workdir: Path) -> ModelRun:
        """Run a software task on the verified result it ``uses``: a hardware block (its Verilator
        model) or a kernel of an earlier round (re-checked on other hardware)."""
        ...

    def report(self, part: Part, results: PartResults, history: list[Critique], root: Path) -> Section:
        """The part's section of the report (tables, reasons, plots written under ``root``)."""
        ...


def no_dependents(task: Task) -> NoReturn:
    """:meth:`Scenario.run_on` for a task its scenario never plans on that kind of result.

    Raises:
        ValueError: always (a plan of that scenario never sets ``uses``).
    """
    raise ValueError(f"task {task.id} uses another task's result, but its scenario plans no such task")


def results_lines(results: PartResults) -> list[str]:
    """One Markdown line per outcome: task, status, the figure that matters, where the files are."""
    lines: list[str] = []
    for h in results.hw:
        d = h.design
        lines.append(
            f"- {h.task} (hardware): {h.status}, {d.cells} cells, depth {d.logic_depth}"
            + "".join(f"; {c.name} {c.status}: {c.summary[:160]}" for c in d.evidence.failures())
            + (f"; files: {d.run_dir}" if d.run_dir else "")
        )
        lines += _interpretation(d.evidence)
    for s in results.sw:
        if s.design is None:
            lines.append(f"- {s.task} (software): skipped ({s.skipped})")
            continue
        lines.append(
            f"- {s.task} (software): {s.status}"
            + "".join(f"; {c.name} {c.status}: {c.summary[:160]}" for c in s.design.evidence.failures())
            + (f"; files: {s.design.run_dir}" if s.design.run_dir else "")
        )
        lines += _interpretation(s.design.evidence)
    return lines


def _interpretation(evidence: Evidence) -> list[str]:
    """The request's reading under its result line ('interpreted as: ...'; unused facts named)."""
    interp = evidence.interpretation
    if interp is None or not interp.readings:
        return []
    unread = [f"  - not used by that reading: {'; '.join(interp.unread)}"] if interp.unread else []
    return [f"  - {interp.summary()}", *unread]

"""Who answers VerilogEval problems: a small :class:`Agent` protocol and the registry of agents.

An agent sees only the problem's prompt text and returns Verilog source that defines ``TopModule``.
``offline`` and ``llm`` answer through the hardware subgraph; ``reference`` checks the harness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from evals._ve_bench import Answer, Problem
from tools.errors import QimengError, UsageError


class Agent(Protocol):
    """Anything that writes candidate ``TopModule`` sources from a prompt."""

    def solve(self, problem_prompt: str, samples: int) -> list[Answer]:
        """Return exactly ``samples`` answers (source and claimed status) for ``problem_prompt``."""
        ...


AgentFactory = Callable[[Sequence[Problem]], Agent]


class ReferenceAgent:
    """Answers with the benchmark's own reference renamed to ``TopModule``: a sanity check of the harness.

    It is the one agent built from the oracle files, and it only finds them by the exact prompt text,
    so it cannot answer a prompt that is not in the benchmark.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self._by_prompt = {p.prompt: p for p in problems}

    def solve(self, problem_prompt: str, samples: int) -> list[Answer]:
        """The renamed reference, ``samples`` times.

        Raises:
            UsageError: when the prompt is not one of the benchmark's problems.
        """
        problem = self._by_prompt.get(problem_prompt)
        if problem is None:
            raise UsageError("the reference agent only answers prompts of the loaded benchmark")
        return [Answer(rtl=problem.reference_as_candidate())] * samples


class SubgraphAgent:
    """Answers through the hardware subgraph, seeing only the prompt: the offline designer (generator
    library) or, with ``llm=True``, the LLM designer, tester and judge. A prompt it declines is a
    refusal, which the evaluator scores as a failure of its own class (not a compile error)."""

    def __init__(self, problems: Sequence[Problem], llm: bool = False) -> None:
        self.llm = llm

    def solve(self, problem_prompt: str, samples: int) -> list[Answer]:
        """One hardware-agent run per sample (seeds differ): the final RTL and its status; a
        request the agent declines (UsageError: unreadable, underspecified) is a refusal."""
        from agents.llm import LLMClient
        from agents.roles import build_roles
        from graphs.hw import design_block

        roles = build_roles(LLMClient() if self.llm else None).hw
        answers = []
        for sample in range(samples):
            seeds = [1000 * sample + s for s in (1, 2, 3)]
            try:
                design = design_block(problem_prompt, roles=roles, seeds=seeds)
            except UsageError as exc:
                answers.append(Answer(rtl="", status="refused", note=str(exc).splitlines()[0]))
            except QimengError as exc:
                answers.append(Answer(rtl="", status="failed", note=str(exc).splitlines()[0]))
            else:
                answers.append(Answer(rtl=design.rtl, status=design.status, note=design.why_not[:200]))
            if not self.llm:  # the offline designer is deterministic: one run answers every sample
                return answers * samples
        return answers


AGENTS: dict[str, AgentFactory] = {
    "reference": ReferenceAgent,
    "offline": SubgraphAgent,
    "llm": lambda problems: SubgraphAgent(problems, llm=True),
}


def get_agent(name: str, problems: Sequence[Problem]) -> Agent:
    """Build the agent registered as ``name`` for ``problems``.

    Raises:
        UsageError: for an unknown name, listing the known agents.
    """
    factory = AGENTS.get(name)
    if factory is None:
        raise UsageError(f"unknown agent '{name}'; known agents: {', '.join(sorted(AGENTS))}")
    return factory(problems)

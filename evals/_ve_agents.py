"""Who answers VerilogEval problems: a small :class:`Agent` protocol and the registry of agents.

An agent sees only the problem's prompt text and returns Verilog source that defines ``TopModule``.
The ``offline`` and ``llm`` agents are added here by one registry line each when they exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from evals._ve_bench import Problem
from tools.errors import UsageError


class Agent(Protocol):
    """Anything that writes candidate ``TopModule`` sources from a prompt."""

    def solve(self, problem_prompt: str, samples: int) -> list[str]:
        """Return exactly ``samples`` candidate sources for the problem described by ``problem_prompt``."""
        ...


AgentFactory = Callable[[Sequence[Problem]], Agent]


class ReferenceAgent:
    """Answers with the benchmark's own reference renamed to ``TopModule``: a sanity check of the harness.

    It is the one agent built from the oracle files, and it only finds them by the exact prompt text,
    so it cannot answer a prompt that is not in the benchmark.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self._by_prompt = {p.prompt: p for p in problems}

    def solve(self, problem_prompt: str, samples: int) -> list[str]:
        """The renamed reference, ``samples`` times.

        Raises:
            UsageError: when the prompt is not one of the benchmark's problems.
        """
        problem = self._by_prompt.get(problem_prompt)
        if problem is None:
            raise UsageError("the reference agent only answers prompts of the loaded benchmark")
        return [problem.reference_as_candidate()] * samples


AGENTS: dict[str, AgentFactory] = {"reference": ReferenceAgent}


def get_agent(name: str, problems: Sequence[Problem]) -> Agent:
    """Build the agent registered as ``name`` for ``problems``.

    Raises:
        UsageError: for an unknown name, listing the known agents.
    """
    factory = AGENTS.get(name)
    if factory is None:
        raise UsageError(f"unknown agent '{name}'; known agents: {', '.join(sorted(AGENTS))}")
    return factory(problems)

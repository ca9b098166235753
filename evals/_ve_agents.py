"""Who answers VerilogEval problems: a small :class:`Agent` protocol and the registry of agents.

An agent sees only the problem's prompt text and returns Verilog source that defines ``TopModule``.
``offline`` and ``llm`` answer through the hardware subgraph; ``reference`` checks the harness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from evals._ve_bench import Problem
from tools.errors import QimengError, UsageError

if TYPE_CHECKING:
    from agents.hw.nodes import Roles


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


class SubgraphAgent:
    """Answers through the hardware subgraph, seeing only the prompt: the offline designer (generator
    library) or, with ``llm=True``, the LLM designer, tester and judge. A prompt it cannot build gets
    an empty candidate, which the evaluator scores as a failure."""

    def __init__(self, problems: Sequence[Problem], llm: bool = False) -> None:
        self.llm = llm

    def solve(self, problem_prompt: str, samples: int) -> list[str]:
        """One subgraph run per sample (seeds differ); the best candidate's RTL, or "" when none."""
        from agents.hw.nodes import Roles
        from graphs.hw import build_hw_graph

        roles = _llm_roles() if self.llm else Roles()
        graph = build_hw_graph(roles)
        answers = []
        for sample in range(samples):
            seeds = [1000 * sample + s for s in (1, 2, 3)]
            try:
                state = graph.invoke({"text": problem_prompt, "offline": not self.llm, "seeds": seeds})
            except QimengError:
                answers.append("")
                continue
            best = state.get("best")
            answers.append(best.rtl if best is not None else "")
            if not self.llm:  # the offline designer is deterministic: one run answers every sample
                return answers * samples
        return answers


def _llm_roles() -> Roles:
    from agents.hw.nodes import Roles
    from agents.hw.roles import LlmDesigner, LlmJudge, LlmTester
    from agents.llm import LLMClient

    client = LLMClient()
    return Roles(
        designer=LlmDesigner(client), tester=LlmTester(client), judge=LlmJudge(client), offline=False
    )


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

"""VerilogEval scores what the agent claimed: how many answers it called verified, how many of those
the benchmark's testbench passes (precision of "verified"), and how many it refused."""

from __future__ import annotations

from pathlib import Path

from evals.verilog_eval import Answer, evaluate, load_problems

DATA = Path(__file__).with_name("data")


class ClaimingAgent:
    """Answers each problem with its reference or a broken copy, claiming a fixed status for each."""

    def __init__(self, claims: list[tuple[str, bool]]) -> None:
        self.claims = iter(claims)

    def solve(self, problem_prompt: str, samples: int) -> list[Answer]:
        status, correct = next(self.claims)
        (problem,) = [p for p in load_problems(DATA) if p.prompt == problem_prompt]
        rtl = problem.reference_as_candidate()
        if status == "refused":
            return [Answer(rtl="", status="refused", note="could not find pattern")] * samples
        return [Answer(rtl=rtl if correct else rtl.replace("endmodule", "endmodul"), status=status)] * samples  # type: ignore[arg-type]


def test_precision_counts_verified_answers_the_benchmark_fails_and_refusals_are_their_own_class() -> None:
    problems = load_problems(DATA)
    assert len(problems) == 2
    report = evaluate(problems, ClaimingAgent([("verified", True), ("verified", False)]), agent_name="claims")
    assert (report.verified, report.verified_passed, report.precision) == (2, 1, 0.5)
    assert report.wrong_verified() == [problems[1].id] and report.refused == 0
    refusing = evaluate(problems, ClaimingAgent([("refused", True), ("failed", True)]), agent_name="claims")
    assert (refusing.verified, refusing.precision, refusing.refused) == (0, None, 1)
    assert refusing.failures == {"refused": 1} and refusing.pass_at == {"1": 0.5}
    assert refusing.model_dump(mode="json")["precision"] is None

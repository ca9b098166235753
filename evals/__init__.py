"""Benchmarks: VerilogEval, checker mutants, the kernel suite; pass@k, reports and plots; and the
verifiable rewards for RL on the same oracles (``evals.reward``, served by ``qimeng serve reward``)."""

__all__: list[str] = []

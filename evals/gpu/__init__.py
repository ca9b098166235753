"""GPU kernel benchmark: the results file of ``ops/gpu/run_device.sh``, its schema and goals.

The suite itself is :mod:`tools.gpu.kit.suite` (it runs on a bare GPU host); this package reads,
validates and summarises what it wrote. A recorded H200 run is in ``evals/gpu/data/``.
"""

from evals.gpu.results import GOALS, CandidateResult, GpuResults, ProblemResult, goals, load_results

__all__ = ["GOALS", "CandidateResult", "GpuResults", "ProblemResult", "goals", "load_results"]

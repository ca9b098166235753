"""Benchmarks: VerilogEval, checker mutants, the kernel suite; pass@k, reports and plots."""

__all__: list[str] = []
